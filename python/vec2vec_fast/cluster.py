"""Applying and fitting an Aligner across a Dask cluster (the optional ``dask`` extra).

A fitted :class:`~vec2vec_fast.Aligner` pickles small (the map, two means, the fit report: about 1 MB for a
384 -> 768 map), so it ships to every worker once and maps the blocks where they live. Each row's result depends on
that row alone (``Aligner.transform`` uses :func:`vec2vec_fast.rowwise.matmul_rows`), so the distributed result
equals the local ``aligner.transform`` bit for bit, however the rows are split.

    >>> from dask.distributed import Client                                   # doctest: +SKIP
    >>> client = Client("scheduler:8786")                                     # doctest: +SKIP
    >>> a = read_parquet_vectors("s3://bucket/a/", "embedding")               # doctest: +SKIP
    >>> b = read_parquet_vectors("s3://bucket/b/", "embedding")               # doctest: +SKIP
    >>> aligner = Aligner("mini").fit(sample_rows(a, 100_000, seed=1), sample_rows(b, 100_000, seed=2))
    >>> transform_parquet(aligner, "s3://bucket/a/", "embedding", "s3://bucket/a_in_b/")   # doctest: +SKIP
    >>> y = transform_dask(aligner, a)                                        # a lazy dask.array (n, d_b)

Every function runs on the active ``dask.distributed`` client if there is one, else on Dask's local scheduler.
Parquet is read and written with pyarrow, one task per file, batch by batch, so a worker holds one batch of one
file at a time; any filesystem pyarrow and fsspec reach (local, shared, s3://, gs://) works, and every worker must
see the paths.
"""

from __future__ import annotations

import os
import posixpath
import uuid
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._validation import SeedLike, check_int, resolve_seed

_EXTRA_HINT = "pip install 'vec2vec_fast[dask]'"
_BATCH_ROWS = 65_536  # rows per Parquet record batch read, mapped and written by a worker


def _require(module: str) -> Any:
    """Import an optional dependency, or raise an ImportError that names the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"vec2vec_fast.cluster needs the dask extra ({module} is missing): {_EXTRA_HINT}") from err


def _model_dims(aligner: Any) -> Tuple[int, int]:
    if not hasattr(aligner, "n_features_in_"):
        from .errors import not_fitted

        raise not_fitted("this Aligner is not fitted yet: call fit(X_a, X_b) or Aligner.load(path)")
    return aligner.n_features_in_, aligner.n_features_out_


def _apply(block: np.ndarray, aligner: Any, raw: bool, inverse: bool, d_out: int) -> np.ndarray:
    """One block on a worker: the aligner's own transform (empty blocks pass through with the right width)."""
    if block.shape[0] == 0:
        return np.empty((0, d_out), dtype=np.float32)
    fn = aligner.inverse_transform if inverse else aligner.transform
    return fn(block, raw=raw)


# ------------------------------------------------------------------------------------------------------ dask.array
def transform_dask(aligner: Any, x: Any, *, raw: bool = False, inverse: bool = False) -> Any:
    """Map a ``dask.array`` (or anything ``da.asarray`` takes) of shape (n, d_a) block by block: a lazy (n, d_b)
    float32 ``dask.array`` with x's row chunks. ``.compute()`` equals ``aligner.transform(x)`` exactly.

    The aligner enters the graph once (not once per block). Column chunks are merged first, since a row must be
    whole to be mapped. ``inverse=True`` applies ``inverse_transform`` instead (B -> A).
    """
    da = _require("dask.array")
    dask = _require("dask")
    d_a, d_b = _model_dims(aligner)
    d_in, d_out = (d_b, d_a) if inverse else (d_a, d_b)
    arr = x if isinstance(x, da.Array) else da.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"x must be 2-D (rows, dim), got shape {arr.shape}")
    if arr.shape[1] != d_in:
        raise ValueError(f"x has {arr.shape[1]} columns but the map {'produces' if inverse else 'expects'} {d_in}")
    if len(arr.chunks[1]) > 1:
        arr = arr.rechunk({1: -1})
    shipped = dask.delayed(aligner, pure=True)
    return arr.map_blocks(_apply, shipped, raw, inverse, d_out, dtype=np.float32, chunks=(arr.chunks[0], (d_out,)),
                          meta=np.empty((0, d_out), dtype=np.float32))


def sample_rows(source: Any, n: int, *, seed: SeedLike = 0, column: Optional[str] = None) -> np.ndarray:
    """Draw ``n`` distinct rows, uniformly and reproducibly, from data spread over the cluster: a ``dask.array``
    (n_rows, d), or a Parquet dataset (path, folder or list of files) with its vector ``column``.

    The row indices depend only on (number of rows, n, seed), not on how the data is chunked; each worker extracts
    the chosen rows of its own blocks and only those travel. Returns them in source order as a numpy array (its
    dtype), ready for ``Aligner.fit``:

    >>> aligner = Aligner("mini").fit(sample_rows(a, 100_000, seed=1),
    ...                               sample_rows(b, 100_000, seed=2))  # doctest: +SKIP
    """
    da = _require("dask.array")
    arr = read_parquet_vectors(source, column) if column is not None else source
    if not isinstance(arr, da.Array):
        arr = da.asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"source must be 2-D (rows, dim), got shape {arr.shape}")
    if any(np.isnan(c) for c in arr.chunks[0]):
        arr = arr.compute_chunk_sizes()
    total = int(arr.shape[0])
    n = check_int(n, "n", low=1, high=total)
    rng = np.random.default_rng(resolve_seed(seed))
    index = np.sort(rng.choice(total, size=n, replace=False))
    return np.asarray(arr[index].compute())


# --------------------------------------------------------------------------------------------------------- Parquet
def _files(source: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]) -> Tuple[Any, List[str]]:
    """(filesystem, sorted Parquet file paths) of a file, a folder (recursively) or a list of files."""
    ds = _require("pyarrow.dataset")
    if isinstance(source, (list, tuple)):
        sources = [os.fspath(s) for s in source]
    else:
        sources = os.fspath(source)
    try:
        dataset = ds.dataset(sources, format="parquet")
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{source}: no such Parquet file or folder") from err
    files = sorted(dataset.files)
    if not files:
        raise ValueError(f"{source} holds no Parquet files")
    return dataset.filesystem, files


def _vector_dim(path: str, fs: Any, column: str) -> Tuple[int, Any]:
    """Dimension and value type of the vector column (fixed-size list, or list read from the first row)."""
    pa = _require("pyarrow")
    pq = _require("pyarrow.parquet")
    with pq.ParquetFile(path, filesystem=fs) as pf:
        schema = pf.schema_arrow
        if column not in schema.names:
            raise ValueError(f"{path} has no column {column!r}; it has {schema.names}")
        kind = schema.field(column).type
        if pa.types.is_fixed_size_list(kind):
            return int(kind.list_size), kind.value_type
        if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
            raise TypeError(f"column {column!r} of {path} holds {kind}; vectors must be lists of numbers")
        batch = next(pf.iter_batches(batch_size=1, columns=[column]), None)
        if batch is None or batch.num_rows == 0:
            raise ValueError(f"{path} has no rows to read the vector length from")
        return len(batch.column(0)[0]), kind.value_type


def _column_matrix(chunk: Any, column: str, dim: int, where: str) -> np.ndarray:
    """A pyarrow list / fixed-size list column as an (rows, dim) numpy array, every row checked (the command line's
    checks: a missing vector or value, or a list of another length, is an error naming the column and the row)."""
    from .io.parquet import batch_matrix

    return batch_matrix([chunk], [column], dim, where)


def _read_file(path: str, fs: Any, column: str, dim: int, dtype: np.dtype) -> np.ndarray:
    pq = _require("pyarrow.parquet")
    with pq.ParquetFile(path, filesystem=fs) as pf:
        batches = pf.iter_batches(_BATCH_ROWS, columns=[column])
        blocks = [_column_matrix(b.column(0), column, dim, path) for b in batches]
    return np.concatenate(blocks).astype(dtype, copy=False) if blocks else np.empty((0, dim), dtype=dtype)


def read_parquet_vectors(source: Any, column: str) -> Any:
    """A Parquet dataset's vector column (list or fixed-size list of numbers) as a lazy (n, d) ``dask.array``, one
    block per file. Row counts come from the files' footers, so the shape is known without reading data."""
    da = _require("dask.array")
    dask = _require("dask")
    pq = _require("pyarrow.parquet")
    fs, files = _files(source)
    dim, value_type = _vector_dim(files[0], fs, column)
    dtype = np.dtype(value_type.to_pandas_dtype())
    blocks = []
    for path in files:
        with pq.ParquetFile(path, filesystem=fs) as pf:
            rows = pf.metadata.num_rows
        task = dask.delayed(_read_file, pure=True)(path, fs, column, dim, dtype)
        blocks.append(da.from_delayed(task, shape=(rows, dim), dtype=dtype))
    return da.concatenate(blocks, axis=0)


def _transform_file(path: str, fs: Any, out_fs: Any, out: str, aligner: Any, column: str, out_column: str, raw: bool,
                    inverse: bool, keep_columns: bool, d_in: int, d_out: int) -> int:
    """One task: read a file batch by batch, map its vector column, write the batch to ``out``. Returns rows."""
    pa = _require("pyarrow")
    pq = _require("pyarrow.parquet")
    rows = 0
    with pq.ParquetFile(path, filesystem=fs) as pf:
        columns = None if keep_columns else [column]
        writer = None
        try:
            for batch in pf.iter_batches(_BATCH_ROWS, columns=columns):
                x = _column_matrix(batch.column(batch.schema.get_field_index(column)), column, d_in, path)
                y = _apply(x, aligner, raw, inverse, d_out)
                vectors = pa.FixedSizeListArray.from_arrays(pa.array(y.reshape(-1), type=pa.float32()), d_out)
                table = pa.Table.from_batches([batch])
                if out_column in table.column_names:
                    table = table.set_column(table.column_names.index(out_column), out_column, vectors)
                else:
                    table = table.append_column(out_column, vectors)
                if writer is None:
                    writer = pq.ParquetWriter(out, table.schema, filesystem=out_fs)
                writer.write_table(table)
                rows += batch.num_rows
            if writer is None:  # a file without rows still yields a (row-less) output file with the right schema
                schema = pf.schema_arrow if keep_columns else pa.schema([pf.schema_arrow.field(column)])
                field = pa.field(out_column, pa.list_(pa.float32(), d_out))
                idx = schema.get_field_index(out_column)
                schema = schema.set(idx, field) if idx >= 0 else schema.append(field)
                writer = pq.ParquetWriter(out, schema, filesystem=out_fs)
        finally:
            if writer is not None:
                writer.close()
    return rows


def transform_parquet(aligner: Any, source: Any, column: str, destination: Union[str, os.PathLike], *,
                      out_column: Optional[str] = None, raw: bool = False, inverse: bool = False,
                      keep_columns: bool = True, overwrite: bool = False) -> int:
    """Map the vector ``column`` of a Parquet dataset across the cluster and write a new dataset.

    One task per input file; each writes ``part-NNNNN.parquet`` (in the inputs' sorted order) holding the input's
    other columns (``keep_columns``) and the mapped vectors as ``out_column`` (default: ``column``, replaced), a
    fixed-size list of float32. The files are written into a temporary folder beside ``destination`` that takes its
    place only once every task succeeded; an existing ``destination`` is replaced only with ``overwrite=True``.
    Returns the number of rows written. The vectors equal ``aligner.transform`` of the column exactly.
    """
    dask = _require("dask")
    d_a, d_b = _model_dims(aligner)
    d_in, d_out = (d_b, d_a) if inverse else (d_a, d_b)
    fs, files = _files(source)
    dim, _ = _vector_dim(files[0], fs, column)
    if dim != d_in:
        raise ValueError(f"column {column!r} of {files[0]} holds {dim}-d vectors but the map "
                         f"{'produces' if inverse else 'expects'} {d_in}")
    dest_fs, dest = _destination(destination)
    exists = _exists(dest_fs, dest)
    if exists and not overwrite:
        raise FileExistsError(f"{destination} exists; pass overwrite=True to replace it")
    parent, name = posixpath.split(dest.rstrip("/"))
    staging = posixpath.join(parent, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    dest_fs.create_dir(staging, recursive=True)
    try:
        shipped = dask.delayed(aligner, pure=True)
        tasks = [dask.delayed(_transform_file, pure=False)(path, fs, dest_fs,
                                                            posixpath.join(staging, f"part-{i:05d}.parquet"), shipped,
                                                            column, out_column or column, raw, inverse, keep_columns,
                                                            d_in, d_out)
                 for i, path in enumerate(files)]
        rows = sum(dask.compute(*tasks))
        _replace_dir(dest_fs, staging, dest, exists)
    except BaseException:
        if _exists(dest_fs, staging):
            dest_fs.delete_dir(staging)
        raise
    return int(rows)


def _destination(destination: Union[str, os.PathLike]) -> Tuple[Any, str]:
    """(pyarrow filesystem, path on it) of an output folder: a URI (s3://...) or a local path, made absolute."""
    pafs = _require("pyarrow.fs")
    text = os.fspath(destination)
    if "://" in text:
        return pafs.FileSystem.from_uri(text)
    return pafs.LocalFileSystem(), Path(text).resolve().as_posix()


def _exists(fs: Any, path: str) -> bool:
    pafs = _require("pyarrow.fs")
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def _replace_dir(fs: Any, staging: str, dest: str, exists: bool) -> None:
    """Move the finished staging folder to dest; an old dest is moved aside first and deleted last."""
    if not exists:
        fs.move(staging, dest)
        return
    aside = f"{dest.rstrip('/')}.{uuid.uuid4().hex[:12]}.old"
    fs.move(dest, aside)
    try:
        fs.move(staging, dest)
    except BaseException:
        fs.move(aside, dest)
        raise
    fs.delete_dir(aside)


__all__ = ["read_parquet_vectors", "sample_rows", "transform_dask", "transform_parquet"]
