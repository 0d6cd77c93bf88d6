"""Round 28: has the method's polish converged? From a saved map (KEY of NPZ), or from the default fit of SEED without
the polish chain (polish_chain=0: the map the stop-43 fit keeps), the method's polish (16 cross-fitted rounds with
momentum) again and again, COUNT times, on the protocol's training rows, printing top-1, the last round's objective
and the agreement with the previous map.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/polish_chain.py
DATA_DIR PAIR (NPZ KEY | fit SEED) [COUNT] [SAVE_NPZ] (one JSON line at the end)"""
import json
import sys
import time
import warnings

import numpy as np
from study_pair import polish_setup

from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot_candidates, mini_ot_polish

data_dir, pair, source, key = sys.argv[1:5]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 4
save = sys.argv[6] if len(sys.argv) > 6 else None
p, rows, params, no_held, held = polish_setup(data_dir, pair)
out = {"pair": pair, "source": source, "key": key}
if source == "fit":
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        al = Aligner(seed=int(key), n_threads=1, polish_chain=0).fit(p.a_raw[p.h1], p.b_raw[p.h2])
    W = al.W_
    out.update(status=al.report_["status"], fit_seconds=time.perf_counter() - t,
               polish_objective=(al.report_.get("polish", {}).get("rounds") or [{}])[-1].get("objective"))
    if save:
        np.savez(save, W=W)
else:
    W = np.load(source)[key]
out["start"] = p.top1(W)
print(f"{pair} {source} {key}: top-1 {out['start']:.4f} {json.dumps({k: v for k, v in out.items() if k not in ('pair', 'source', 'key', 'start')})}", flush=True)
out["chain"] = []
for k in range(count):
    t = time.perf_counter()
    W_next, _, objective = mini_ot_polish.polish(rows, W, no_held, params, 1)
    step = {"top1": p.top1(W_next), "objective": objective, "agreement": mini_ot_candidates.map_agreement(held, W, W_next)}
    out["chain"].append(step)
    W = W_next
    print(f"  polish {k + 1}: {step['top1']:.4f} at {objective:.5f}, agreement with the previous "
          f"{step['agreement']:.3f} ({time.perf_counter() - t:.0f} s)", flush=True)
print(json.dumps(out), flush=True)
