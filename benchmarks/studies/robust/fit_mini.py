"""Fit Aligner('mini') (library defaults) on every directed pair and seed; cache W in mini_W/<pair>_s<seed>.npy and
results in mini.json (top-1, mean rank, seconds). Also computes the supervised ceiling -> ceiling.json."""
import os
import sys
import time

import numpy as np

import vec2vec_fast
from common import *

os.makedirs(f"{OUT}/mini_W", exist_ok=True)
seeds = [int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [0, 1]
res = load_json("mini.json", {})
ceil = load_json("ceiling.json", {})
for pair in PAIRS:
    D = load(pair)
    if pair not in ceil:
        t = time.time(); W = ceiling(pair)
        ceil[pair] = dict(**evaluate(W, pair), seconds=time.time() - t)
        save_json("ceiling.json", ceil); print("ceiling", pair, ceil[pair], flush=True)
    for s in seeds:
        key = f"{pair}_s{s}"
        if key in res:
            continue
        t = time.time()
        al = vec2vec_fast.Aligner("mini", seed=s, n_threads=2).fit(D["s_tr_raw"], D["t_tr_raw"])
        sec = time.time() - t
        W = np.asarray(al.W_, dtype=np.float32)
        assert np.allclose(al.mean_a_, D["mean_s"], atol=1e-4)
        np.save(f"{OUT}/mini_W/{key}.npy", W)
        res[key] = dict(**evaluate(W, pair), seconds=sec)
        save_json("mini.json", res); print("mini", key, res[key], flush=True)
