"""Smooth both sides alike instead of whitening: each A row's source is its barycentre under A's own entropic
self-plan (diagonal excluded, so it is an average of *other* sentences, like its B target), and each round fits
W = polar(Sᵀ T) with T the B barycentres of the plan between x W and z. Top-1 on the held-out pairs after
1, 2, 4, 8, 16, 32 rounds, from the scored map and from the ceiling (seed 0), against the method's whitened rounds.
usage (repository root): python benchmarks/studies/robust/sym_smooth.py PAIR [EPS] (logs/sym_smooth_*.log)"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from study_pair import load, polar
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import ot_refine, sinkhorn_targets

pair = sys.argv[1]
eps = float(sys.argv[2]) if len(sys.argv) > 2 else 0.03
p = load(pair)
pool = ThreadPoolExecutor(2)


def self_barycentres(x, eps, sweeps=30):
    """Barycentres of x's balanced entropic self-plan with the diagonal excluded (dense: a study only)."""
    s = x @ x.T
    np.fill_diagonal(s, -np.inf)
    k = np.exp((s - s.max(1, keepdims=True)) / eps)
    v = np.ones(len(x))
    for _ in range(sweeps):
        u = 1.0 / (k @ v)
        v = 1.0 / (k.T @ u)
    plan = u[:, None] * k * v[None, :]
    plan /= plan.sum(1, keepdims=True)
    return (plan @ x).astype(np.float32)


S = self_barycentres(p.x, eps)
print(pair, f"eps {eps}; mean |S| {np.linalg.norm(S, axis=1).mean():.3f}", flush=True)
for start in ("scored", "ceiling"):
    W_sym = W_std = p.W0 if start == "scored" else p.ceiling
    v = np.ones(len(p.z))
    done = 0
    for total in (1, 2, 4, 8, 16, 32):
        W_std = ot_refine(p.x, p.z, W_std, eps=eps, max_rounds=total - done, sweeps=10, tol=-1.0, n_threads=2,
                          ridge=1.0)[0]
        for _ in range(done, total):
            T, v, _ = sinkhorn_targets(pool, unit_rows(p.x @ W_sym), p.z, eps, 10, v)
            W_sym = polar(S.astype(np.float64).T @ T.astype(np.float64))
        done = total
        print(f"  from {start} {total:2d} rounds: whitened {p.top1(W_std):.4f}  symmetric {p.top1(W_sym):.4f}",
              flush=True)
