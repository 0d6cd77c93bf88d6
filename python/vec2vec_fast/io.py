"""Vector files: ``.npy`` (memory-mapped), ``.npz``, and the ``.fvecs`` / ``.ivecs`` / ``.bvecs`` formats of
vector-search benchmarks. Streamed reads in row chunks, and writers that stream rows into a temporary file that
replaces the destination only once complete (never an existing file without ``overwrite=True``).

Every file the package writes (vectors, model files, GAN checkpoints) goes through :func:`atomic_output` /
:class:`AtomicFile`: one overwrite rule, one permission rule (a new file gets the mode ``open(path, "w")`` would give
it; a replaced file keeps its own), and :func:`jsonable` is the one JSON sanitiser for their metadata.

``.fvecs``: each row is a little-endian int32 dimension ``d`` followed by ``d`` float32 values (``.ivecs``: int32
values, ``.bvecs``: uint8 values), as in the SIFT/GIST benchmark sets.

Examples
--------
>>> x = open_vectors("base.fvecs")                         # doctest: +SKIP
>>> for block in iter_chunks("base.npy", 65_536): ...      # doctest: +SKIP
>>> with VectorWriter("out.npy", n_rows=n, dim=768) as w:  # doctest: +SKIP
...     w.write(block)
"""

from __future__ import annotations

import math
import os
import secrets
import stat
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Mapping, Optional, Tuple, Union

import numpy as np

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
    one block whatever the file's size (a memory map would keep every page it touched resident); or any 2-D array
    (numpy, memmap, h5py-like), sliced. xvecs rows are checked for a consistent dimension as they are read.
    Blocks read from files are fresh arrays that later blocks never overwrite.
    """
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    chunk_rows = int(chunk_rows)
    if isinstance(source, (str, os.PathLike)):
        source = inspect_vectors(source, key)
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


def check_output_path(path: PathLike, overwrite: bool) -> Path:
    """Refuse an output that exists (unless ``overwrite``), is a folder, or whose folder does not exist."""
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder; give a file name")
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p} exists; {_EXISTS_HINT}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{parent}: output folder does not exist")
    return p


# ------------------------------------------------------------------------------------------------- atomic writes
_EXISTS_HINT = "pass overwrite=True (--overwrite) to replace it"
_NEW_FILE_MODE = 0o666  # what open(path, "w") asks for; the kernel takes the umask (or a default ACL) off it
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux: /proc/self/status).

    The fallback (os.umask set and restored, under a lock) is correct for this package's threads but, for a moment,
    not for files other threads create.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _create_temp(path: Path, mode: int) -> Tuple[Path, int]:
    """A new, empty, hidden file next to ``path`` (same folder, so the final rename stays on one file system)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, mode)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {path}")  # pragma: no cover


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """A file written under a temporary name beside ``path`` and moved into place by :meth:`commit`.

    The overwrite rule (the only one in the package): an existing ``path`` is refused with FileExistsError unless
    ``overwrite``, both here (before anything is written) and at commit, where a file that appeared meanwhile is
    never replaced (``os.link``, which fails if the name exists; where hard links are unsupported, a check and then
    a rename). :meth:`commit` flushes and fsyncs the data, then renames it into place in one step, so readers see
    the old file or the complete new one, never a partial one. :meth:`abort` (or any failure in commit) removes the
    temporary file and leaves ``path`` as it was.

    Permissions: a new file gets what ``open(path, "w")`` would give it (0666 less the umask, or the folder's
    default ACL); a replaced file keeps its own permission bits (as read at commit). The temporary file of a
    replacement is created 0600 until then, so the data is never more readable than the file it replaces.

    ``file`` is the binary file object to write to; closing it early is harmless.
    """

    def __init__(self, path: PathLike, *, overwrite: bool):
        self.path = check_output_path(path, overwrite)
        self.overwrite = bool(overwrite)
        self._private = self.overwrite and self.path.exists()
        self.tmp, self._fd = _create_temp(self.path, 0o600 if self._private else _NEW_FILE_MODE)
        self.file: Optional[BinaryIO] = os.fdopen(self._fd, "wb", closefd=False)

    def commit(self) -> Path:
        """Flush, fsync and move the file into place; returns ``path``. On any failure the temporary file is removed
        (and an existing ``path`` left untouched) before the error propagates."""
        if self.file is None:
            raise ValueError(f"{self.path}: this output was already committed or aborted")
        try:
            if not self.file.closed:
                self.file.flush()
            self._set_mode()
            os.fsync(self._fd)
            self._close()
            _move_into_place(self.tmp, self.path, self.overwrite)
        except BaseException:
            self.abort()
            raise
        self.file = None
        _fsync_folder(self.path.parent)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; ``path`` is left as it was. Safe to call more than once."""
        try:
            self._close()
        except OSError:  # the file is deleted next; errors closing it do not matter
            pass
        self.file = None
        self.tmp.unlink(missing_ok=True)

    def _set_mode(self) -> None:
        mode = None
        if self.overwrite:
            try:
                mode = stat.S_IMODE(os.stat(self.path).st_mode) & 0o777
            except FileNotFoundError:  # gone since we looked: it is a new file after all
                mode = _NEW_FILE_MODE & ~current_umask() if self._private else None
        if mode is not None and hasattr(os, "fchmod"):
            try:
                os.fchmod(self._fd, mode)
            except OSError:  # a file system without permission bits: write anyway
                pass

    def _close(self) -> None:
        if self.file is not None and not self.file.closed:
            try:
                self.file.close()
            except ValueError:
                pass
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


@contextmanager
def atomic_output(path: PathLike, *, overwrite: bool) -> Iterator[BinaryIO]:
    """Write a file atomically: ``with atomic_output(path, overwrite=False) as f: f.write(data)``.

    Yields a binary file object in a temporary file beside ``path``; leaving the block normally fsyncs it and moves
    it into place, leaving it by an exception removes it (an existing ``path`` stays untouched). Raises
    FileExistsError (naming ``path``; ``overwrite=True`` / ``--overwrite`` replaces) when ``path`` exists without
    ``overwrite``, checked before the block runs and again, without a race, at the move; IsADirectoryError /
    FileNotFoundError for a folder or a missing folder. A new file gets the permissions ``open(path, "w")`` gives;
    a replaced one keeps its own. See :class:`AtomicFile`.
    """
    out = AtomicFile(path, overwrite=overwrite)
    try:
        yield out.file  # type: ignore[misc]
    except BaseException:
        out.abort()
        raise
    out.commit()


def _move_into_place(tmp: Path, path: Path, overwrite: bool) -> None:
    """Rename a finished temporary file to ``path``; without overwrite, never clobber a file that appeared meanwhile."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: no window in which another writer's file could be replaced
    except FileExistsError:
        raise FileExistsError(f"{path} exists; {_EXISTS_HINT}") from None
    except OSError:  # hard links unsupported here: check, then rename
        if path.exists():
            raise FileExistsError(f"{path} exists; {_EXISTS_HINT}") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def jsonable(value: Any) -> Any:
    """``value`` made writable as standard JSON: mapping keys as strings, tuples as lists, numpy scalars and arrays
    (and anything else with ``tolist``, e.g. torch tensors) as Python numbers and lists, and non-finite floats as the
    strings ``"nan"``, ``"inf"``, ``"-inf"`` (``json.dumps`` would write bare ``NaN``, which strict parsers refuse).
    Anything else is returned as it is."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if callable(getattr(value, "tolist", None)):  # numpy arrays, torch tensors
        return jsonable(value.tolist())
    return value


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


__all__ = ["AtomicFile", "VectorFile", "VectorWriter", "atomic_output", "check_output_path", "current_umask",
           "inspect_vectors", "iter_chunks", "jsonable", "open_vectors", "save_vectors", "write_fvecs"]
