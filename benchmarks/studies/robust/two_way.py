"""Refine both directions by transport and combine: W_ab, W_baᵀ and polar(W_ab + W_baᵀ) scored on the A->B pair.
usage: two_way.py KEY ROUNDS   (KEY: use or e5; caches mini maps in mini_W/)"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from common import evaluate, load
from vec2vec_fast import Aligner
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import sinkhorn_targets

key, rounds = sys.argv[1], int(sys.argv[2])
maps = {}
for d in ("AB", "BA"):
    pair = f"{key}_{d}"
    D = load(pair)
    path = f"mini_W/{pair}_s0.npy"
    if not os.path.exists(path):
        np.save(path, Aligner("mini", seed=0).fit(D["s_tr_raw"], D["t_tr_raw"]).W_)
    W, v, t = np.load(path), np.ones(len(D["t_tr"])), time.perf_counter()
    x, z = D["s_tr"], D["t_tr"]
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        for r in range(rounds):
            targets, v, obj = sinkhorn_targets(pool, unit_rows(x @ W), z, 0.03, 50, v)
            W = procrustes(x, targets, n_threads=2)
    maps[d] = W
    print(pair, "refined", evaluate(W, pair), f"{time.perf_counter() - t:.0f}s", flush=True)


def polar(M):
    U, _, Vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return (U @ Vt).astype(np.float32)


ab, ba_t = maps["AB"], maps["BA"].T
print(key, "agreement cos(W_ab, W_ba^T) per column mean:", float(np.mean(np.sum(unit_rows(ab.T) * unit_rows(ba_t.T), 1))))
print(key, "AB from BA^T", evaluate(ba_t, f"{key}_AB"))
print(key, "AB combined", evaluate(polar(ab + ba_t), f"{key}_AB"))
print(key, "BA combined", evaluate(polar(ab + ba_t).T, f"{key}_BA"))
