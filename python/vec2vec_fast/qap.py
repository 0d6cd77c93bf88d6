"""Approximate quadratic assignment (2-opt, FAQ, FAQ + 2-opt) with seeded parallel restarts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._numerics import FLOAT64_SAFE_EXPONENT, as_float64_matrix, range_exponent, scale_by_power_of_two
from ._validation import SeedLike, check_choice, check_count, resolve_n_threads, resolve_seed

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
        Any real square matrices of the same size (symmetric kernels in mini-vec2vec); used in float64. Any finite
        magnitude works: a matrix whose largest |value| is outside [2**-200, 2**200] is used scaled by a power of
        two (exact), and the scores are scaled back (an infinity where the true score is beyond float64).
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
    n_restarts = check_count(n_restarts, "n_restarts")
    faq_max_iter = check_count(faq_max_iter, "faq_max_iter")
    if not (isinstance(faq_tol, (int, float, np.floating)) and np.isfinite(faq_tol) and faq_tol >= 0):
        raise ValueError(f"faq_tol must be a finite number >= 0, got {faq_tol!r}")
    threads = resolve_n_threads(n_threads)
    n = a.shape[0]
    start = np.empty((0, 0)) if init is None else _start_matrix(init, n, method)
    used_seed = resolve_seed(seed)
    # Kernels beyond float64's comfortable range (products that overflow, or underflow to 0) are solved at a
    # power-of-two scale: the same permutations, and the scores scaled back (an infinity if beyond float64).
    e_a, e_b = _exponent(a), _exponent(b)
    perm, score, scores, best = _core.qap(scale_by_power_of_two(a, e_a), scale_by_power_of_two(b, e_b), method,
                                          n_restarts, bool(maximize), used_seed, threads, start, faq_max_iter,
                                          float(faq_tol), bool(faq_barycenter))
    with np.errstate(over="ignore", under="ignore"):
        score, scores = np.ldexp(score, e_a + e_b), np.ldexp(np.asarray(scores), e_a + e_b)
    return QAPResult(perm, float(score), scores, int(best), used_seed)


def _exponent(m: np.ndarray) -> int:
    return range_exponent(float(np.abs(m).max()), limit=FLOAT64_SAFE_EXPONENT)


def qap_score(A: ArrayLike, B: ArrayLike, perm: ArrayLike) -> float:
    """sum_ij A[i, j] * B[perm[i], perm[j]] (float64).

    Raises ValueError unless A and B are finite (n, n) matrices and perm a permutation of 0..n-1 (integer dtype).
    """
    a = as_float64_matrix(A, "A", check_finite=True)
    b = as_float64_matrix(B, "B", check_finite=True)
    if a.shape[0] != a.shape[1] or a.shape != b.shape:
        raise ValueError(f"A and B must be square and of the same size, got A {a.shape} and B {b.shape}")
    p = np.asarray(perm)
    n = a.shape[0]
    if p.shape != (n,) or p.dtype.kind not in "iu" or not np.array_equal(np.sort(p), np.arange(n)):
        raise ValueError(f"perm must be a permutation of 0..{n - 1} (integers), got {p!r}")
    e_a, e_b = _exponent(a), _exponent(b)
    total = float((scale_by_power_of_two(a, e_a) * scale_by_power_of_two(b, e_b)[np.ix_(p, p)]).sum())
    with np.errstate(over="ignore", under="ignore"):
        return float(np.ldexp(total, e_a + e_b))
