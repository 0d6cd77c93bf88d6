"""Optimal-transport refinement of a linear map, and a label-free confidence score for it.

Refinement (benchmarks/studies/robust): on n sampled rows a side, S = unit(X W) Zᵀ, the entropic transport plan P
between the two uniform samples under cost 1 − S (Sinkhorn, ε), targets T = n P Z (the plan's barycentric image of
each mapped row), and W ← polar(Xᵀ T). Unlike nearest-neighbour dictionaries (CSLS, mutual NN), the balanced plan
uses every target row once in total, which keeps hubs from pulling the map: +6 to +10 points top-1 over mini-vec2vec
on four real cross-family pairs.

Confidence: the "structure gain" of a map on held-out rows: the mean best CSLS score of the mapped A rows against
real B rows, minus the same against a Gaussian surrogate with B's mean and covariance. A map that found B's structure
scores well above 0 (0.035-0.077 measured), a failed one near or below 0, and so does any map into B replaced by
noise.

Every product runs with numpy's BLAS on one thread (the caller's fit pins it), so results are the same bits whatever
the thread count.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from ._numerics import unit_rows
from .procrustes import procrustes

GOOD_GAIN = 0.02    # structure gain at or above: the map found B's structure
FAILED_GAIN = 0.01  # below: the map did not (in between: uncertain)


def _sinkhorn_targets(x_mapped: np.ndarray, z: np.ndarray, eps: float, sweeps: int,
                      v: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Barycentric targets of the entropic plan between unit rows ``x_mapped`` and ``z`` (uniform weights), and the
    scaling ``v`` to warm-start the next call. Memory: one n x m float32 kernel."""
    n, m = len(x_mapped), len(z)
    kernel = x_mapped @ z.T                    # cosine similarities, float32
    np.subtract(kernel, 1.0, out=kernel)
    np.divide(kernel, eps, out=kernel)
    np.exp(kernel, out=kernel)                 # exp((S - 1) / eps) in (0, 1]
    u = np.ones(n, dtype=np.float64)
    for _ in range(sweeps):
        u = (1.0 / n) / np.maximum(kernel @ v.astype(np.float32), 1e-300).astype(np.float64)
        v = (1.0 / m) / np.maximum(kernel.T @ u.astype(np.float32), 1e-300).astype(np.float64)
    plan_rows = kernel * v.astype(np.float32)[None, :]      # row i of P / u_i
    targets = (plan_rows @ z) * (u * n).astype(np.float32)[:, None]
    del plan_rows
    return targets.astype(np.float32), v


def ot_refine(x: np.ndarray, z: np.ndarray, W: np.ndarray, *, eps: float, rounds: int, sweeps: int,
              n_threads: int) -> Tuple[np.ndarray, List[Dict[str, Any]]]:
    """Refine W (d_a, d_b) on preprocessed sample rows ``x`` (A) and ``z`` (B) for ``rounds`` rounds; returns the map
    and per-round diagnostics (mean cosine of the mapped rows to their targets, change of W)."""
    v = np.ones(len(z), dtype=np.float64)
    history = []
    for _ in range(rounds):
        mapped = unit_rows(x @ W)
        targets, v = _sinkhorn_targets(mapped, z, eps, sweeps, v)
        W_new = procrustes(x, targets, n_threads=n_threads)
        change = float(np.linalg.norm(W_new.astype(np.float64) - W) / np.sqrt(min(W.shape)))
        fit = float(np.mean(np.sum(mapped * unit_rows(targets), axis=1)))
        history.append({"target_cosine": fit, "change": change})
        W = W_new
    return W, history


def _best_csls(mapped: np.ndarray, z: np.ndarray, k: int) -> float:
    """Mean over mapped rows of max_z CSLS(x, z) = 2 cos(x, z) − r_B(x) − r_A(z), r = mean cosine of the k nearest."""
    sim = mapped @ z.T
    k = min(k, sim.shape[0], sim.shape[1])
    r_b = np.mean(-np.partition(-sim, k - 1, axis=1)[:, :k], axis=1)
    r_a = np.mean(-np.partition(-sim, k - 1, axis=0)[:k, :], axis=0)
    return float(np.mean(np.max(2 * sim - r_b[:, None] - r_a[None, :], axis=1)))


def structure_gain(x_held: np.ndarray, z_held: np.ndarray, W: np.ndarray, b_mean: np.ndarray, b_cov: np.ndarray,
                   rng: np.random.Generator, k: int = 10) -> Dict[str, float]:
    """The confidence score on held-out preprocessed rows: best CSLS against real B minus against a Gaussian
    surrogate of B (``b_mean``, ``b_cov``: B's raw training mean and covariance), centred and normalised as B is."""
    mapped = unit_rows(x_held @ W)
    noise = rng.multivariate_normal(b_mean, b_cov, size=len(z_held), method="eigh")
    surrogate = unit_rows(noise - noise.mean(0))
    real, fake = _best_csls(mapped, z_held, k), _best_csls(mapped, surrogate.astype(np.float32), k)
    return {"csls_real": real, "csls_surrogate": fake, "structure_gain": real - fake}


def status_of(gain: float) -> str:
    return "ok" if gain >= GOOD_GAIN else ("failed" if gain < FAILED_GAIN else "uncertain")
