"""The model file: one ``.npz`` holding a fitted map's arrays and a JSON ``metadata`` member.

Written atomically (:func:`vec2vec_fast.io.atomic_output`); read member by member with every ``.npy`` header
checked before anything is allocated, never through ``np.load`` (no pickle can run, no forged size sizes an
allocation). Which arrays a file holds and what they mean is each method's business (``Method.file_arrays`` and
``Method.load_map``); this module checks what every model file shares.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import ModelFileError
from .io import atomic_output, jsonable

FILE_FORMAT = "vec2vec_fast.Aligner"
FILE_FORMAT_VERSION = 1
# Bounds of what a model file may ask the loader to read. np.savez stores its members uncompressed, so a compressed
# member (a possible zip bomb) is refused; the JSON metadata (hyperparameters, seed, report) is small.
_MAX_METADATA_BYTES = 64 * 2**20
_FLOAT32_MAX = float(np.finfo(np.float32).max)
REQUIRED_META = ("method", "d_a", "d_b", "params", "seed", "scale_a", "scale_b", "report")

ArraySpec = Callable[[Mapping[str, Any], Sequence[str]], Dict[str, Optional[tuple]]]


def library_version() -> str:
    from . import __version__

    return __version__


def write_model(path: Path, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *, overwrite: bool) -> Path:
    """Write ``arrays`` plus ``meta`` (with the format fields added) as one model file; atomic, and an existing
    file is replaced only with ``overwrite``."""
    full = {"format": FILE_FORMAT, "format_version": FILE_FORMAT_VERSION, "library_version": library_version(),
            **meta}
    blob = np.frombuffer(json.dumps(jsonable(full)).encode("utf-8"), dtype=np.uint8)
    with atomic_output(path, overwrite=overwrite) as f:
        np.savez(f, **arrays, metadata=blob)
    return Path(path)


def read_model(path: Path, array_spec: ArraySpec) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """(metadata, arrays) of a model file. ``array_spec(meta, member_names)`` says which arrays to read and their
    expected shapes (it raises ValueError "missing [...]" when some are absent). Every failure is a ModelFileError
    naming the file."""
    try:
        # Our own handle, so a corrupt file cannot leak it.
        with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
            members = _members(path, archive, os.fstat(handle.fileno()).st_size)
            if "metadata" not in members:
                raise ModelFileError(f"{path} is not a vec2vec_fast model file: missing ['metadata']")
            blob = _read_member(path, archive, members["metadata"], "metadata", limit=_MAX_METADATA_BYTES)
            meta = json.loads(blob.tobytes().decode("utf-8"))
            check_format(path, meta)
            try:
                shapes = array_spec(meta, [k for k in members if k != "metadata"])
            except ValueError as err:
                raise ModelFileError(f"{path} is not a vec2vec_fast model file: {err}") from err
            arrays = {k: _read_member(path, archive, members[k], k, shape=shape) for k, shape in shapes.items()}
    except ModelFileError:
        raise
    # zipfile raises RuntimeError for an encrypted member and NotImplementedError for an unknown compression.
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, KeyError, RuntimeError,
            NotImplementedError, RecursionError) as err:
        raise ModelFileError(f"{path} is not a readable vec2vec_fast model file: {err}") from err
    check_meta(path, meta)
    return meta, arrays


def check_format(path: Path, meta: Any) -> None:
    """The format, its version and the library's major.minor version."""
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise ModelFileError(f"{path} is not a vec2vec_fast model file (format {found!r})")
    if meta.get("format_version") != FILE_FORMAT_VERSION:
        raise ModelFileError(f"{path} has file format version {meta.get('format_version')!r}; "
                             f"this library reads version {FILE_FORMAT_VERSION}")
    saved, ours = str(meta.get("library_version")), library_version()
    if saved.split(".")[:2] != ours.split(".")[:2]:
        raise ModelFileError(f"{path} was written by vec2vec_fast {saved}; this is {ours} (major.minor differ)")


def check_meta(path: Path, meta: Dict[str, Any]) -> None:
    """The fields every model file has: present, and the typical norms finite and far below float32's limit."""
    for key in REQUIRED_META:
        if key not in meta:
            raise ModelFileError(f"{path} is corrupt: metadata lacks {key!r}")
    for key in ("scale_a", "scale_b"):
        value = meta[key]
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value)
                or not 0 <= value <= _FLOAT32_MAX / 4):
            raise ModelFileError(f"{path} is corrupt: {key} must be a finite typical norm (>= 0, far below "
                                 f"float32's limit), got {value!r}")
    if not all(isinstance(meta[d], int) and not isinstance(meta[d], bool) and meta[d] > 0 for d in ("d_a", "d_b")):
        raise ModelFileError(f"{path} is corrupt: d_a and d_b must be positive integers, got {meta['d_a']!r}, "
                             f"{meta['d_b']!r}")


def _members(path: Path, archive: zipfile.ZipFile, file_size: int) -> Dict[str, zipfile.ZipInfo]:
    """The archive's members by array name ("W" for "W.npy"), each checked to be stored uncompressed and to fit in
    the file, so that a forged size in the zip directory cannot size an allocation."""
    members: Dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if name in members:
            raise ModelFileError(f"{path} is corrupt: member {info.filename!r} appears twice")
        if info.header_offset + info.compress_size > file_size:
            raise ModelFileError(f"{path} is corrupt: member {info.filename!r} claims more bytes than the file holds")
        members[name] = info
    return members


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *,
                 shape: Optional[tuple] = None, limit: Optional[int] = None) -> np.ndarray:
    """One .npy member, its header checked before its data is read: a plain (non-object) dtype, the expected
    ``shape`` (when given), and a data size equal to what the member really holds (at most ``limit`` bytes)."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelFileError(f"{path} is not a vec2vec_fast model file: member {info.filename!r} is compressed "
                             f"(np.savez stores members uncompressed)")
    if info.file_size != info.compress_size:
        raise ModelFileError(f"{path} is corrupt: member {info.filename!r} claims more bytes than it stores")
    if limit is not None and info.file_size > limit:
        raise ModelFileError(f"{path} is corrupt: member {info.filename!r} has {info.file_size} bytes, more than "
                             f"the {limit} allowed")
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            found, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            found, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ModelFileError(f"{path} is corrupt: {name} has .npy format version {version}")
        if dtype.hasobject or dtype.itemsize == 0:
            raise ModelFileError(f"{path} is corrupt: {name} has dtype {dtype}, not plain numbers")
        if shape is not None and tuple(found) != tuple(shape):
            raise ModelFileError(f"{path} is corrupt: {name} has shape {tuple(found)} dtype {dtype}, expected "
                                 f"finite floats of shape {tuple(shape)}")
        if not all(isinstance(n, int) and n >= 0 for n in found):
            raise ModelFileError(f"{path} is corrupt: {name} has shape {found!r}")
        count = 1
        for n in found:
            count *= n
        nbytes = count * dtype.itemsize
        header = f.tell()
        if nbytes != info.file_size - header:
            raise ModelFileError(f"{path} is corrupt: {name} claims shape {tuple(found)} of {dtype} ({nbytes} "
                                 f"bytes) but holds {info.file_size - header} bytes")
        data = f.read(nbytes)
        if len(data) != nbytes or f.read(1):  # reading to the end checks the member's CRC
            raise ModelFileError(f"{path} is corrupt: {name} is truncated")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(found, order=order).copy(order=order)




def read_metadata(path: Path) -> Dict[str, Any]:
    """The JSON metadata of a model file (after :func:`read_model` has validated it)."""
    with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
        info = _members(Path(path), archive, os.fstat(handle.fileno()).st_size)["metadata"]
        blob = _read_member(Path(path), archive, info, "metadata", limit=_MAX_METADATA_BYTES)
    return json.loads(blob.tobytes().decode("utf-8"))
