"""Orthogonal Procrustes (also between different dimensions) and re-orthogonalisation."""

from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._numerics import as_float64_matrix, range_exponent, scale_by_power_of_two
from ._validation import as_float32_matrix_with_range, check_int, resolve_n_threads


def procrustes(
    X: ArrayLike,
    Y: ArrayLike,
    *,
    weights: Optional[ArrayLike] = None,
    exact: bool = False,
    max_iter: int = 1000,
    tol: float = 1e-12,
    n_threads: Optional[int] = None,
) -> NDArray[np.float32]:
    """The semi-orthogonal W (d_x, d_y) that best maps X onto Y: sum_i w_i * |x_i W - y_i|^2 is minimal.

    Parameters
    ----------
    X : (n, d_x) array
    Y : (n, d_y) array
        Paired rows. float32 C-contiguous input is used in place; other dtypes/layouts are copied once to float32.
        Any finite float32 magnitude works: an input whose largest |value| is outside [2**-40, 2**40] is used as a
        copy scaled by a power of two, which leaves W unchanged.
    weights : (n,) array of non-negative finite values, optional
    exact : bool
        Only matters when d_x > d_y (see Notes): iterate to the exact least-squares map.
    max_iter, tol : the exact iteration's cap and its stopping rule (relative decrease of the objective).
    n_threads : int or None

    Returns
    -------
    W : (d_x, d_y) float32
        W^T W = I when d_x >= d_y (a square orthogonal map when equal); W W^T = I when d_x < d_y.

    Notes
    -----
    W = U V^T from the thin SVD of M = X^T diag(w) Y: M is accumulated in float64 (the O(n d^2) part, in parallel,
    the same bits for any n_threads) and its SVD runs in float32, the precision scipy uses for float32 input. With
    d_x = d_y this is :func:`scipy.linalg.orthogonal_procrustes`.

    When d_x <= d_y, W W^T = I makes |X W|^2 constant, so this W minimises the squared error exactly. When d_x > d_y
    (e.g. 768 -> 384) |X W|^2 depends on W and U V^T only maximises trace(W^T M) (exact for whitened X). ``exact=True``
    then runs the majorisation iteration of Kiers (1990), W <- polar(M + (lambda_max I - X^T W X) W), which lowers the
    error at every step; it works on d x d matrices after one extra O(n d_x^2) pass.
    """
    threads = resolve_n_threads(n_threads)
    x, (x_max, _) = as_float32_matrix_with_range(X, "X", n_threads=threads)
    y, (y_max, _) = as_float32_matrix_with_range(Y, "Y", n_threads=threads)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"X has {x.shape[0]} rows but Y has {y.shape[0]}: Procrustes needs paired rows")
    if weights is None:
        w = np.empty(0, dtype=np.float32)
    else:
        w = np.asarray(weights)
        if w.dtype.kind not in "fiu" or w.dtype.kind == "b":
            raise TypeError(f"weights must be real-valued, got dtype {w.dtype}")
        if w.shape != (x.shape[0],):
            raise ValueError(f"weights has shape {w.shape}, expected ({x.shape[0]},)")
        w = w.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if bad.size:
            raise ValueError(f"weights must be finite and >= 0, got {w[bad[0]]} at index {bad[0]}")
        if not w.any():
            raise ValueError("weights are all zero: no pair constrains the map")
        # Positive scalings of the weights, of X and of Y leave W unchanged (the exact fit needs X and Y scaled
        # alike): inputs beyond float32's comfortable range are used as copies scaled by powers of two. The weights
        # are scaled in float64, so any finite weights work (those below 2**-149 of the largest count as 0).
        w = scale_by_power_of_two(w, range_exponent(float(w.max()))).astype(np.float32)
    if not exact or x.shape[1] <= y.shape[1]:
        x, y = scale_by_power_of_two(x, range_exponent(x_max)), scale_by_power_of_two(y, range_exponent(y_max))
        return _core.procrustes(x, y, w, threads)
    max_iter = check_int(max_iter, "max_iter", low=1)
    if not (isinstance(tol, (int, float, np.floating)) and np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    e = range_exponent(x_max, y_max)
    x, y = scale_by_power_of_two(x, e), scale_by_power_of_two(y, e)
    return _unbalanced_procrustes(x, y, w, max_iter, float(tol), threads).astype(np.float32)


def _unbalanced_procrustes(x, y, w, max_iter, tol, threads):
    """min |X W - Y| over W with orthonormal columns (d_x > d_y), by majorisation (Kiers 1990)."""
    gram = _core.cross_covariance(x, x, w, threads)  # X^T diag(w) X, (d_x, d_x)
    cross = _core.cross_covariance(x, y, w, threads)  # X^T diag(w) Y, (d_x, d_y)
    lam = float(np.linalg.eigvalsh(gram)[-1])

    def objective(W):  # the squared error without its constant |Y|^2 term
        return float(np.sum(W * (gram @ W)) - 2.0 * np.sum(W * cross))

    W = _core.polar_factor(cross, False)
    current = objective(W)
    for _ in range(max_iter):
        W_next = _core.polar_factor(cross + lam * W - gram @ W, False)
        value = objective(W_next)
        W, previous, current = W_next, current, value
        if previous - current <= tol * max(abs(current), 1e-300):
            break
    return W


def orthogonalize(W: ArrayLike) -> NDArray[np.float32]:
    """The semi-orthogonal matrix nearest to W (its polar factor U V^T), e.g. after blending two maps.

    Returns float32 of W's shape; computed in float64.
    """
    w = as_float64_matrix(W, "W", check_finite=True)
    if w.size == 0:
        raise ValueError(f"W must be non-empty, got shape {w.shape}")
    return _core.polar_factor(w, False).astype(np.float32)
