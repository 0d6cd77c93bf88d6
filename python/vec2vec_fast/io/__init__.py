"""Input and output: vector files (``.npy`` memory-mapped, ``.npz``, ``.fvecs``/``.ivecs``/``.bvecs``), Parquet
vector columns and flat faiss indexes (optional extras, imported when used), streamed reads and writes, sampled
reads of inputs larger than memory, and the one atomic writer every file of the package goes through (one overwrite
rule, ``open()``'s permissions) with its JSON sanitiser.

Examples
--------
>>> x = open_vectors("base.fvecs")                         # doctest: +SKIP
>>> for block in iter_chunks("base.npy", 65_536): ...      # doctest: +SKIP
>>> with VectorWriter("out.npy", n_rows=n, dim=768) as w:  # doctest: +SKIP
...     w.write(block)
"""

from .atomic import AtomicFile, atomic_output, check_output_path, current_umask, jsonable
from .faiss_index import FaissIndex, read_faiss_index, transform_faiss_index
from .parquet import (
                      ParquetColumn,
                      ParquetVectors,
                      ParquetVectorWriter,
                      inspect_parquet,
                      open_parquet_vectors,
                      transform_parquet_file,
)
from .sampling import read_sampled_rows, release_mapped_rows
from .vectors import (
                      READ_SUFFIXES,
                      WRITE_SUFFIXES,
                      PathLike,
                      VectorFile,
                      VectorWriter,
                      inspect_vectors,
                      iter_chunks,
                      open_vectors,
                      save_vectors,
                      write_fvecs,
)

__all__ = ["READ_SUFFIXES", "WRITE_SUFFIXES", "AtomicFile", "FaissIndex", "ParquetColumn", "ParquetVectorWriter",
           "ParquetVectors", "PathLike", "VectorFile", "VectorWriter", "atomic_output", "check_output_path",
           "current_umask", "inspect_parquet", "inspect_vectors", "iter_chunks", "jsonable", "open_parquet_vectors",
           "open_vectors", "read_faiss_index", "read_sampled_rows", "release_mapped_rows", "save_vectors",
           "transform_faiss_index", "transform_parquet_file", "write_fvecs"]
