"""Round 28: does a single map at a low fixed point of the polish climb when it is averaged with a second map and the
mean polished? Round 27 found that the polar mean of two rescued maps (0.771, 0.780) polishes to 0.856, far above
either. Ok fits whose kept map is one polish at the same objective (e5-small -> MPNet WordNet seeds 1 and 2: 0.779
and 0.795, objective 0.314) have no second map. From saved maps (KEY of NPZ: one map), on the protocol's training rows:
  - control: the method's polish of the map alone, again;
  - second: stochastic rounds (seed SEED) then the polish from the map: a second map at another fixed point;
  - the polar mean of the map and the second one, polished (fold orders 1..BAGS, bagged).
Each step prints top-1, the polish's last objective and the agreement with the map.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/self_mean.py
DATA_DIR PAIR NPZ KEY [SEED] [BAGS] [OTHER_KEY] (OTHER_KEY: take that saved map as the second instead of the
stochastic rounds; one JSON line at the end)"""
import json
import sys
import time

import numpy as np
from study_pair import polish_setup

from vec2vec_fast.methods import mini_ot_candidates, mini_ot_polish
from vec2vec_fast.procrustes import orthogonalize

data_dir, pair, saved, key = sys.argv[1:5]
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
bags = int(sys.argv[6]) if len(sys.argv) > 6 else 3
other_key = sys.argv[7] if len(sys.argv) > 7 else None
p, rows, params, no_held, held = polish_setup(data_dir, pair)
W0 = np.load(saved)[key]
out = {"pair": pair, "key": key, "seed": seed, "start": p.top1(W0)}
print(f"{pair} {key}: top-1 {out['start']:.4f}", flush=True)


def polished(W, bag=0):
    W_p, _, objective = mini_ot_polish.polish(rows, W, no_held, params, 1, fold_seed=None if bag == 0 else (0, 9, bag))
    return W_p, objective


t = time.perf_counter()
W_c, obj_c = polished(W0)
out["control"] = {"top1": p.top1(W_c), "objective": obj_c, "agreement": mini_ot_candidates.map_agreement(held, W0, W_c)}
print(f"  control, polished again: {out['control']['top1']:.4f} at {obj_c:.5f}, agreement "
      f"{out['control']['agreement']:.3f} ({time.perf_counter() - t:.0f} s)", flush=True)

t = time.perf_counter()
if other_key is None:
    W_s, _ = mini_ot_polish.stochastic_start(p.a, p.b, W0, params, (0, 28, seed), 1)
    W2, obj2 = polished(W_s)
    out["second"] = {"stochastic": p.top1(W_s), "top1": p.top1(W2), "objective": obj2}
else:
    W2 = np.load(saved)[other_key]
    out["second"] = {"key": other_key, "top1": p.top1(W2)}
out["second"]["agreement"] = mini_ot_candidates.map_agreement(held, W0, W2)
print(f"  second map: {json.dumps(out['second'])} ({time.perf_counter() - t:.0f} s)", flush=True)

t = time.perf_counter()
mean = orthogonalize(np.add(W0, W2, dtype=np.float64))
out["mean"] = p.top1(mean)
maps, objectives, tops = [], [], []
for bag in range(bags):
    W_m, obj_m = polished(mean, bag)
    maps.append(W_m)
    objectives.append(obj_m)
    tops.append(p.top1(W_m))
out["mean_polished"] = {"top1": tops, "objective": objectives,
                        "bagged": p.top1(orthogonalize(np.sum(maps, axis=0, dtype=np.float64)))}
print(f"  polar mean {out['mean']:.4f}; polished {', '.join(f'{a:.4f} at {b:.5f}' for a, b in zip(tops, objectives))}"
      f"; bagged {out['mean_polished']['bagged']:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
print(json.dumps(out), flush=True)
