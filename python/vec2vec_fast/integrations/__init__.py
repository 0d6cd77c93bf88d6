"""Adapters to other libraries, each imported only when used: :mod:`.sentence_transformers` (a SentenceTransformer
whose ``encode`` returns vectors in another model's space)."""
