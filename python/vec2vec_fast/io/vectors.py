"""Vector files: ``.npy`` (memory-mapped), ``.npz``, and the ``.fvecs`` / ``.ivecs`` / ``.bvecs`` formats of
vector-search benchmarks. Streamed reads in row chunks, and writers that stream rows into a temporary file that
replaces the destination only once complete (never an existing file without ``overwrite=True``).

``.fvecs``: each row is a little-endian int32 dimension ``d`` followed by ``d`` float32 values (``.ivecs``: int32
values, ``.bvecs``: uint8 values), as in the SIFT/GIST benchmark sets.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Optional, Tuple, Union

import numpy as np

from .atomic import AtomicFile, check_output_path

PathLike = Union[str, "os.PathLike[str]"]

READ_SUFFIXES = (".npy", ".npz", ".fvecs", ".ivecs", ".bvecs")
WRITE_SUFFIXES = (".npy", ".npz", ".fvecs")
_XVECS = {".fvecs": np.dtype("<f4"), ".ivecs": np.dtype("<i4"), ".bvecs": np.dtype("u1")}
_READ_BYTES = 64 * 2**20  # validation reads the file in pieces of about this size
_MAX_DIM = 1 << 24        # an xvecs "dimension" above this is taken as a sign of a foreign file




@dataclass(frozen=True)
class VectorFile:
    """Where a file's rows are, read from its header alone.

    ``offset``: byte position of row 0; ``row_bytes``: bytes from one row to the next; ``skip``: bytes of per-row
    header before the values (4 for xvecs, 0 for npy). For ``.npz`` the member is read whole and these are unused.
    """

    path: Path
    format: str
    shape: Tuple[int, int]
    dtype: np.dtype
    key: Optional[str] = None
    offset: int = 0
    row_bytes: int = 0
    skip: int = 0
    fortran_order: bool = False

    @property
    def streamable(self) -> bool:
        """Rows can be read in chunks straight from the file (C-order .npy and xvecs)."""
        return self.format != "npz" and not self.fortran_order


def _existing_file(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder, not a vector file")
    return p


def _suffix(path: Path, allowed: Tuple[str, ...], what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        kind = repr(suffix) if suffix else "(no suffix)"
        raise ValueError(f"{path}: unknown {what} file type {kind}; use one of {', '.join(allowed)}")
    return suffix


def _check_dtype(path: Path, dtype: np.dtype) -> None:
    if dtype.kind not in "fiu" or dtype.fields is not None:
        raise TypeError(f"{path} holds {dtype} values; vectors must be real numbers")


def _npy_header(f: BinaryIO, path: Path) -> Tuple[Tuple[int, ...], bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(f)
        return np.lib.format.read_array_header_2_0(f)
    except ValueError as err:
        raise ValueError(f"{path} is not a valid .npy file: {err}") from err


def _as_matrix_shape(path: Path, shape: Tuple[int, ...]) -> Tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"{path} holds an array of shape {shape}; vectors must be 2-D (rows, dim)")
    if shape[0] == 0 or shape[1] == 0:
        raise ValueError(f"{path} holds an empty array of shape {shape}")
    return int(shape[0]), int(shape[1])


def inspect_vectors(path: PathLike, key: Optional[str] = None) -> VectorFile:
    """Describe a vector file from its header (and, for xvecs, its size and first and last row), reading no data.

    Raises FileNotFoundError, ValueError (unknown type, not 2-D, inconsistent xvecs dimensions, missing or
    ambiguous ``.npz`` key) or TypeError (non-numeric values), each naming the file.
    """
    p = _existing_file(path)
    suffix = _suffix(p, READ_SUFFIXES, "vector")
    if key is not None and suffix != ".npz":
        raise ValueError(f"{p}: a key ({key!r}) only applies to .npz files")
    if suffix == ".npy":
        with open(p, "rb") as f:
            shape, fortran, dtype = _npy_header(f, p)
            offset = f.tell()
        _check_dtype(p, dtype)
        n, d = _as_matrix_shape(p, shape)
        expected = offset + n * d * dtype.itemsize
        if p.stat().st_size < expected:
            raise ValueError(f"{p} is truncated: {p.stat().st_size} bytes, its header promises {expected}")
        return VectorFile(p, "npy", (n, d), dtype, None, offset, d * dtype.itemsize, 0, bool(fortran))
    if suffix == ".npz":
        key = _npz_key(p, key)
        with _open_npz(p) as archive:
            member = archive.zip.open(f"{key}.npy")
            shape, fortran, dtype = _npy_header(member, p)
        _check_dtype(p, dtype)
        return VectorFile(p, "npz", _as_matrix_shape(p, shape), dtype, key, fortran_order=bool(fortran))
    values = _XVECS[suffix]
    size = p.stat().st_size
    if size < 4:
        raise ValueError(f"{p} is empty or truncated ({size} bytes): not a {suffix} file")
    with open(p, "rb") as f:
        d = int(np.fromfile(f, dtype="<i4", count=1)[0])
        if not 0 < d <= _MAX_DIM:
            raise ValueError(f"{p}: first row has dimension {d}; not a {suffix} file")
        row = 4 + d * values.itemsize
        if size % row:
            raise ValueError(f"{p}: {size} bytes is not a whole number of {row}-byte rows of dimension {d}; "
                             f"the rows have different dimensions or the file is truncated")
        f.seek(size - row)
        last = int(np.fromfile(f, dtype="<i4", count=1)[0])
    if last != d:
        raise ValueError(f"{p}: row {size // row - 1} has dimension {last} but row 0 has {d}")
    return VectorFile(p, suffix[1:], (size // row, d), values, None, 0, row, 4)


def _open_npz(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{path} is not a readable .npz file: {err}") from err


def _npz_key(path: Path, key: Optional[str]) -> str:
    with _open_npz(path) as archive:
        names = list(archive.files)
    if key is None:
        if len(names) != 1:
            raise ValueError(f"{path} holds {len(names)} arrays {names}: name one as {path}:KEY (or key=)")
        return names[0]
    if key not in names:
        raise ValueError(f"{path} has no array {key!r}; it holds {names}")
    return key


def _xvecs_dtype(info: VectorFile) -> np.dtype:
    return np.dtype([("dim", "<i4"), ("values", info.dtype, (info.shape[1],))])


def _check_xvecs_rows(info: VectorFile, dims: np.ndarray, first_row: int) -> None:
    bad = np.flatnonzero(dims != info.shape[1])
    if bad.size:
        row = first_row + int(bad[0])
        raise ValueError(f"{info.path}: row {row} has dimension {int(dims[bad[0]])} but row 0 has {info.shape[1]}")


def open_vectors(path: PathLike, key: Optional[str] = None, *, check: bool = True) -> np.ndarray:
    """The vectors of a file as an (n, d) array, memory-mapped read-only where the format allows.

    ``.npy``: ``np.load(mmap_mode="r")``, nothing is read until used. ``.fvecs``/``.ivecs``/``.bvecs``: a read-only
    memory map viewed past the per-row headers (a strided view: code that needs contiguous rows copies what it
    uses). ``.npz``: the member named by ``key`` (or the only one) is read into memory. With ``check`` (default),
    every xvecs row header is verified to carry the same dimension, reading the file once in pieces (not through the
    map, so resident memory does not grow); without it only the first and last rows are checked.
    """
    info = inspect_vectors(path, key)
    if info.format == "npy":
        return np.load(info.path, mmap_mode="r", allow_pickle=False)
    if info.format == "npz":
        with _open_npz(info.path) as archive:
            return archive[info.key]
    if check:
        for _ in iter_chunks(info, max(1, _READ_BYTES // info.row_bytes)):
            pass  # iter_chunks raises on the first row whose dimension differs
    records = np.memmap(info.path, dtype=_xvecs_dtype(info), mode="r", shape=(info.shape[0],))
    return records["values"]


def iter_chunks(source: Union[PathLike, VectorFile, Any], chunk_rows: int = 65_536, *,
                key: Optional[str] = None) -> Iterator[np.ndarray]:
    """Yield consecutive row blocks of at most ``chunk_rows`` rows, in the source's own dtype.

    ``source`` is a path (or a :class:`VectorFile`), read block by block with ordinary file reads, so memory holds
    one block whatever the file's size (a memory map would keep every page it touched resident); anything with an
    ``iter_blocks(chunk_rows)`` method (:class:`~vec2vec_fast.io.ParquetVectors`, a read faiss index), read that
    way; or any 2-D array (numpy, memmap, h5py-like), sliced. xvecs rows are checked for a consistent dimension as
    they are read. Blocks read from files are fresh arrays that later blocks never overwrite.
    """
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    chunk_rows = int(chunk_rows)
    if isinstance(source, (str, os.PathLike)):
        source = inspect_vectors(source, key)
    if callable(getattr(source, "iter_blocks", None)):  # a Parquet column or a faiss index, batch by batch
        yield from source.iter_blocks(chunk_rows)
        return
    if isinstance(source, VectorFile):
        if not source.streamable:
            source = open_vectors(source.path, source.key, check=False)
        else:
            yield from _read_blocks(source, chunk_rows)
            return
    shape = getattr(source, "shape", None)
    if shape is None or len(shape) != 2:
        raise ValueError(f"iter_chunks needs a 2-D array or a vector file, got shape {shape}")
    for start in range(0, shape[0], chunk_rows):
        yield source[start:start + chunk_rows]


def _read_blocks(info: VectorFile, chunk_rows: int) -> Iterator[np.ndarray]:
    n, d = info.shape
    record = _xvecs_dtype(info) if info.skip else None
    with open(info.path, "rb") as f:
        f.seek(info.offset)
        for start in range(0, n, chunk_rows):
            rows = min(chunk_rows, n - start)
            buf = np.fromfile(f, dtype=np.uint8, count=rows * info.row_bytes)
            if buf.size != rows * info.row_bytes:
                raise ValueError(f"{info.path} is truncated at row {start + buf.size // info.row_bytes} of {n}")
            if record is None:
                yield buf.view(info.dtype).reshape(rows, d)
            else:
                recs = buf.view(record)
                _check_xvecs_rows(info, recs["dim"], start)
                yield recs["values"]


# ---------------------------------------------------------------------------------------------------------- writing
class VectorWriter:
    """Stream ``n_rows`` rows of dimension ``dim`` into a new ``.npy``, ``.npz`` (one stored member, ``key``) or
    ``.fvecs`` file.

    Rows go to a temporary file in the destination's folder with plain writes (memory holds the block being written,
    never the file); :meth:`close` checks that exactly ``n_rows`` arrived and then moves the file into place in one
    step, so readers never see a partial file. An existing destination is refused unless ``overwrite=True``, both
    when the writer opens and when it commits. Leaving a ``with`` block by an exception removes the temporary file.
    The file is written through :class:`AtomicFile` (its overwrite and permission rules).
    """

    def __init__(self, path: PathLike, n_rows: int, dim: int, *, dtype: Any = np.float32, overwrite: bool = False,
                 key: str = "arr_0"):
        self.path = check_output_path(path, overwrite)
        self.format = _suffix(self.path, WRITE_SUFFIXES, "output")[1:]
        self.n_rows, self.dim = int(n_rows), int(dim)
        if self.n_rows < 0 or self.dim < 1:
            raise ValueError(f"cannot write {self.n_rows} rows of dimension {self.dim}")
        self.dtype = np.dtype(np.float32 if self.format == "fvecs" else dtype)
        self.overwrite = overwrite
        self.rows_written = 0
        self._atomic = AtomicFile(self.path, overwrite=overwrite)
        self._file: Optional[BinaryIO] = self._atomic.file
        self._zip: Optional[zipfile.ZipFile] = None
        self._out: Any = self._file
        try:
            header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                      "shape": (self.n_rows, self.dim)}
            if self.format == "npz":
                self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
                self._out = self._zip.open(f"{key}.npy", "w", force_zip64=True)
            if self.format in ("npy", "npz"):
                np.lib.format.write_array_header_1_0(self._out, header)
        except BaseException:
            self.abort()
            raise

    def write(self, block: Any) -> None:
        """Append rows: a (rows, dim) array of any real dtype, converted to the file's dtype."""
        if self._file is None:
            raise ValueError(f"writer for {self.path} is closed")
        arr = np.asarray(block)
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ValueError(f"block of shape {arr.shape} does not fit {self.path}: rows of dimension {self.dim}")
        if self.rows_written + arr.shape[0] > self.n_rows:
            raise ValueError(f"{self.path}: {self.rows_written + arr.shape[0]} rows exceed the declared {self.n_rows}")
        if self.format == "fvecs":
            rec = np.empty(arr.shape[0], dtype=[("dim", "<i4"), ("values", "<f4", (self.dim,))])
            rec["dim"] = self.dim
            rec["values"] = arr
            self._out.write(rec.data)
        else:
            self._out.write(np.ascontiguousarray(arr, dtype=self.dtype).data)
        self.rows_written += arr.shape[0]

    def close(self) -> Path:
        """Finish the file and move it into place; raises (and removes the temporary file) if rows are missing."""
        if self._file is None:
            raise ValueError(f"writer for {self.path} is closed")
        try:
            if self.rows_written != self.n_rows:
                raise ValueError(f"{self.path}: only {self.rows_written} of {self.n_rows} rows were written")
            if self._zip is not None:
                self._out.close()
                self._zip.close()
            self._file = None
            self._atomic.commit()
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; the destination is left as it was."""
        for closable in (self._out if self._zip is not None else None, self._zip):
            try:
                if closable is not None:
                    closable.close()
            except Exception:  # the temporary file is deleted next; errors closing it do not matter
                pass
        self._file = None
        self._atomic.abort()

    def __enter__(self) -> "VectorWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        elif self._file is not None:
            self.abort()


def save_vectors(path: PathLike, x: Any, *, overwrite: bool = False, key: str = "arr_0",
                 chunk_rows: int = 65_536) -> Path:
    """Write an (n, d) array (or memory map) to ``.npy``, ``.npz`` or ``.fvecs``, chosen by the suffix, in chunks
    and atomically. ``.npy``/``.npz`` keep the array's dtype; ``.fvecs`` stores float32."""
    shape = getattr(x, "shape", None)
    if shape is None:
        x = np.asarray(x)
        shape = x.shape
    if len(shape) != 2:
        raise ValueError(f"vectors must be 2-D (rows, dim), got shape {tuple(shape)}")
    dtype = getattr(x, "dtype", np.float32)
    with VectorWriter(path, shape[0], shape[1], dtype=dtype, overwrite=overwrite, key=key) as writer:
        for block in iter_chunks(x, chunk_rows):
            writer.write(block)
    return Path(path)


def write_fvecs(path: PathLike, x: Any, *, overwrite: bool = False) -> Path:
    """Write an (n, d) array as ``.fvecs`` (float32 values), atomically. The path must end in ``.fvecs``."""
    if Path(path).suffix.lower() != ".fvecs":
        raise ValueError(f"{path}: write_fvecs writes .fvecs files")
    return save_vectors(path, x, overwrite=overwrite)

