"""Is the gap to the ceiling a biased fixed point or a different basin? Whitened polish rounds (the method's polish:
eps 0.03, ridge 1) on all training rows, from the supervised ceiling map and from mini-ot's scored map (seed 0),
with top-1 on the held-out pairs after 1, 2, 4, 8, 16, 32 rounds, and the two trajectories' agreement.
usage (repository root): python benchmarks/studies/robust/fixed_point.py PAIR (logs/fixed_point_*.log)"""
import sys

import numpy as np

from study_pair import load
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import ot_refine

pair = sys.argv[1]
p = load(pair)
x, z = p.x, p.z
maps = {"ceiling": p.ceiling, "scored": p.W0}
print(pair, flush=True)
done = 0
for total in (1, 2, 4, 8, 16, 32):
    line = []
    for name in maps:
        maps[name], hist = ot_refine(x, z, maps[name], eps=0.03, max_rounds=total - done, sweeps=10, tol=-1.0,
                                     n_threads=2, ridge=1.0)
        line.append(f"{name} {p.top1(maps[name]):.4f} obj {hist[-1]['objective']:.5f}")
    agree = float(np.mean(np.sum(unit_rows(p.ev_a @ maps['ceiling']) * unit_rows(p.ev_a @ maps['scored']), axis=1)))
    done = total
    print(f"  {total:2d} rounds: " + "  ".join(line) + f"  agreement {agree:.3f}", flush=True)
