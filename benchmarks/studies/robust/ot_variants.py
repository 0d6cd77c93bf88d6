"""Variants of the transport refinement from mini's cached map: eps, weighting rows by how peaked their plan row is.
usage: ot_variants.py PAIR ROUNDS VARIANT [VARIANT ...]"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from common import evaluate, load
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import _Kernel

pair, rounds = sys.argv[1], int(sys.argv[2])
D = load(pair)
W0 = np.load(f"mini_W/{pair}_s0.npy")
x, z = D["s_tr"], D["t_tr"]


def step(pool, W, v, eps, weighting):
    mapped = unit_rows(x @ W)
    K = _Kernel(pool, mapped, z, eps)
    n, m = len(x), len(z)
    u = np.ones(n)
    for _ in range(50):
        u = np.clip((1.0 / n) / np.maximum(K.times(v), 1e-30), 1e-30, 1e30)
        v = np.clip((1.0 / m) / np.maximum(K.transposed_times(u), 1e-30), 1e-30, 1e30)
    T = K.targets(u, v)
    w = None
    if weighting != "none":
        # peakedness of each plan row: sum_j (n P_ij)^2 in (0, 1]
        v32 = v.astype(np.float32)
        peak = np.concatenate([((p * v32) ** 2).sum(1) for p in K.parts]) * (u * n) ** 2
        w = peak if weighting == "peak" else np.sqrt(peak)
    return procrustes(x, T, weights=w, n_threads=2), v


for variant in sys.argv[3:]:
    eps_s, weighting = variant.split(":")
    eps = float(eps_s)
    W, v, t = W0, np.ones(len(z)), time.perf_counter()
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        for r in range(rounds):
            W, v = step(pool, W, v, eps, weighting)
            if r % 3 == 2 or r == rounds - 1:
                ev = evaluate(W, pair)
                print(pair, variant, r + 1, f"top1={ev['top1']:.4f} mr={ev['mean_rank']:.2f} t={time.perf_counter() - t:.0f}s",
                      flush=True)
