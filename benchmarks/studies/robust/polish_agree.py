"""When does exploring pay? Runs the default mini-ot fit (it explores when its first candidates agree below 0.95;
0.9 until stop 34) and records every polish: the candidate it started from, its final cross-fitted objective, the polished map's top-1 on the
held-out pairs, and how well every two polished maps agree on the fit's held-out rows. Then asks of each fit what a
cheaper rule would have kept: polish the candidates fitted before exploring (the best-scored one and those that agree
with it), and explore only if their polished maps disagree (agreement below T) or their objectives differ by more
than G.
usage (repository root): python benchmarks/studies/robust/polish_agree.py DATA_DIR PAIR SEED [SEED ...]
(logs/polish_agree_*.log; one JSON line per fit on stdout after the readable lines)"""
import json
import sys
import time
import warnings

import numpy as np

from study_pair import protocol
from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot, mini_ot_polish

data_dir, pair, seeds = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
p = protocol(data_dir, pair)
original, calls = mini_ot_polish.polish, []


def recording(rows, W, x_held, params, n_threads, **kw):  # kw: a bag's fold_seed (stop 32)
    out = original(rows, W, x_held, params, n_threads, **kw)
    calls.append({"W_in": W, "W": out[0], "objective": out[2], "x_held": x_held, "bag": "fold_seed" in kw})
    return out


mini_ot_polish.polish = recording
for seed in seeds:
    calls.clear()
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        al = Aligner(seed=seed, n_threads=1).fit(p.a_raw[p.h1], p.b_raw[p.h2])
    seconds = time.perf_counter() - t
    rep = al.report_
    n_before = 2 + rep["confidence"].get("extra_candidates", 0)
    seeds_in_order = [c["seed"] for c in rep.get("candidates", [])]
    by_objective = {e["objective"]: e["seed"] for e in rep.get("exploration", {}).get("polished", [])}
    x_held = calls[0]["x_held"] if calls else None
    polished = []
    for c in calls:
        cand_seed = by_objective.get(c["objective"], seeds_in_order[0] if len(calls) == 1 else None)
        polished.append({"seed": cand_seed, "index": seeds_in_order.index(cand_seed) if cand_seed in seeds_in_order
                         else None, "objective": c["objective"], "top1": p.top1(c["W"]), "start_top1": p.top1(c["W_in"]),
                         "bag": c["bag"]})
    # The method's own agreement arithmetic (it reads each candidate's map at index 1).
    agree = (mini_ot.agreement_matrix([(None, c["W"]) for c in calls], x_held) if x_held is not None
             else np.ones((len(calls), len(calls))))
    print(f"{pair} seed {seed}: kept top-1 {p.top1(al.W_):.4f} status {rep['status']} first agreement "
          f"{rep['confidence'].get('agreement', float('nan')):.3f} {len(seeds_in_order)} candidates "
          f"({n_before} before exploring) {seconds:.0f} s", flush=True)
    for k, e in enumerate(polished):
        print(f"  polish {k}: candidate {e['index']} (mini seed {e['seed']}) objective "
              f"{e['objective'] if e['objective'] is None else round(e['objective'], 5)} top-1 {e['start_top1']:.4f} "
              f"-> {e['top1']:.4f}; agreement with the other polishes "
              + " ".join(f"{agree[k, j]:.3f}" for j in range(len(calls))), flush=True)
    print(json.dumps({"pair": pair, "seed": seed, "kept_top1": p.top1(al.W_), "status": rep["status"],
                      "first_agreement": rep["confidence"].get("agreement"), "n_before": n_before,
                      "seconds": seconds, "polished": polished, "agreement": agree.round(4).tolist()}), flush=True)
