"""How much of a polish's top-1 is its folds? The cross-fitted polish deals A's rows into folds round-robin; the same
start polished with the rows dealt in another order ends 0.3-1.2 points apart (polish_avg.py). Runs the default mini-ot
fit (recording every polish's start and the polish rows; cached in $V2V_STUDY_CACHE, default /tmp/s32, so that a
second run skips the fit), then polishes the kept candidate's start with the rows dealt in BAGS seeded orders (order 0
is the method's own) and prints each one's top-1 on the held-out pairs and that of the polar factor of the first K
maps' sum, K = 1 ... BAGS.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/polish_bag.py DATA_DIR
PAIR SEED [BAGS] (logs/polish_bag_*.log; one JSON line per fit on stdout after the readable lines)"""
import json
import os
import sys
import time
import warnings

import numpy as np

from study_pair import protocol
from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot, mini_ot_polish
from vec2vec_fast.procrustes import orthogonalize

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
bags = int(sys.argv[4]) if len(sys.argv) > 4 else 5
p = protocol(data_dir, pair)
cache_dir = os.environ.get("V2V_STUDY_CACHE", "/tmp/s32")
os.makedirs(cache_dir, exist_ok=True)
cache = os.path.join(cache_dir, f"polish_bag_{pair}_s{seed}.npz")
if not os.path.exists(cache):
    original, calls, context = mini_ot_polish.polish, [], {}

    def recording(rows, W, x_held, params, n_threads):
        out = original(rows, W, x_held, params, n_threads)
        context.update(rows=rows, x_held=x_held, params=params)
        calls.append((W, out[0], out[2]))
        return out

    mini_ot_polish.polish = recording
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        al = Aligner(seed=seed, n_threads=1, polish_bags=1).fit(p.a_raw[p.h1], p.b_raw[p.h2])
    mini_ot_polish.polish = original
    applied = [c for c in calls if c[2] is not None]
    kept = max(range(len(applied)), key=lambda i: applied[i][2])
    np.savez(cache, x=context["rows"][0], z=context["rows"][1], x_held=context["x_held"], start=applied[kept][0],
             polished=applied[kept][1], kept=al.W_, params=json.dumps({k: v for k, v in context["params"].items()
                                                                         if isinstance(v, (int, float, bool))}),
             seconds=time.perf_counter() - t, status=al.report_["status"])
c = np.load(cache)
params = json.loads(str(c["params"]))
print(f"{pair} seed {seed}: kept top-1 {p.top1(c['kept']):.4f} ({c['status']}, fit {float(c['seconds']):.0f} s), its "
      f"start {p.top1(c['start']):.4f}", flush=True)
maps, out = [], {"pair": pair, "seed": seed, "kept_top1": p.top1(c["kept"]), "start_top1": p.top1(c["start"]),
                 "bag_top1": [], "average_top1": []}
for k in range(bags):
    t = time.perf_counter()
    W = mini_ot.ot_refine(c["x"], c["z"], c["start"], eps=params["ot_eps"], max_rounds=params["polish_rounds"],
                          sweeps=params["ot_sweeps"], tol=params["ot_tol"], n_threads=1,
                          min_rounds=params["polish_rounds"], ridge=mini_ot_polish.POLISH_RIDGE,
                          folds=params["polish_folds"], momentum=params["polish_momentum"],
                          fold_seed=k or None)[0]  # order 0: round-robin, the method's own
    maps.append(W)
    out["bag_top1"].append(p.top1(W))
    out["average_top1"].append(p.top1(orthogonalize(sum(maps))))
    print(f"  order {k}: top-1 {out['bag_top1'][-1]:.4f} ({time.perf_counter() - t:.0f} s); average of the first "
          f"{k + 1}: {out['average_top1'][-1]:.4f}", flush=True)
print(json.dumps(out), flush=True)
