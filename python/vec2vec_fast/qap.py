"""Approximate quadratic assignment (2-opt, FAQ, FAQ + 2-opt) with seeded parallel restarts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._validation import SeedLike, check_choice, check_int, resolve_n_threads, resolve_seed
from .lap import as_float64_matrix

METHODS = ("2opt", "faq", "faq+2opt")


@dataclass(frozen=True)
class QAPResult:
    """Result of :func:`qap`.

    Attributes
    ----------
    perm : (n,) int64, row perm[i] of B is matched to row i of A
    score : float, sum_ij A[i, j] * B[perm[i], perm[j]]
    scores : (n_restarts,) float64, every restart's final score, in restart order
    best_restart : int, the lowest restart index reaching the best score
    seed : int, the seed used
    """

    perm: NDArray[np.int64]
    score: float
    scores: NDArray[np.float64]
    best_restart: int
    seed: int


def _start_matrix(init: ArrayLike, n: int, method: str) -> np.ndarray:
    arr = np.asarray(init)
    if arr.ndim == 1:
        perm = arr
        if perm.shape != (n,) or perm.dtype.kind not in "iu" or not np.array_equal(np.sort(perm), np.arange(n)):
            raise ValueError(f"init must be a permutation of 0..{n - 1}, got {arr!r}")
        start = np.zeros((n, n))
        start[np.arange(n), perm] = 1.0
        return start
    start = as_float64_matrix(arr, "init")
    if start.shape != (n, n):
        raise ValueError(f"init has shape {start.shape}, expected a permutation ({n},) or a matrix ({n}, {n})")
    if method == "2opt":
        raise ValueError("method='2opt' starts from a permutation: pass init as an (n,) array")
    if (start < 0).any() or not np.allclose(start.sum(0), 1) or not np.allclose(start.sum(1), 1):
        raise ValueError("init matrix must be doubly stochastic (non-negative, rows and columns summing to 1)")
    return start


def qap(
    A: ArrayLike,
    B: ArrayLike,
    *,
    method: str = "2opt",
    n_restarts: int = 30,
    maximize: bool = True,
    seed: SeedLike = 0,
    n_threads: Optional[int] = None,
    init: Optional[ArrayLike] = None,
    faq_max_iter: int = 30,
    faq_tol: float = 0.03,
    faq_barycenter: bool = False,
) -> QAPResult:
    """Approximately solve max (or min) over permutations of sum_ij A[i, j] * B[perm[i], perm[j]].

    Parameters
    ----------
    A, B : (n, n) arrays
        Any real square matrices of the same size (symmetric kernels in mini-vec2vec); used in float64.
    method : {"2opt", "faq", "faq+2opt"}
        "2opt": first-improvement pair swaps from a random permutation, in scipy's scan order, each swap scored in
        O(n). "faq": Frank-Wolfe on the doubly stochastic relaxation (scipy's FAQ), projected to a permutation by
        exact linear assignment. "faq+2opt": each FAQ result polished by 2-opt.
    n_restarts : int
        Independent restarts (run in parallel); the best score wins.
    maximize : bool
    seed : int, numpy Generator or None
        Restart r uses its own stream derived from (seed, r): the result does not depend on n_threads.
    init : (n,) permutation or (n, n) doubly stochastic matrix, optional
        Restart 0's start instead of a random one (for FAQ, a permutation becomes its permutation matrix).
    faq_max_iter, faq_tol :
        FAQ's iteration cap and stopping rule (|P_new - P|_F / sqrt(n) < tol), scipy's defaults.
    faq_barycenter : bool
        Start FAQ's restart 0 at the barycenter J/n (scipy's default). Off by default: with centred kernels (zero row
        sums) the gradient there is exactly zero, so that start carries no information. Other restarts start from
        (J/n + a random doubly stochastic matrix) / 2, scipy's "randomized".

    Returns
    -------
    QAPResult
    """
    method = check_choice(method, "method", METHODS)
    a = as_float64_matrix(A, "A", check_finite=True)
    b = as_float64_matrix(B, "B", check_finite=True)
    if a.shape[0] != a.shape[1] or b.shape[0] != b.shape[1]:
        raise ValueError(f"A and B must be square, got A {a.shape} and B {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"A and B must have the same size, got A {a.shape} and B {b.shape}")
    if a.shape[0] == 0:
        raise ValueError("A and B must be non-empty, got shape (0, 0)")
    n_restarts = check_int(n_restarts, "n_restarts", low=1)
    faq_max_iter = check_int(faq_max_iter, "faq_max_iter", low=1)
    if not (isinstance(faq_tol, (int, float, np.floating)) and np.isfinite(faq_tol) and faq_tol >= 0):
        raise ValueError(f"faq_tol must be a finite number >= 0, got {faq_tol!r}")
    threads = resolve_n_threads(n_threads)
    n = a.shape[0]
    start = np.empty((0, 0)) if init is None else _start_matrix(init, n, method)
    used_seed = resolve_seed(seed)
    perm, score, scores, best = _core.qap(a, b, method, n_restarts, bool(maximize), used_seed, threads, start,
                                          faq_max_iter, float(faq_tol), bool(faq_barycenter))
    return QAPResult(perm, float(score), np.asarray(scores), int(best), used_seed)


def qap_score(A: ArrayLike, B: ArrayLike, perm: ArrayLike) -> float:
    """sum_ij A[i, j] * B[perm[i], perm[j]] (float64)."""
    a, b, p = np.asarray(A, np.float64), np.asarray(B, np.float64), np.asarray(perm)
    return float((a * b[np.ix_(p, p)]).sum())
