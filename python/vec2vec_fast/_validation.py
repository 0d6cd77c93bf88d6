"""Input checks shared by every public wrapper: one place that converts, one style of error message."""

from __future__ import annotations

import os
import secrets
from typing import Any, Tuple, Union

import numpy as np

from . import _core
from ._numerics import Magnitudes

SeedLike = Union[int, np.integer, np.random.Generator, None]


def as_float32_matrix(x: Any, name: str, *, check_finite: bool = True, n_threads: int = 1) -> np.ndarray:
    """Return `x` as a 2-D C-contiguous float32 array, copying only when it is not one already.

    float64 (or any real dtype) and non-contiguous arrays are copied once here; C++ never copies.
    """
    return _float32_matrix(x, name, check_finite, n_threads)[0]


def as_float32_matrix_with_range(x: Any, name: str, *, n_threads: int = 1) -> Tuple[np.ndarray, Magnitudes]:
    """As :func:`as_float32_matrix` (finite values required), plus its range of magnitudes, found in the same pass."""
    return _float32_matrix(x, name, True, n_threads)


def _float32_matrix(x: Any, name: str, check_finite: bool, n_threads: int) -> Tuple[np.ndarray, Magnitudes]:
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, dim), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty, got shape {arr.shape}")
    original = arr
    with np.errstate(over="ignore"):  # an overflow to inf is reported below, with its place
        # Aligned too: unpickled buffers (e.g. arrays shipped to Dask workers) can start at any byte, and C++ may
        # not read a float from a misaligned address (UBSan finds it).
        arr = np.require(arr, dtype=np.float32, requirements=["C", "A"])
    if not check_finite:
        return arr, Magnitudes(float("nan"), float("nan"))
    row, col, max_abs, min_row_max = _core.scan_finite(arr, n_threads)
    if row >= 0:
        value = original[row, col].item()
        if np.isfinite(value):
            raise ValueError(f"{name} has {value!r} at row {row}, column {col}, out of float32 range")
        raise ValueError(f"{name} contains a non-finite value {value} at row {row}, column {col}")
    return arr, Magnitudes(float(max_abs), float(min_row_max))


def check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{name_a} has {a.shape[1]} columns but {name_b} has {b.shape[1]}")


def check_int(value: Any, name: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name}={value} must be {bounds}")
    return value


_INT32_MAX = 2**31 - 1


def check_count(value: Any, name: str, *, low: int = 1) -> int:
    """An iteration or restart count: an integer >= low that fits the C int the kernels take."""
    value = check_int(value, name, low=low)
    if value > _INT32_MAX:
        raise ValueError(f"{name}={value} is too large: at most 2**31 - 1")
    return value


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def resolve_n_threads(n_threads: int | None) -> int:
    """scikit-learn's rule: None = the OpenMP limit in force (threadpoolctl's ``threadpool_limits``,
    ``OMP_NUM_THREADS``), capped at the usable cores; -1 = all usable cores, -2 = all but one; 0 is an error."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_threads is None:
        limit = _core.max_threads()  # omp_get_max_threads: what threadpoolctl and OMP_NUM_THREADS set
        env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
        if env.isdigit() and int(env) > 0:  # set after the OpenMP runtime started: OpenMP no longer reads it
            limit = min(limit, int(env))
        return max(1, min(limit, available))
    if isinstance(n_threads, (bool, np.bool_)) or not isinstance(n_threads, (int, np.integer)):
        raise TypeError(f"n_threads must be an integer or None, got {n_threads!r}")
    if n_threads == 0:
        raise ValueError("n_threads=0 is not allowed: use None or -1 for all cores, or a positive count")
    return int(n_threads) if n_threads > 0 else max(1, available + 1 + int(n_threads))


def resolve_seed(seed: SeedLike) -> int:
    """An int (used as is), a numpy Generator (one draw), or None (fresh OS entropy): a uint64 for C++."""
    if seed is None:
        return secrets.randbits(64)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**64, dtype=np.uint64))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed={seed} must be in [0, 2**64)")
    return int(seed)
