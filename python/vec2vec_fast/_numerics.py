"""Numerical helpers every layer shares: unit rows, centring, typical norms, power-of-two scaling, float64 checks.

Private: the public wrappers (knn, procrustes, ...) and the pipelines build on these; nothing here validates user
input beyond what its docstring says.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Optional

import numpy as np

ROW_BLOCK = 8_192  # rows per float64 block when centring and normalising

# Magnitudes the float32 kernels take as they are: squares and products of values up to 2**40 (sums of d of them
# included) stay far inside float32's range, and values down to 2**-40 keep full precision in them. A matrix whose
# largest |value| lies outside is first multiplied by a power of two (exact, a copy); the wrappers undo the scale on
# the results where it shows (scores, centroids, inertia). So any finite float32 input gives the exact answer.
FLOAT32_SAFE_EXPONENT = 40
# The float64 kernels (QAP): products of values up to 2**200, summed n**2 times, stay far inside float64.
FLOAT64_SAFE_EXPONENT = 200


class Magnitudes(NamedTuple):
    max_abs: float      # the largest |value|
    min_row_max: float  # the smallest non-zero row's largest |value| (0 when every row is zero)


def unit_rows(x: np.ndarray, mean: Optional[np.ndarray] = None) -> np.ndarray:
    """Rows (minus ``mean``) scaled to unit length, as float32; zero rows stay zero. Differences, norms and quotients
    are taken in float64, a block of rows at a time: exact for any finite float32 input (float32 norms overflow above
    ~1e19 and underflow below ~1e-19)."""
    out = np.empty(x.shape, dtype=np.float32)
    for start in range(0, len(x), ROW_BLOCK):
        rows = np.asarray(x[start:start + ROW_BLOCK], dtype=np.float64)
        if mean is not None:
            rows = rows - mean.astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
        out[start:start + ROW_BLOCK] = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return out


def preprocess(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Centre then L2-normalise rows (spec 1.2): normalize(x - mean), float32, zero rows stay zero."""
    return unit_rows(x, mean)


def typical_norm(x: np.ndarray, mean: np.ndarray) -> float:
    """Mean norm of the centred rows, in float64 blocks (no full centred copy, no float32 overflow)."""
    total = 0.0
    for start in range(0, len(x), ROW_BLOCK):
        rows = np.asarray(x[start:start + ROW_BLOCK], dtype=np.float64) - mean.astype(np.float64)
        total += float(np.sqrt(np.einsum("ij,ij->i", rows, rows)).sum())
    return total / len(x)


def float32_mean(x: np.ndarray) -> np.ndarray:
    """Column means accumulated in float64, returned as float32 (what every fit stores as mean_a / mean_b)."""
    return x.mean(0, dtype=np.float64).astype(np.float32)


def orthogonality_error(W: np.ndarray) -> float:
    """max |W^T W - I| (or |W W^T - I| when W is wide): 0 for a (semi-)orthogonal map."""
    gram = W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T
    return float(np.abs(gram.astype(np.float64) - np.eye(gram.shape[0])).max())


def mean_row_cosine(x: np.ndarray, y: np.ndarray) -> float:
    """Mean cosine between row i of x and row i of y (zero rows count as 0)."""
    return float(np.mean(np.sum(unit_rows(x) * unit_rows(y), axis=1)))


def as_float64_matrix(x: Any, name: str, *, check_finite: bool = False) -> np.ndarray:
    """2-D real array as C-contiguous float64 (small matrices: cost, kernels); copies when needed. With
    `check_finite`, a NaN or infinity is a ValueError naming its place."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {arr.shape}")
    arr = np.require(arr, dtype=np.float64, requirements=["C", "A"])  # aligned: see as_float32_matrix
    if check_finite and not np.isfinite(arr).all():
        r, c = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} contains a non-finite value {arr[r, c]} at row {r}, column {c}")
    return arr


def range_exponent(*max_abs: float, limit: int = FLOAT32_SAFE_EXPONENT) -> int:
    """0 when the largest of `max_abs` is 0 or within [2**-limit, 2**limit]; else the e for which that largest value
    times 2**-e lies in [0.5, 1)."""
    top = max(max_abs)
    if top == 0 or 2.0**-limit <= top <= 2.0**limit:
        return 0
    return math.frexp(top)[1]


def unit_rows_where_needed(x: np.ndarray, magnitudes: Magnitudes) -> np.ndarray:
    """For the scale-free cosine kernels: `x` itself when its rows' magnitudes stay within [2**-40, 2**40] and within
    2**20 of each other, else its rows normalised in float64 (exact; zero rows stay zero), a float32 copy. Products
    of such rows neither overflow nor underflow float32 (a row 1e-45 next to rows of 1 would count as a zero row)."""
    top, low = magnitudes
    if top == 0 or (2.0**-FLOAT32_SAFE_EXPONENT <= top <= 2.0**FLOAT32_SAFE_EXPONENT and low >= top * 2.0**-20):
        return x
    return unit_rows(x)


def scale_by_power_of_two(x: np.ndarray, exponent: int) -> np.ndarray:
    """x * 2**-exponent in x's dtype (exact unless a value leaves the normal range); `x` itself when exponent is 0."""
    if exponent == 0:
        return x
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(x, -exponent).astype(x.dtype, copy=False)
