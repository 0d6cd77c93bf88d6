"""Does cross-fitting stop the polish from overfitting its training sample? Rows of each side are cut in two folds
(seeded); each round computes the plan on one fold with the map fitted on the other fold's plan, so no map is fitted
to partners it chose itself. Against the method's polish (all rows every round), from the scored map (seed 0):
top-1 on the held-out pairs and the objective on the training rows and on a fresh unpaired sample (A's half 2,
B's half 1), after 4, 8, 16, 32 rounds.
usage (repository root): python benchmarks/studies/robust/crossfit.py PAIR [FOLDS] (logs/crossfit_*.log)"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from study_pair import fresh, load, plan_objective, polish
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import _ridge_whitened, sinkhorn_targets

pair = sys.argv[1]
folds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
p = load(pair)
fresh_x, fresh_z = fresh(pair)
pool = ThreadPoolExecutor(2)
rng = np.random.default_rng(0)
fx = np.array_split(rng.permutation(len(p.x)), folds)
fz = np.array_split(rng.permutation(len(p.z)), folds)
xs = [p.x[i] for i in fx]
zs = [p.z[i] for i in fz]
xs_fit = [_ridge_whitened(x, 1.0) for x in xs]


def objective(x, z, W):
    return plan_objective(pool, x, z, W)


def line(name, W):
    return (f"{name} {p.top1(W):.4f} train {objective(p.x, p.z, W):.4f} fresh {objective(fresh_x, fresh_z, W):.4f}")


W_std, W_cf = p.W0, p.W0
vs = [np.ones(len(z)) for z in zs]
done = 0
print(pair, f"{folds} folds", flush=True)
for total in (4, 8, 16, 32):
    W_std = polish(p, W_std, total - done)
    for r in range(done, total):
        k = r % folds
        targets, vs[k], _ = sinkhorn_targets(pool, unit_rows(xs[k] @ W_cf), zs[k], 0.03, 10, vs[k])
        W_cf = procrustes(xs_fit[k], targets, n_threads=2)
    done = total
    print(f"  {total:2d} rounds: " + line("polish", W_std) + "  |  " + line("crossfit", W_cf), flush=True)
