"""The polish's ridge on a pair whose A side is 768-d: the ridge of the whitened Procrustes step (POLISH_RIDGE, 1 mean
eigenvalue) was chosen on 384-d and 512-d pairs (fourth round). From a fit's kept start saved by polish_pool.py
--save, the method's polish (16 cross-fitted rounds, momentum 0.5, bagged over the method's fold orders) at each
RIDGE; top-1 on the held-out pairs and the polish's objective.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/polish_ridge.py DATA_DIR
PAIR SAVED.npz RIDGE ... (logs/polish_ridge_*.log)"""
import sys
import time

import numpy as np
from study_pair import polar, protocol

from vec2vec_fast.methods import mini_ot, mini_ot_polish

data_dir, pair, saved, ridges = sys.argv[1], sys.argv[2], sys.argv[3], [float(r) for r in sys.argv[4:]]
p = protocol(data_dir, pair)
s = np.load(saved)
seed, rows, x_held = int(s["seed"]), (s["x"], s["z"]), s["x_held"]
params = mini_ot.SCHEMA.defaults()
print(f"{pair} seed {seed}: start {p.top1(s['W_in']):.4f}, the fit's polish {p.top1(s['W']):.4f}, its bagged map "
      f"{p.top1(s['W_fit']):.4f}", flush=True)
for ridge in ridges:
    mini_ot_polish.POLISH_RIDGE = ridge
    t = time.perf_counter()
    maps, line = [], []
    for bag in range(int(s["bags"])):
        W, _, objective = mini_ot_polish.polish(rows, s["W_in"], x_held, params, 1,
                                          fold_seed=None if bag == 0 else (seed, 9, bag))
        maps.append(W)
        line.append(f"{p.top1(W):.4f} ({objective:.5f})")
    print(f"ridge {ridge}: bags {' '.join(line)}; bagged {p.top1(polar(sum(maps))):.4f} "
          f"({time.perf_counter() - t:.0f} s)", flush=True)
