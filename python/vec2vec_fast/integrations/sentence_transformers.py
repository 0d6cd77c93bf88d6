"""A SentenceTransformer whose embeddings come out in another model's space (the optional
``sentence-transformers`` extra).

    >>> from sentence_transformers import SentenceTransformer                  # doctest: +SKIP
    >>> from vec2vec_fast import Aligner
    >>> from vec2vec_fast.integrations.sentence_transformers import TranslatingEncoder
    >>> encoder = TranslatingEncoder(SentenceTransformer("all-MiniLM-L6-v2"), Aligner.load("minilm_to_e5.npz"))
    >>> queries = encoder.encode(["where do penguins live?"], batch_size=64)   # (1, d_b): e5's space

Nothing here imports sentence-transformers or torch: the wrapper calls the model it is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_FORCED = ("convert_to_numpy", "convert_to_tensor", "output_value", "precision")


class TranslatingEncoder:
    """Encode with ``model`` (a SentenceTransformer, or anything with its ``encode``), then map the embeddings
    through a fitted ``aligner`` into the other model's space.

    :meth:`encode` (and :meth:`encode_query` / :meth:`encode_document`, where the model has them) take the same
    arguments as ``SentenceTransformer.encode`` and pass them on unchanged: the model batches, prompts, pools and
    normalises (``normalize_embeddings`` normalises the model's own output, before the map) as it always does; the
    output form follows ``convert_to_numpy`` / ``convert_to_tensor`` as there (a single string gives one 1-D
    vector). The result equals ``aligner.transform(model.encode(...))`` exactly.

    ``raw=False`` (the default) gives unit rows in the target model's centred frame, as ``Aligner.transform``;
    ``raw=True`` the target model's raw frame (its mean and typical norm restored), to search an index of that
    model's own vectors as they are; ``inverse=True`` maps with ``inverse_transform`` (a model of space B, an
    aligner fitted A -> B). Only float32 sentence embeddings translate: ``precision`` other than "float32" and
    ``output_value`` other than "sentence_embedding" are refused.
    """

    def __init__(self, model: Any, aligner: Any, *, raw: bool = False, inverse: bool = False):
        if not callable(getattr(model, "encode", None)):
            raise TypeError(f"model must have an encode method (a SentenceTransformer), got {type(model).__name__}")
        if not hasattr(aligner, "n_features_in_"):
            from ..errors import not_fitted

            raise not_fitted("the aligner is not fitted yet: call fit(X_a, X_b) or Aligner.load(path)")
        self.model, self.aligner, self.raw, self.inverse = model, aligner, bool(raw), bool(inverse)
        d_in = aligner.n_features_out_ if inverse else aligner.n_features_in_
        # sentence-transformers >= 6 names it get_embedding_dimension (the old name warns there)
        dimension = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension", lambda: None)
        dim = dimension()
        if dim is not None and dim != d_in:
            raise ValueError(f"the model makes {dim}-d embeddings but the aligner {'maps back' if inverse else 'maps'}"
                             f" {d_in}-d vectors")

    def get_embedding_dimension(self) -> int:
        """The dimension of the translated embeddings (the target model's)."""
        return int(self.aligner.n_features_in_ if self.inverse else self.aligner.n_features_out_)

    get_sentence_embedding_dimension = get_embedding_dimension  # the name before sentence-transformers 6

    def encode(self, sentences: Any, *args: Any, **kwargs: Any) -> Any:
        """``model.encode(sentences, ...)`` mapped into the target space; same arguments, same output forms."""
        return self._translate(self.model.encode, sentences, args, kwargs)

    def encode_query(self, sentences: Any, *args: Any, **kwargs: Any) -> Any:
        """``model.encode_query`` (sentence-transformers >= 5) mapped into the target space."""
        return self._translate(self._method("encode_query"), sentences, args, kwargs)

    def encode_document(self, sentences: Any, *args: Any, **kwargs: Any) -> Any:
        """``model.encode_document`` (sentence-transformers >= 5) mapped into the target space."""
        return self._translate(self._method("encode_document"), sentences, args, kwargs)

    def _method(self, name: str) -> Any:
        fn = getattr(self.model, name, None)
        if fn is None:
            raise AttributeError(f"{type(self.model).__name__} has no {name} (sentence-transformers >= 5 has it)")
        return fn

    def _translate(self, encode: Any, sentences: Any, args: tuple, kwargs: dict) -> Any:
        if args:
            raise TypeError("pass encode's options by keyword (batch_size=..., normalize_embeddings=...), as "
                            "sentence-transformers documents them")
        output_value = kwargs.get("output_value", "sentence_embedding")
        if output_value != "sentence_embedding":
            raise ValueError(f"output_value={output_value!r}: only sentence embeddings can be translated")
        precision = kwargs.get("precision", "float32")
        if precision != "float32":
            raise ValueError(f"precision={precision!r}: only float32 embeddings can be translated (quantise the "
                             f"translated vectors instead)")
        to_tensor = bool(kwargs.get("convert_to_tensor", False))
        to_numpy = bool(kwargs.get("convert_to_numpy", True))
        given = {k: v for k, v in kwargs.items() if k not in _FORCED}
        x = np.asarray(encode(sentences, convert_to_numpy=True, convert_to_tensor=False, **given))
        single = x.ndim == 1
        fn = self.aligner.inverse_transform if self.inverse else self.aligner.transform
        y = fn(x.reshape(1, -1) if single else x, raw=self.raw)
        if self.raw and given.get("normalize_embeddings"):
            y = y / np.linalg.norm(y, axis=1, keepdims=True)
        y = y[0] if single else y
        if not (to_tensor or not to_numpy):
            return y
        import torch

        device = getattr(self.model, "device", None)
        t = torch.from_numpy(np.ascontiguousarray(y))
        t = t.to(device) if device is not None else t
        if to_tensor:
            return t
        return list(t) if not single else t  # convert_to_numpy=False, convert_to_tensor=False: a list of tensors

    def __repr__(self) -> str:
        return f"TranslatingEncoder({type(self.model).__name__}, {self.aligner!r}, raw={self.raw})"


__all__ = ["TranslatingEncoder"]
