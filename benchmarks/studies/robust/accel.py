"""Can the cross-fitted polish get where 32 rounds get in fewer? Momentum on the cross-covariances: each round the
folds' parts M_k (whitened rows x targets) are extrapolated, M_k + beta (M_k - M_k of the previous round), before the
polar factors (beta 0 is the method's polish). Prints held-out top-1, the objective and the top-1 of the polar factor of the later half of the rounds' summed
cross-covariances (an average over rounds) at rounds 4, 8, 12, 16, 24, 32.
usage (repository root): python benchmarks/studies/robust/accel.py PAIR:SEED ... [--betas 0,0.5,1,2]
(logs/accel.log)"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from study_pair import load
from vec2vec_fast import _core
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _folds, _ridge_whitened, sinkhorn_targets

NONE = np.empty(0, dtype=np.float32)
args = [a for a in sys.argv[1:] if not a.startswith("--")]
betas = [0.0, 0.5, 1.0, 2.0]
if "--betas" in sys.argv:
    betas = [float(b) for b in sys.argv[sys.argv.index("--betas") + 1].split(",")]
    args = [a for a in args if a != sys.argv[sys.argv.index("--betas") + 1]]
SHOW = (4, 8, 12, 16, 24, 32)


def rounds(p, beta, n_rounds=32, folds=5, eps=0.03, ridge=1.0, show=SHOW):
    order, slices = _folds(len(p.x), folds)
    x = p.x[order]
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        x_fit = _ridge_whitened(p.x, ridge)[order]
        W_folds, v, prev, out, totals = [p.W0] * folds, np.ones(len(p.z)), None, [], []
        for r in range(1, n_rounds + 1):
            mapped = np.concatenate([unit_rows(x[s] @ Wk) for s, Wk in zip(slices, W_folds)])
            targets, v, obj = sinkhorn_targets(pool, mapped, p.z, eps, 10, v)
            parts = np.array([_core.cross_covariance(x_fit[s], targets[s], NONE, 2) for s in slices])
            used = parts if prev is None else parts + beta * (parts - prev)
            prev = parts
            total = used.sum(0)
            totals.append(parts.sum(0))
            W_folds = [_core.polar_factor(total - part, True).astype(np.float32) for part in used]
            if r in show:
                averaged = np.sum(totals[r // 2:], axis=0)  # the later half of the rounds' (unextrapolated) totals
                out.append((r, p.top1(_core.polar_factor(total, True).astype(np.float32)), obj,
                            p.top1(_core.polar_factor(averaged, True).astype(np.float32))))
    return out


for spec in args if __name__ == "__main__" else []:
    pair, seed = spec.split(":")
    p = load(pair, int(seed))
    print(f"{pair} seed {seed}: scored {p.top1(p.W0):.4f}", flush=True)
    for beta in betas:
        t = time.perf_counter()
        out = rounds(p, beta)
        print(f"  beta {beta}: " + "  ".join(f"{r}:{t1:.4f}/{o:.4f}/avg {a:.4f}" for r, t1, o, a in out)
              + f"  ({time.perf_counter() - t:.0f} s)", flush=True)
