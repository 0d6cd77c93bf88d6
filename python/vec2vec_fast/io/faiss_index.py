"""faiss index files (the optional ``faiss`` extra: faiss-cpu): the vectors stored in a flat index, mapped in chunks
into a new index of the same kind, written atomically.

Supported: ``IndexFlatIP``, ``IndexFlatL2``, and ``IndexIDMap`` / ``IndexIDMap2`` around either (the ids are kept,
row for row). These store the vectors themselves; any other index (IVF, HNSW, PQ, ...) stores codes from which the
vectors cannot be read back exactly, and is refused with an error naming the supported kinds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Tuple, Union

import numpy as np

from .atomic import AtomicFile, check_output_path

PathLike = Union[str, "os.PathLike[str]"]

FAISS_SUFFIXES = (".faiss", ".index")
EXTRA_HINT = "pip install 'vec2vec_fast[faiss]'"
SUPPORTED = "IndexFlatIP, IndexFlatL2, and IndexIDMap or IndexIDMap2 around one of them"


def require_faiss() -> Any:
    """The faiss module, or an ImportError that names the extra to install."""
    try:
        import faiss
    except ImportError as err:
        raise ImportError(f"faiss index files need faiss, which is not installed: {EXTRA_HINT}") from err
    return faiss


def is_faiss_path(path: PathLike) -> bool:
    return Path(path).suffix.lower() in FAISS_SUFFIXES


@dataclass(frozen=True)
class FaissIndex:
    """A flat faiss index read from ``path``: ``kind`` (e.g. "IndexIDMap2(IndexFlatIP)"), ``shape`` (ntotal, d),
    the loaded index, its flat part, its ids (None without an id map), and ``owner``, the object that owns them."""

    path: Path
    kind: str
    shape: Tuple[int, int]
    index: Any
    flat: Any
    ids: Optional[np.ndarray]
    owner: Any = None
    dtype: np.dtype = np.dtype(np.float32)
    format: str = "faiss"

    def iter_blocks(self, chunk_rows: int) -> Iterator[np.ndarray]:
        """The stored vectors, ``chunk_rows`` rows at a time (float32 copies, in index order)."""
        n = self.shape[0]
        for start in range(0, n, chunk_rows):
            yield self.flat.reconstruct_n(start, min(chunk_rows, n - start))


def _flat_kind(faiss: Any, index: Any) -> Optional[str]:
    """"IndexFlatIP" / "IndexFlatL2" for a plain flat index of either metric, else None."""
    if type(index).__name__ not in ("IndexFlat", "IndexFlatIP", "IndexFlatL2"):
        return None
    return {faiss.METRIC_INNER_PRODUCT: "IndexFlatIP", faiss.METRIC_L2: "IndexFlatL2"}.get(index.metric_type)


def read_faiss_index(path: PathLike) -> FaissIndex:
    """Read a flat faiss index (see the module docstring); ValueError naming the index's type for any other."""
    faiss = require_faiss()
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder, not a faiss index")
    # Memory-mapped where this faiss can (IO_FLAG_MMAP_IFC, faiss >= 1.10: a flat index's vectors stay on disk and
    # are read chunk by chunk); a plain read otherwise.
    flags = getattr(faiss, "IO_FLAG_MMAP_IFC", 0) | getattr(faiss, "IO_FLAG_READ_ONLY", 0)
    try:
        try:
            loaded = faiss.read_index(str(p), flags)
        except RuntimeError:
            loaded = faiss.read_index(str(p))
    except RuntimeError as err:
        raise ValueError(f"{p} is not a readable faiss index: {str(err).splitlines()[0]}") from err
    # downcast_index gives a second Python wrapper that does not own the index: ``loaded`` (the owner) must outlive
    # it, so FaissIndex keeps both.
    index = faiss.downcast_index(loaded)
    ids = None
    outer = type(index).__name__
    flat = index
    if outer in ("IndexIDMap", "IndexIDMap2"):
        flat = faiss.downcast_index(index.index)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    kind = _flat_kind(faiss, flat)
    if kind is None:
        inner = type(flat).__name__ + (f" (metric {flat.metric_type})" if type(flat).__name__ == "IndexFlat" else "")
        found = f"{outer}({inner})" if flat is not index else inner
        raise ValueError(f"{p} is an {found}; vec2vec-fast maps the vectors of {SUPPORTED}")
    name = f"{outer}({kind})" if flat is not index else kind
    return FaissIndex(p, name, (int(flat.ntotal), int(flat.d)), index, flat, ids, loaded)


def _new_index(faiss: Any, like: FaissIndex, dim: int) -> Tuple[Any, Any]:
    """(index, flat part): an empty index of ``like``'s kind for ``dim``-d vectors."""
    flat = faiss.IndexFlatIP(dim) if like.flat.metric_type == faiss.METRIC_INNER_PRODUCT else faiss.IndexFlatL2(dim)
    outer = type(like.index).__name__
    if outer == "IndexIDMap":
        return faiss.IndexIDMap(flat), flat
    if outer == "IndexIDMap2":
        return faiss.IndexIDMap2(flat), flat
    return flat, flat


def transform_faiss_index(info: FaissIndex, output: PathLike, apply: Callable[[np.ndarray, int], np.ndarray],
                          dim: int, *, chunk_rows: int = 16_384, overwrite: bool = False) -> Path:
    """Map every vector of a flat index through ``apply(block, first_row)`` (``chunk_rows`` rows at a time) into a
    new index of the same kind and metric for ``dim``-d vectors, ids kept, and write it atomically to ``output``
    (an existing file only with ``overwrite``). faiss holds an index in memory to write it: memory is the output
    index and one chunk, plus the input index where faiss cannot memory-map it."""
    faiss = require_faiss()
    path = check_output_path(output, overwrite)
    index, flat = _new_index(faiss, info, dim)
    start = 0
    for block in info.iter_blocks(chunk_rows):
        y = np.ascontiguousarray(apply(block, start), dtype=np.float32)
        if info.ids is None:
            index.add(y)
        else:
            index.add_with_ids(y, info.ids[start:start + len(y)])
        start += len(y)
    with AtomicFile(path, overwrite=overwrite) as out:
        faiss.write_index(index, faiss.PyCallbackIOWriter(out.file.write))
    del flat
    return path


__all__ = ["EXTRA_HINT", "FAISS_SUFFIXES", "SUPPORTED", "FaissIndex", "is_faiss_path", "read_faiss_index",
           "require_faiss", "transform_faiss_index"]
