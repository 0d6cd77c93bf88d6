"""How many polish rounds, and when to stop? The method's polish step (eps 0.03, ridge-whitened Procrustes, all
training rows) run for 32 rounds from mini-ot's scored map (polish_rounds=0) at the given seeds, printing per round
the held-out top-1, the plan's mean cosine (objective) and the map's change.
usage (repository root): python benchmarks/studies/robust/polish_trajectory.py PAIR SEED [SEED ...]
(logs/polish_trajectory_*.log)"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from study_pair import load
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import _ridge_whitened, sinkhorn_targets

pair = sys.argv[1]
for seed in map(int, sys.argv[2:]):
    p = load(pair, seed)
    x, z = p.x, p.z
    W, v = p.W0, np.ones(len(z))
    print(f"{pair} seed {seed}: scored top1 {p.top1(W):.4f}", flush=True)
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        x_fit = _ridge_whitened(x, 1.0)
        for r in range(1, 33):
            targets, v, obj = sinkhorn_targets(pool, unit_rows(x @ W), z, 0.03, 10, v)
            W_new = procrustes(x_fit, targets, n_threads=2)
            change = float(np.linalg.norm(W_new.astype(np.float64) - W) / np.sqrt(min(W.shape)))
            W = W_new
            print(f"  {r:2d}: top1 {p.top1(W):.4f} obj {obj:.5f} change {change:.5f}",
                  flush=True)
