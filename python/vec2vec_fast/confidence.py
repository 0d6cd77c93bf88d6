"""A label-free confidence score for a fitted map, from unpaired rows the fit did not use.

The question: do the mapped A rows land where B's rows are, beyond what B's mean and covariance alone explain? The
score compares the mean cosine of each mapped row with its k nearest B rows against the same with *reflected copies
of B*: B's rows flipped along random principal axes of B. A reflection keeps B's mean, covariance, cluster tightness
and every distance within B, so only B's orientation relative to the map changes. A map that found B's structure
scores far higher against the real rows (measured: 0.08-0.10 for good maps on four real cross-family pairs, 0.23-0.41
on planted synthetic maps); a failed map, or any map into B replaced by Gaussian noise, scores as high against a
reflected copy as against B (|gain| <= 0.003 on the real pairs). The spread of the score over the reflected copies
measures how much the statistic moves with the orientation for these data (it is larger in few dimensions), and a
gain must clear a few of those too (benchmarks/studies/robust/README.md has the calibration).

The rows must be held out: scored on the rows the fit used, a map fitted to noise finds "structure" it put there.
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
from threadpoolctl import threadpool_limits

from ._numerics import unit_rows

OK_GAIN = 0.02       # gain at or above (and OK_SPREADS null spreads): the map found B's structure
FAILED_GAIN = 0.01   # gain below (or below FAILED_SPREADS null spreads): it did not
OK_SPREADS = 4.0
FAILED_SPREADS = 3.0
SURROGATES = 8
NEIGHBOURS = 10


def _knn_cosine(mapped: np.ndarray, z: np.ndarray, k: int) -> float:
    """Mean over mapped rows of the mean cosine with their k nearest rows of z."""
    sim = mapped @ z.T
    k = min(k, sim.shape[1])
    return float(np.mean(-np.partition(-sim, k - 1, axis=1)[:, :k]))


def reflected_copies(z: np.ndarray, rng: np.random.Generator, count: int) -> list:
    """``count`` copies of the centred rows ``z`` reflected along random subsets of their principal axes."""
    centre = z.mean(axis=0)
    zc = (z - centre).astype(np.float64)
    _, _, vt = np.linalg.svd(zc, full_matrices=False)
    coords = zc @ vt.T
    copies = []
    for _ in range(count):
        signs = rng.choice(np.array([-1.0, 1.0]), size=vt.shape[0])
        copies.append(unit_rows(((coords * signs) @ vt + centre).astype(np.float32)))
    return copies


def score_map(x_held: np.ndarray, z_held: np.ndarray, W: np.ndarray, rng: np.random.Generator, *,
              k: int = NEIGHBOURS, surrogates: int = SURROGATES) -> Dict[str, Any]:
    """Confidence of the map W (d_a, d_b) on held-out preprocessed rows (unit, centred with the training means).

    Returns ``score`` (the gain: mean k-NN cosine against real B minus the mean over reflected copies), the two
    terms, ``null_spread`` (standard deviation over the copies) and ``status``: "ok", "uncertain" or "failed"."""
    if len(x_held) < 2 or len(z_held) < max(2, k):
        return {"status": "unknown", "rows": [len(x_held), len(z_held)],
                "why": f"too few held-out rows to score the map (need 2 from A and {max(2, k)} from B)"}
    with threadpool_limits(limits=1, user_api="blas"):  # the same bits at any thread count
        mapped = unit_rows(np.asarray(x_held, dtype=np.float32) @ np.asarray(W, dtype=np.float32))
        z = np.asarray(z_held, dtype=np.float32)
        real = _knn_cosine(mapped, z, k)
        null = np.array([_knn_cosine(mapped, c, k) for c in reflected_copies(z, rng, surrogates)])
    gain, spread = real - float(null.mean()), float(null.std(ddof=1))
    return {"score": gain, "knn_cosine": real, "knn_cosine_reflected": float(null.mean()), "null_spread": spread,
            "status": status_of(gain, spread), "rows": [len(x_held), len(z_held)], "neighbours": k,
            "ok_at_least": OK_GAIN, "failed_below": FAILED_GAIN}


def status_of(gain: float, spread: float) -> str:
    if gain < max(FAILED_GAIN, FAILED_SPREADS * spread):
        return "failed"
    if gain >= max(OK_GAIN, OK_SPREADS * spread):
        return "ok"
    return "uncertain"


__all__ = ["FAILED_GAIN", "OK_GAIN", "reflected_copies", "score_map", "status_of"]
