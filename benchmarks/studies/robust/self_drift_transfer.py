"""How much of a real pair's gap to the ceiling is the polish's finite-sample drift alone? In the same-model lab of
self_drift.py (A's half-1 rows against A's half-2 rows turned by R, so the true map is R), each polish variant runs
ROUNDS rounds from R; its drift D = W Rᵀ (a rotation of A's space) is then put in front of the real pair's supervised
map (orthogonal Procrustes on the true pairs) and scored on the pair's held-out true pairs. A random rotation with the
same |D - I| is the control: it says whether the drift lies in directions that matter for retrieval.
Variants: plain whitened rounds (eps 0.03, ridge 1: the polish step), plain unwhitened rounds, eps 0.1, and the
method's cross-fitted polish (5 folds, momentum 0.5).
usage (repository root): python benchmarks/studies/robust/self_drift_transfer.py DATA PAIR ROUNDS
(logs/self_drift_transfer_*.log)"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast._numerics import preprocess  # noqa: E402
from vec2vec_fast.procrustes import procrustes  # noqa: E402
from vec2vec_fast.transport import ot_refine  # noqa: E402

data, pair, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
a_raw, b_raw = bq.load_pair(pair, data, False)
h1, h2, ev = bq.split(len(a_raw), False, None)
d = a_raw.shape[1]
R = np.linalg.qr(np.random.default_rng(0).standard_normal((d, d)))[0].astype(np.float32)
mean_a = a_raw[h1].mean(0)
x = preprocess(a_raw[h1], mean_a)
z = preprocess(a_raw[h2], a_raw[h2].mean(0)) @ R
# The real pair: its supervised map and held-out true pairs, as study_pair.py builds them.
ceiling = procrustes(bq.unit(a_raw[h1] - mean_a), bq.unit(b_raw[h1] - b_raw[h2].mean(0)))
ev_a, ev_b = bq.unit(a_raw[ev] - mean_a), bq.unit(b_raw[ev] - b_raw[h2].mean(0))


def scores(D):
    """top-1 of the supervised map with D in front, and |D - I| / sqrt(d)."""
    return bq.quality(D @ ceiling, ev_a, ev_b)["top1"], np.linalg.norm(D - np.eye(d)) / np.sqrt(d)


def random_like(size):
    """A seeded random rotation of A's space with |D - I| / sqrt(d) close to ``size``."""
    g = np.random.default_rng(1).standard_normal((d, d))
    skew = (g - g.T) / np.sqrt(2 * d)
    lo, hi = 0.0, 2.0
    for _ in range(30):
        t = (lo + hi) / 2
        u, _, vt = np.linalg.svd(np.eye(d) + t * skew)
        D = u @ vt
        lo, hi = (t, hi) if np.linalg.norm(D - np.eye(d)) / np.sqrt(d) < size else (lo, t)
    return D


print(f"{pair}: ceiling top-1 {scores(np.eye(d))[0]:.4f}; same-model lab on {len(x)} rows a side, {rounds} rounds",
      flush=True)
variants = {"plain, eps 0.03, ridge 1": dict(eps=0.03, ridge=1.0),
            "plain, eps 0.03, unwhitened": dict(eps=0.03, ridge=None),
            "plain, eps 0.1, ridge 1": dict(eps=0.1, ridge=1.0),
            "cross-fitted, 5 folds, momentum 0.5, eps 0.03, ridge 1": dict(eps=0.03, ridge=1.0, folds=5, momentum=0.5)}
for name, kw in variants.items():
    W, hist = ot_refine(x, z, R, max_rounds=rounds, sweeps=10, tol=-1.0, n_threads=1, min_rounds=rounds, **kw)
    D = W @ R.T
    top1, size = scores(D)
    control, _ = scores(random_like(size))
    print(f"  {name}: |D - I| {size:.4f}, objective {hist[-1]['objective']:.5f}; ceiling with D in front {top1:.4f}, "
          f"with a random rotation of that size {control:.4f}", flush=True)
