"""The one atomic writer every file the package writes goes through (vectors, model files, GAN checkpoints): one
overwrite rule, one permission rule (a new file gets the mode ``open(path, "w")`` would give it; a replaced file
keeps its own), and :func:`jsonable`, the one JSON sanitiser for their metadata."""

from __future__ import annotations

import math
import os
import secrets
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Mapping, Optional, Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


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

