"""Top-1 per round of the transport refinement from mini's map, for several eps schedules (cached mini maps in
mini_W/). usage: ot_rounds.py PAIR ROUNDS"""
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

pair, rounds = sys.argv[1], int(sys.argv[2])
D = load(pair)
os.makedirs("mini_W", exist_ok=True)
path = f"mini_W/{pair}_s0.npy"
if not os.path.exists(path):
    np.save(path, Aligner("mini", seed=0).fit(D["s_tr_raw"], D["t_tr_raw"]).W_)
W0 = np.load(path)
print(pair, "mini", evaluate(W0, pair), flush=True)
x, z = D["s_tr"], D["t_tr"]
schedules = {"eps0.03": [0.03] * rounds, "eps0.04": [0.04] * rounds, "eps0.05": [0.05] * rounds, "eps0.02": [0.02] * rounds, "eps0.01": [0.01] * rounds,
             "anneal": list(np.geomspace(0.05, 0.01, rounds))}
for name in sys.argv[3:] or schedules:
    W, v, t = W0, np.ones(len(z)), time.perf_counter()
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        for r, eps in enumerate(schedules[name]):
            targets, v, obj = sinkhorn_targets(pool, unit_rows(x @ W), z, eps, 50, v)
            W = procrustes(x, targets, n_threads=2)
            if r % 2 == 1 or r == rounds - 1:
                ev = evaluate(W, pair)
                print(pair, name, r + 1, f"eps={eps:.3f} obj={obj:.4f} top1={ev['top1']:.4f} mr={ev['mean_rank']:.2f}"
                      f" t={time.perf_counter() - t:.0f}s", flush=True)
