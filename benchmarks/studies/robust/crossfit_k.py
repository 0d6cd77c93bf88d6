"""K-fold cross-fitted polish: every round, each row's plan position comes from the map fitted on the other folds'
targets (so no row is pulled toward partners that its own fit chose), while the output map is fitted on all rows.
Against the method's polish (all rows, one map), from the scored map (seed 0): top-1 on the held-out pairs after
4, 8, 16, 32 rounds, of the all-rows map and of the mean of the fold maps.
usage (repository root): python benchmarks/studies/robust/crossfit_k.py PAIR [FOLDS] [SEED] (logs/crossfit_k_*.log)"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from study_pair import load, polar, polish
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _ridge_whitened, sinkhorn_targets

pair = sys.argv[1]
folds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
start = sys.argv[4] if len(sys.argv) > 4 else "scored"
p = load(pair, seed)
if start == "ceiling":
    p.W0 = p.ceiling
pool = ThreadPoolExecutor(2)
fold_of = np.random.default_rng(0).permutation(len(p.x)) % folds
x_fit = _ridge_whitened(p.x, 1.0).astype(np.float64)
W_std, W_all = p.W0, p.W0
W_folds = [p.W0] * folds
v = np.ones(len(p.z))
done = 0
print(pair, f"seed {seed}, {folds} folds, start {start} {p.top1(p.W0):.4f}", flush=True)
for total in (4, 8, 16, 32):
    W_std = polish(p, W_std, total - done)
    for _ in range(done, total):
        mapped = np.empty((len(p.x), p.z.shape[1]), np.float32)
        for k in range(folds):
            mapped[fold_of == k] = unit_rows(p.x[fold_of == k] @ W_folds[k])
        targets, v, obj = sinkhorn_targets(pool, mapped, p.z, 0.03, 10, v)
        parts = [x_fit[fold_of == k].T @ targets[fold_of == k].astype(np.float64) for k in range(folds)]
        total_c = sum(parts)
        W_folds = [polar(total_c - part) for part in parts]
        W_all = polar(total_c)
    done = total
    W_mean = polar(sum(W.astype(np.float64) for W in W_folds))
    print(f"  {total:2d} rounds: polish {p.top1(W_std):.4f}  crossfit all-rows {p.top1(W_all):.4f}"
          f"  fold-mean {p.top1(W_mean):.4f}  objective {obj:.4f}", flush=True)
