"""Average two seeds' transport-refined maps: polar(W_0 + W_1), then a few more rounds from it.
usage: seed_avg.py PAIR ROUNDS"""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from common import evaluate, load
from vec2vec_fast import Aligner
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import sinkhorn_targets

pair, rounds = sys.argv[1], int(sys.argv[2])
D = load(pair)
x, z = D["s_tr"], D["t_tr"]


def refine(W, rounds):
    v = np.ones(len(z))
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        for _ in range(rounds):
            targets, v, _ = sinkhorn_targets(pool, unit_rows(x @ W), z, 0.03, 50, v)
            W = procrustes(x, targets, n_threads=2)
    return W


def polar(M):
    U, _, Vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return (U @ Vt).astype(np.float32)


maps = []
for s in (0, 1):
    path = f"mini_W/{pair}_s{s}.npy"
    if not os.path.exists(path):
        np.save(path, Aligner("mini", seed=s).fit(D["s_tr_raw"], D["t_tr_raw"]).W_)
    W = refine(np.load(path), rounds)
    maps.append(W)
    print(pair, "seed", s, evaluate(W, pair), flush=True)
avg = polar(maps[0] + maps[1])
print(pair, "polar(W0 + W1)", evaluate(avg, pair), flush=True)
print(pair, "then 4 rounds", evaluate(refine(avg, 4), pair), flush=True)
