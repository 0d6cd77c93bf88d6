"""Is the transport objective's preference for its own fixed point over the ceiling map an overfit to the training
sample? The plan's mean cosine (eps 0.03) of the ceiling map, of the polish from the ceiling and of the polish from
the scored map, on the training rows (A's half 1, B's half 2) and on a fresh unpaired sample of the same size
(A's half 2, B's half 1: rows neither side trained on, preprocessed with the same means).
usage (repository root): python benchmarks/studies/robust/overfit.py PAIR [ROUNDS] (logs/overfit_*.log)"""
import sys
from concurrent.futures import ThreadPoolExecutor

from study_pair import fresh, load, plan_objective, polish

pair = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 16
p = load(pair)
fresh_x, fresh_z = fresh(pair)
pool = ThreadPoolExecutor(2)


def objective(x, z, W):
    return plan_objective(pool, x, z, W)


maps = {"ceiling": p.ceiling, "fp_from_ceiling": polish(p, p.ceiling, rounds),
        "fp_from_scored": polish(p, p.W0, rounds), "scored": p.W0}
print(pair, f"{rounds} rounds", flush=True)
for name, W in maps.items():
    print(f"  {name:16s} top-1 {p.top1(W):.4f}  objective train {objective(p.x, p.z, W):.5f}"
          f"  fresh {objective(fresh_x, fresh_z, W):.5f}", flush=True)
