"""Round 27: how far does a rescued map go with more of the same? failed_rescue.py (round 26) left two maps on
e5-small -> MPNet WordNet seed 0 at top-1 0.771 and 0.780 (0.81 of the ceiling, where the pair's fits that do not fail
reach 0.88-0.95 of theirs). From the saved maps this runs, on the protocol's training rows (as the polish sees them):
  - the method's polish of their polar mean, bagged over BAGS fold orders (a polish of the mean rather than of each);
  - ITERS more rounds of what the rescue did once (stochastic rounds on a seeded sample, then the polish), from each
    map, printing top-1, the objective and how well the two agree after each round.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/rescue_iterate.py
DATA_DIR PAIR RESCUES_NPZ [ITERS] [BAGS] (one JSON line at the end)"""
import json
import sys
import time

import numpy as np
from study_pair import protocol

from vec2vec_fast.methods import mini_ot, mini_ot_candidates, mini_ot_polish
from vec2vec_fast.procrustes import orthogonalize

data_dir, pair, saved = sys.argv[1], sys.argv[2], sys.argv[3]
iters = int(sys.argv[4]) if len(sys.argv) > 4 else 2
bags = int(sys.argv[5]) if len(sys.argv) > 5 else 3
p = protocol(data_dir, pair)
rows = (p.a, p.b)
params = {**mini_ot.SCHEMA.defaults(), "polish_bags": 1}
no_held = np.empty((0, p.a.shape[1]), dtype=np.float32)
held = p.ev_a[: len(p.ev_a) // 2]  # unpaired A rows for the agreement, as the method measures it
maps = [np.load(saved)[f"rescue{k}"] for k in range(2)]
out = {"pair": pair, "start": [p.top1(W) for W in maps], "start_agreement": mini_ot_candidates.map_agreement(held, *maps)}
mean = orthogonalize(np.add(*maps, dtype=np.float64))
out["mean"] = p.top1(mean)
print(f"{pair}: rescued maps {out['start'][0]:.4f} / {out['start'][1]:.4f}, agree {out['start_agreement']:.3f}; "
      f"polar mean {out['mean']:.4f}", flush=True)

t = time.perf_counter()
bagged = []
for bag in range(bags):
    W, _, objective = mini_ot_polish.polish(rows, mean, no_held, params, 1, fold_seed=None if bag == 0 else (0, 9, bag))
    bagged.append(W)
    print(f"  polish of the mean, fold order {bag + 1}: {p.top1(W):.4f} at objective {objective:.5f}", flush=True)
out["mean_polished"] = p.top1(bagged[0])
out["mean_bagged"] = p.top1(orthogonalize(np.sum(bagged, axis=0, dtype=np.float64)))
print(f"  bagged over {bags}: {out['mean_bagged']:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)

out["iterations"] = []
for it in range(iters):
    t = time.perf_counter()
    step = []
    for k in range(2):
        W_s, _ = mini_ot_polish.stochastic_start(p.a, p.b, maps[k], params, (0, 27, it, k), 1)
        maps[k], _, objective = mini_ot_polish.polish(rows, W_s, no_held, params, 1)
        step.append({"stochastic": p.top1(W_s), "top1": p.top1(maps[k]), "objective": objective})
    agreement = mini_ot_candidates.map_agreement(held, *maps)
    joint = p.top1(orthogonalize(np.add(*maps, dtype=np.float64)))
    out["iterations"].append({"maps": step, "agreement": agreement, "mean": joint})
    print(f"  iteration {it + 1}: " + " / ".join(f"stochastic {s['stochastic']:.4f} -> {s['top1']:.4f} at "
                                                 f"{s['objective']:.5f}" for s in step)
          + f"; agree {agreement:.3f}; polar mean {joint:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
print(json.dumps(out), flush=True)
