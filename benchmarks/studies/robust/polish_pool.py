"""Does pooling the polishes of one basin beat the kept polish's bags? A fit that explores polishes every candidate
that agrees with the best-scored one, keeps the polish whose cross-fitted objective ends highest and bags that one
over three fold orders (seventeenth round). Where several candidates polish into the same basin (the stochastic
candidates of WordNet fits end within 3e-4 of each other in objective), their polishes are further draws of the same
map with other starts, which averaged as well as fold orders did in the seventeenth round (MiniLM -> e5-small: five
agreeing polishes 0.9290, three fold orders 0.9255). This runs the default fit, records every polish (the bags
included), and prints top-1 on the held-out pairs of the kept map and of the polar factor of the bags' sum plus the
other polishes that agree with the kept map at 0.9 or more and end within DELTA of the best objective, for a few DELTA.
With --bag-pool it also bags each such polish (its start polished in the bags' fold orders) and averages all of them.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/polish_pool.py DATA_DIR
PAIR SEED [--bag-pool] [--save FILE.npz] (logs/polish_pool_*.log; one JSON line per fit on stdout after the readable
lines; --save writes the kept polish's start, the polish rows and the held-out rows for polish_ridge.py)"""
import json
import sys
import time

import numpy as np
from study_pair import fit_recording_polishes, polar, protocol

from vec2vec_fast.methods import mini_ot_candidates, mini_ot_polish

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
bag_pool = "--bag-pool" in sys.argv[4:]
save = sys.argv[sys.argv.index("--save") + 1] if "--save" in sys.argv else None
DELTAS = (0.0002, 0.0005, 0.001, 0.002, 1.0)
AGREE_AT_LEAST = 0.9
p = protocol(data_dir, pair)
al, polishes, context, seconds = fit_recording_polishes(p, seed)
rep = al.report_
explored = "exploration" in rep
print(f"{pair} seed {seed}: kept top-1 {p.top1(al.W_):.4f} status {rep['status']}, explored {explored}, "
      f"{len(polishes)} polishes ({sum(e['bag'] for e in polishes)} bags), {seconds:.0f} s", flush=True)
out = {"pair": pair, "seed": seed, "kept_top1": p.top1(al.W_), "explored": explored, "seconds": seconds}
if not explored or not polishes:
    print(json.dumps(out), flush=True)
    sys.exit(0)
x_held, rows, params = context["x_held"], context["rows"], context["params"]
plain = [e for e in polishes if not e["bag"] and e["applied"]]
bags = [e for e in polishes if e["bag"] and e["applied"]]
best = max(plain, key=lambda e: e["objective"])
kept_maps = [best["W"]] + [e["W"] for e in bags]
if save:
    np.savez(save, W_in=best["W_in"], W=best["W"], W_fit=al.W_, x=rows[0], z=rows[1], x_held=x_held,
             bags=params["polish_bags"], seed=seed)
for k, e in enumerate(plain):
    e["top1"] = p.top1(e["W"])
    e["agree"] = mini_ot_candidates.map_agreement(x_held, best["W"], e["W"])
    print(f"  polish {k}: objective {e['objective']:.5f} top-1 {p.top1(e['W_in']):.4f} -> {e['top1']:.4f}, agreement "
          f"with the best-objective polish {e['agree']:.3f}{' (kept)' if e is best else ''}", flush=True)
for e in bags:
    print(f"  bag: objective {e['objective']:.5f} top-1 {p.top1(e['W']):.4f}", flush=True)
out.update(polished=[{"objective": e["objective"], "top1": e["top1"], "agree": e["agree"]} for e in plain],
           bags_top1=[p.top1(e["W"]) for e in bags], bagged_top1=p.top1(polar(sum(kept_maps))))
print(f"  the kept polish's {len(kept_maps)} bags averaged: {out['bagged_top1']:.4f}", flush=True)
for delta in DELTAS:
    pool = [e for e in plain if e is not best and e["agree"] >= AGREE_AT_LEAST
            and e["objective"] >= best["objective"] - delta]
    top1 = p.top1(polar(sum(kept_maps) + sum(e["W"] for e in pool))) if pool else out["bagged_top1"]
    out[f"pool_{delta}"] = {"n": len(pool), "top1": top1}
    print(f"  bags + {len(pool)} polishes within {delta} of the best objective: {top1:.4f}", flush=True)
    if bag_pool and pool and delta == DELTAS[1]:
        t = time.perf_counter()
        pooled = list(kept_maps)
        for e in pool:
            pooled.append(e["W"])
            for bag in range(1, params["polish_bags"]):
                W_bag, _, objective = mini_ot_polish.polish(rows, e["W_in"], x_held, params, 1,
                                                      fold_seed=(seed, 9, bag))
                if objective is not None:
                    pooled.append(W_bag)
        out["bag_pool"] = {"n": len(pooled), "top1": p.top1(polar(sum(pooled))),
                           "seconds": time.perf_counter() - t}
        print(f"  every such polish bagged too ({len(pooled)} maps): {out['bag_pool']['top1']:.4f}, "
              f"{out['bag_pool']['seconds']:.0f} s", flush=True)
print(json.dumps(out), flush=True)
