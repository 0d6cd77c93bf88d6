"""Round 27, second part: does the polish climb further from the mean of several polishes, in fits that do not fail?
On e5-small -> MPNet WordNet seed 0 the polish of two rescued maps' polar mean reached 0.856 where each map stood at
0.771 / 0.780 (rescue_iterate.py). polish_pool.py (round 24) averaged the polishes of a fit that explores without
polishing the mean again (+0.15 points at most). This runs the default fit, records every polish (the bags included),
and from the polar factor of (a) the kept map, (b) the kept polish's bags and every other polish that agrees with the
kept map at 0.9 or more, (c) all of them that agree at 0.5 or more, runs the method's polish BAGS times (the method's
fold orders) and prints top-1 on the held-out pairs of each start, of each polish and of the polishes' polar mean.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/repolish_pool.py DATA_DIR
PAIR SEED [BAGS] (one JSON line at the end)"""
import json
import sys
import time

from study_pair import fit_recording_polishes, polar, protocol

from vec2vec_fast.methods import mini_ot_candidates, mini_ot_polish

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
bags = int(sys.argv[4]) if len(sys.argv) > 4 else 3
p = protocol(data_dir, pair)
al, polishes, context, seconds = fit_recording_polishes(p, seed)
rep = al.report_
out = {"pair": pair, "seed": seed, "kept_top1": p.top1(al.W_), "status": rep["status"], "seconds": seconds,
       "explored": "exploration" in rep, "polishes": len(polishes)}
print(f"{pair} seed {seed}: kept top-1 {out['kept_top1']:.4f} status {rep['status']}, explored {out['explored']}, "
      f"{len(polishes)} polishes ({sum(e['bag'] for e in polishes)} bags), {seconds:.0f} s", flush=True)
if not polishes or context["rows"] is None:
    print(json.dumps(out), flush=True)
    sys.exit(0)
rows, x_held, params = context["rows"], context["x_held"], context["params"]
applied = [e for e in polishes if e["applied"]]
for e in applied:
    e["agree"] = mini_ot_candidates.map_agreement(x_held, al.W_, e["W"])
    e["top1"] = p.top1(e["W"])
print("  polishes (top-1, agreement with the kept map): " + ", ".join(f"{e['top1']:.4f} ({e['agree']:.2f})"
                                                                      for e in applied), flush=True)
starts = {"kept": al.W_,
          "pool_0.9": polar(sum(e["W"] for e in applied if e["agree"] >= 0.9)),
          "pool_0.5": polar(sum(e["W"] for e in applied if e["agree"] >= 0.5))}
out["starts"] = {}
for name, W0 in starts.items():
    t = time.perf_counter()
    maps, tops = [], []
    for bag in range(bags):
        W, _, objective = mini_ot_polish.polish(rows, W0, x_held, params, 1, fold_seed=None if bag == 0 else (seed, 9, bag))
        if objective is not None:
            maps.append(W)
            tops.append(p.top1(W))
    mean = p.top1(polar(sum(maps))) if maps else None
    out["starts"][name] = {"start": p.top1(W0), "polished": tops, "bagged": mean, "seconds": time.perf_counter() - t}
    print(f"  from {name} (top-1 {p.top1(W0):.4f}): polishes " + " / ".join(f"{v:.4f}" for v in tops)
          + f", bagged {mean if mean is None else round(mean, 4)} ({time.perf_counter() - t:.0f} s)", flush=True)
print(json.dumps(out), flush=True)
