"""Sampled reads of inputs larger than memory: rows gathered in file order, a memory map's pages released as it
goes."""

from __future__ import annotations

import ctypes
import functools
import mmap
import os
import sys
from typing import Any, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


_GATHER_ROWS = 8_192  # sampled rows read per chunk from a large (possibly memory-mapped) input


def read_sampled_rows(x: Any, rows: np.ndarray) -> np.ndarray:
    """``x[rows]`` for sorted row indices, gathered in chunks in file order; a read-only memory map's pages are
    released after each chunk, so sampling a file larger than memory never makes it resident whole."""
    shape = x.shape
    sample = np.empty((len(rows), shape[1]), dtype=np.result_type(getattr(x, "dtype", np.float32), np.float32))
    for start in range(0, len(rows), _GATHER_ROWS):
        chunk = rows[start:start + _GATHER_ROWS]
        sample[start:start + len(chunk)] = x[chunk]
        release_mapped_rows(x, int(chunk[0]), int(chunk[-1]))
    return sample


def release_mapped_rows(x: np.ndarray, first: int, last: int) -> None:
    """Drop rows first..last of a read-only memory map from this process's resident memory (madvise DONTNEED).

    Reading 1 row in 10 of a mapped file faults in nearly all of it (readahead, fault-around), so a sampled read of a
    3 GB file would otherwise show as 3 GB resident. Nothing is lost: the pages were never written and stay in the
    page cache. Only for mode "r" maps (on anonymous or copy-on-write memory DONTNEED would discard data)."""
    if not (isinstance(x, np.memmap) and x.mode == "r" and x.strides[0] > 0 and sys.platform.startswith("linux")):
        return
    page = mmap.PAGESIZE
    start = x.ctypes.data + first * x.strides[0]
    end = x.ctypes.data + (last + 1) * x.strides[0]
    start -= start % page
    end += -end % page
    _libc().madvise(ctypes.c_void_p(start), ctypes.c_size_t(end - start), mmap.MADV_DONTNEED)


@functools.lru_cache(maxsize=None)
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return libc
