"""mini vs mini-ot with few rows per side (the hard-fixture sizes): top-1 on 1,000 held-out pairs.
usage: small_rows.py PAIR METHODS N [N ...]"""
import sys
import time
import warnings

import numpy as np

from common import load, procrustes, unit
from vec2vec_fast import Aligner

pair = sys.argv[1]
D = load(pair)
ea, eb = D["s_ev"][:1000], D["t_ev"][:1000]


def top1(W):
    s = unit(ea @ W) @ eb.T
    return float(np.mean(np.argmax(s, 1) == np.arange(len(s))))


for n in map(int, sys.argv[3:]):
    a, b = D["s_tr_raw"][:n], D["t_tr_raw"][:n]
    print(pair, n, "ceiling", round(top1(procrustes(D["s_tr"][:n], D["t_tr1"][:n])), 3), flush=True)
    for method in sys.argv[2].split(","):
        for seed in range(int(__import__("os").environ.get("SEEDS", "2"))):
            t = time.perf_counter()
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                al = Aligner(method, seed=seed).fit(a, b)
            c = al.report_.get("confidence", {})
            print(pair, n, method, seed, round(top1(al.W_), 3), c.get("status"), round(c.get("score", 0), 4), round(c.get("agreement", 0), 3),
                  f"{time.perf_counter() - t:.1f}s", [str(x.message)[:40] for x in w], flush=True)
