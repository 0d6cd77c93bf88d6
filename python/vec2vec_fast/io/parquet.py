"""Vectors in Parquet tables (the optional ``parquet`` extra: pyarrow): a vector column read in streamed record
batches, sampled reads that keep only the sampled rows, and a streamed, atomic writer that carries a table's other
columns through unchanged.

A vector column is named as ``PATH.parquet:COLUMN``. It is either one column of type ``list<float>``,
``large_list<float>`` or ``fixed_size_list<float, d>`` (float16, float32 or float64 values), or, with a glob pattern
(``PATH.parquet:emb_*``; ``*``, ``?`` and ``[...]`` as in :mod:`fnmatch`), the ``d`` float columns whose names match,
one per dimension, in the table's column order. Every row is checked as it is read: a missing vector, a missing
value, or a list of another length is an error naming the file, the column and the row.

Examples
--------
>>> info = inspect_parquet("corpus.parquet", "embedding")     # doctest: +SKIP
>>> x = ParquetVectors(info)                                  # array-like (n, d): nothing read yet
>>> for block in x.iter_blocks(16_384): ...                  # doctest: +SKIP
>>> sample = x[np.sort(rng.choice(len(x), 1000, replace=False))]   # reads one record batch at a time
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .atomic import AtomicFile, check_output_path

PathLike = Union[str, "os.PathLike[str]"]

PARQUET_SUFFIXES = (".parquet", ".pq")
EXTRA_HINT = "pip install 'vec2vec_fast[parquet]'"
_GLOB_CHARS = "*?["
_READ_BUFFER = 1 << 20  # bytes read from a column chunk at a time


def require_pyarrow() -> Tuple[Any, Any]:
    """(pyarrow, pyarrow.parquet), or an ImportError that names the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as err:
        raise ImportError(f"Parquet files need pyarrow, which is not installed: {EXTRA_HINT}") from err
    return pyarrow, pyarrow.parquet


def is_parquet_path(path: PathLike) -> bool:
    return Path(path).suffix.lower() in PARQUET_SUFFIXES


def parquet_spec(text: str) -> Optional[Tuple[Path, str]]:
    """``PATH.parquet:COLUMN`` -> (path, column); None when ``text`` does not name a Parquet file. A Parquet path
    without ``:COLUMN`` is an error: a table has many columns and the vectors' one must be named."""
    head, sep, column = text.rpartition(":")
    if sep and is_parquet_path(head):
        if not column:
            raise ValueError(f"{text}: name the vector column after the colon, as {head}:COLUMN")
        return Path(head), column
    if is_parquet_path(text):
        raise ValueError(f"{text}: name the vector column, as {text}:COLUMN (or {text}:PREFIX* for one float "
                         f"column per dimension)")
    return None


@dataclass(frozen=True)
class ParquetColumn:
    """Where a Parquet file's vectors are, read from its footer (and, for list columns, its first row).

    ``column``: the name or glob pattern as given; ``columns``: the table columns holding the vectors (one list
    column, or one float column per dimension); ``row_groups``: rows per row group.
    """

    path: Path
    column: str
    columns: Tuple[str, ...]
    shape: Tuple[int, int]
    dtype: np.dtype
    row_groups: Tuple[int, ...]
    per_dimension: bool
    format: str = "parquet"


def _is_float(pa: Any, kind: Any) -> bool:
    return pa.types.is_floating(kind)


def _open(path: Path) -> Any:
    _, pq = require_pyarrow()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a Parquet file")
    try:
        # Buffered reads without pre-buffering: a column chunk is read in pieces as its pages are decoded, so memory
        # holds a batch and a few pages, not a whole row group (which can hold a million rows).
        return pq.ParquetFile(path, buffer_size=_READ_BUFFER, pre_buffer=False)
    except Exception as err:  # pyarrow raises ArrowInvalid (a ValueError) or OSError for a foreign file
        raise ValueError(f"{path} is not a readable Parquet file: {' '.join(str(err).split())}") from err


def inspect_parquet(path: PathLike, column: str) -> ParquetColumn:
    """Describe the vector column of a Parquet file (see the module docstring for the column forms).

    Raises FileNotFoundError, ValueError (no such column, no rows, no column matching a pattern, a list column whose
    first row is missing) or TypeError (values that are not floats), each naming the file and the column.
    """
    pa, _ = require_pyarrow()
    p = Path(path)
    with _open(p) as pf:
        schema = pf.schema_arrow
        n = pf.metadata.num_rows
        row_groups = tuple(pf.metadata.row_group(i).num_rows for i in range(pf.metadata.num_row_groups))
        if any(c in column for c in _GLOB_CHARS):
            names = tuple(name for name in schema.names if fnmatch.fnmatchcase(name, column))
            if not names:
                raise ValueError(f"{p}: no column matches {column!r}; it has {schema.names}")
            for name in names:
                kind = schema.field(name).type
                if not _is_float(pa, kind):
                    raise TypeError(f"{p}: column {name!r} (matched by {column!r}) holds {kind}; one-column-per-"
                                    f"dimension vectors must be float columns")
            dtype = np.result_type(*[np.dtype(schema.field(name).type.to_pandas_dtype()) for name in names])
            info = ParquetColumn(p, column, names, (n, len(names)), dtype, row_groups, True)
        else:
            if column not in schema.names:
                raise ValueError(f"{p} has no column {column!r}; it has {schema.names}")
            kind = schema.field(column).type
            is_list = pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
            if not is_list or not _is_float(pa, kind.value_type):
                raise TypeError(f"{p}: column {column!r} holds {kind}; vectors must be a list or fixed-size list of "
                                f"floats (or one float column per dimension: {p}:PREFIX*)")
            dtype = np.dtype(kind.value_type.to_pandas_dtype())
            if pa.types.is_fixed_size_list(kind):
                dim = int(kind.list_size)
            elif n == 0:
                dim = 0
            else:
                first = next(pf.iter_batches(batch_size=1, columns=[column])).column(0)
                if first.null_count:
                    raise ValueError(f"{p}: column {column!r} row 0 is null (a missing vector)")
                dim = len(first[0])
            info = ParquetColumn(p, column, (column,), (n, dim), dtype, row_groups, False)
    if n == 0 or info.shape[1] == 0:
        raise ValueError(f"{p}: column {column!r} holds an empty array of shape {info.shape}")
    return info


def _first_true(mask: Any) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def batch_matrix(columns: Sequence[Any], names: Sequence[str], dim: int, where: str, first_row: int = 0) -> np.ndarray:
    """The vectors of one record batch as an (rows, dim) numpy array (the values' own float dtype).

    ``columns``: the batch's one list column, or its ``dim`` float columns (``names`` are their names). Rows are
    counted from ``first_row`` in errors: a missing vector, a missing value, a list of another length than ``dim``.
    """
    pa, _ = require_pyarrow()
    arrays = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in columns]
    if len(arrays) > 1 or not (pa.types.is_list(arrays[0].type) or pa.types.is_large_list(arrays[0].type)
                               or pa.types.is_fixed_size_list(arrays[0].type)):
        for arr, name in zip(arrays, names):
            if arr.null_count:
                row = first_row + _first_true(arr.is_null())
                raise ValueError(f"{where}: column {name!r} row {row} is null (a missing value)")
        return np.column_stack([arr.to_numpy(zero_copy_only=False) for arr in arrays])
    arr, name = arrays[0], names[0]
    if arr.null_count:
        row = first_row + _first_true(arr.is_null())
        raise ValueError(f"{where}: column {name!r} row {row} is null (a missing vector)")
    if pa.types.is_fixed_size_list(arr.type):
        if arr.type.list_size != dim:
            raise ValueError(f"{where}: column {name!r} holds {arr.type.list_size}-d vectors, expected {dim}")
    else:
        lengths = np.asarray(arr.value_lengths())
        if lengths.size and (lengths != dim).any():
            row = int(np.flatnonzero(lengths != dim)[0])
            raise ValueError(f"{where}: column {name!r} row {first_row + row} has {lengths[row]} values, expected "
                             f"{dim} (rows of different lengths)")
    values = arr.flatten()
    if values.null_count:
        row = first_row + _first_true(values.is_null()) // dim
        raise ValueError(f"{where}: column {name!r} row {row} has a missing value (null) inside its vector")
    return values.to_numpy(zero_copy_only=False).reshape(len(arr), dim)


class ParquetVectors:
    """A Parquet file's vector column as a read-only (n, d) array-like, read on demand.

    ``iter_blocks(rows)`` streams it in record batches of that many rows (memory holds one batch); ``x[rows]`` with
    sorted row indices (or ``x[start:stop]``) reads the record batches that hold them, one at a time, and keeps only
    those rows, so a sampled fit (``Aligner`` past ``max_rows``) never holds the column whole; ``np.asarray(x)``
    reads it all. The values keep their own float dtype.
    """

    ndim = 2

    def __init__(self, info: ParquetColumn, batch_rows: int = 16_384):
        self.info = info
        self.shape = info.shape
        self.dtype = info.dtype
        self.batch_rows = int(batch_rows)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"ParquetVectors({str(self.info.path)!r}, {self.info.column!r}, shape={self.shape}, dtype={self.dtype})"

    def _batches(self, batch_rows: int, first_group: int = 0, last_group: Optional[int] = None,
                 columns: Optional[List[str]] = None) -> Iterator[Tuple[int, Any]]:
        """(first row, record batch) over row groups first_group..last_group, in order."""
        last_group = len(self.info.row_groups) - 1 if last_group is None else last_group
        start = int(sum(self.info.row_groups[:first_group]))
        with _open(self.info.path) as pf:
            groups = list(range(first_group, last_group + 1))
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=groups,
                                         columns=list(self.info.columns) if columns is None else columns,
                                         use_threads=False):
                yield start, batch
                start += batch.num_rows

    def _matrix(self, batch: Any, first_row: int) -> np.ndarray:
        cols = [batch.column(batch.schema.get_field_index(name)) for name in self.info.columns]
        return batch_matrix(cols, self.info.columns, self.shape[1], str(self.info.path), first_row)

    def iter_blocks(self, chunk_rows: Optional[int] = None) -> Iterator[np.ndarray]:
        """Consecutive row blocks of at most ``chunk_rows`` rows (default ``batch_rows``), read batch by batch."""
        for start, batch in self._batches(int(chunk_rows or self.batch_rows)):
            yield self._matrix(batch, start)

    def __getitem__(self, key: Any) -> np.ndarray:
        n = self.shape[0]
        if isinstance(key, slice):
            rows = np.arange(n)[key]
        else:
            rows = np.asarray(key)
            if rows.ndim != 1 or rows.dtype.kind not in "iu":
                raise TypeError(f"{self!r} takes a slice or a 1-D array of row indices, got {key!r}")
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        if not len(rows):
            return out
        if (rows < 0).any() or (rows >= n).any():
            raise IndexError(f"row indices must be in [0, {n}), got {int(rows.min())}..{int(rows.max())}")
        if (np.diff(rows) < 0).any():
            order = np.argsort(rows, kind="stable")
            out[order] = self[rows[order]]
            return out
        bounds = np.cumsum((0,) + self.info.row_groups)
        first = int(np.searchsorted(bounds, rows[0], side="right")) - 1
        last = int(np.searchsorted(bounds, rows[-1], side="right")) - 1
        for start, batch in self._batches(self.batch_rows, first, last):
            lo, hi = np.searchsorted(rows, [start, start + batch.num_rows])
            if hi > lo:
                out[lo:hi] = self._matrix(batch, start)[rows[lo:hi] - start]
            if hi == len(rows):
                break
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.empty(self.shape, dtype=self.dtype)
        pos = 0
        for block in self.iter_blocks():
            out[pos:pos + len(block)] = block
            pos += len(block)
        return out if dtype is None else out.astype(dtype, copy=False)


def open_parquet_vectors(path: PathLike, column: str, *, batch_rows: int = 16_384) -> ParquetVectors:
    """``inspect_parquet`` and the array-like over it: ``open_parquet_vectors("t.parquet", "embedding")``."""
    return ParquetVectors(inspect_parquet(path, column), batch_rows)


# ---------------------------------------------------------------------------------------------------------- writing
class ParquetVectorWriter:
    """Stream rows of vectors, with the columns that go with them, into a new Parquet file, atomically.

    The vectors are written as ``column``, a ``fixed_size_list<float32, dim>``. With a ``template`` (the input's
    :class:`ParquetColumn` and the input file's Arrow schema), every other column of the input is carried through
    unchanged, in its place: the input's vector column(s) are replaced by ``column`` at the first one's position.
    Each :meth:`write` appends one row group. The file goes to a temporary name beside ``path`` and replaces it
    only at :meth:`close` (see :class:`~vec2vec_fast.io.AtomicFile`: an existing file only with ``overwrite``).
    """

    def __init__(self, path: PathLike, dim: int, *, column: str = "embedding", overwrite: bool = False,
                 template: Optional[Tuple[ParquetColumn, Any]] = None):
        pa, pq = require_pyarrow()
        self.path = check_output_path(path, overwrite)
        self.dim, self.column = int(dim), column
        self.rows_written = 0
        vector_field = pa.field(column, pa.list_(pa.float32(), self.dim))
        if template is None:
            self._carried: List[str] = []
            self._position = 0
            schema = pa.schema([vector_field])
        else:
            info, in_schema = template
            names = [name for name in in_schema.names if name not in info.columns]
            if column in names:
                raise ValueError(f"{self.path}: the output column {column!r} would replace the input's column of "
                                 f"that name; choose another name")
            self._carried = names
            self._position = in_schema.names.index(info.columns[0])
            self._position -= sum(1 for name in in_schema.names[:self._position] if name in info.columns)
            fields = [in_schema.field(name) for name in names]
            fields.insert(self._position, vector_field)
            metadata = dict(in_schema.metadata or {})
            metadata.pop(b"pandas", None)  # describes the input's columns, which changed
            schema = pa.schema(fields, metadata=metadata or None)
        self.schema = schema
        self._atomic = AtomicFile(self.path, overwrite=overwrite)
        try:
            self._writer = pq.ParquetWriter(self._atomic.file, schema)
        except BaseException:
            self._atomic.abort()
            raise

    def write(self, vectors: np.ndarray, carried: Any = None) -> None:
        """Append ``vectors`` (rows, dim) and, with a template, the same rows of the input (a record batch holding
        at least the carried columns)."""
        pa, _ = require_pyarrow()
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"block of shape {arr.shape} does not fit {self.path}: rows of dimension {self.dim}")
        column = pa.FixedSizeListArray.from_arrays(pa.array(arr.reshape(-1), type=pa.float32()), self.dim)
        arrays = []
        if self._carried:
            if carried is None or carried.num_rows != arr.shape[0]:
                raise ValueError(f"{self.path}: {arr.shape[0]} vectors need the same rows of the carried columns")
            arrays = [carried.column(carried.schema.get_field_index(name)) for name in self._carried]
        arrays.insert(self._position, column)
        self._writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.rows_written += arr.shape[0]

    def close(self) -> Path:
        """Finish the file (its footer) and move it into place."""
        try:
            self._writer.close()
            self._atomic.commit()
        except BaseException:
            self._atomic.abort()
            raise
        return self.path

    def abort(self) -> None:
        try:
            self._writer.close()
        except Exception:  # the temporary file is deleted next; errors closing it do not matter
            pass
        self._atomic.abort()

    def __enter__(self) -> "ParquetVectorWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def transform_parquet_file(info: ParquetColumn, output: PathLike, apply: Callable[[np.ndarray, int], np.ndarray],
                           dim: int, *, column: Optional[str] = None, chunk_rows: int = 16_384,
                           overwrite: bool = False) -> int:
    """Map a Parquet file's vectors into a new Parquet file, streamed: ``apply(block, first_row)`` maps each block
    of at most ``chunk_rows`` rows to ``dim`` columns; the result is written as ``column`` (default: the input's
    list column name; for one-column-per-dimension input, the pattern's literal prefix, ``emb_*`` -> ``emb``) in the
    place of the input's vectors, every other column carried through unchanged, rows in order. Returns the number
    of rows. Memory holds one batch of ``chunk_rows`` rows (all columns) at a time."""
    if column is None:
        column = default_output_column(info)
    reader = ParquetVectors(info, chunk_rows)
    with _open(info.path) as pf:
        in_schema = pf.schema_arrow
    with ParquetVectorWriter(output, dim, column=column, overwrite=overwrite, template=(info, in_schema)) as writer:
        for start, batch in reader._batches(chunk_rows, columns=in_schema.names):
            writer.write(apply(reader._matrix(batch, start), start), batch)
    return writer.rows_written


def default_output_column(info: ParquetColumn) -> str:
    """The output column's default name: the input's list column, or a per-dimension pattern's literal prefix."""
    if not info.per_dimension:
        return info.column
    prefix = info.column
    for c in _GLOB_CHARS:
        prefix = prefix.split(c)[0]
    prefix = prefix.rstrip("_-. ")
    if not prefix:
        raise ValueError(f"{info.path}: no output column name can be made from the pattern {info.column!r}; "
                         f"name one (--out-column)")
    return prefix


__all__ = ["EXTRA_HINT", "PARQUET_SUFFIXES", "ParquetColumn", "ParquetVectorWriter", "ParquetVectors",
           "batch_matrix", "default_output_column", "inspect_parquet", "is_parquet_path", "open_parquet_vectors",
           "parquet_spec", "require_pyarrow", "transform_parquet_file"]
