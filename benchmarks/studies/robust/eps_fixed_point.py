"""Does a larger transport eps remove the polish's drift away from the ceiling? Under a model where B's row is A's
row mapped plus noise, the entropic plan reproduces the true joint (and its barycentres are E[y | x], whose
regression on x is the map) only when eps matches the noise, which real pairs have far above the default 0.03.
From the supervised ceiling: ROUNDS cross-fitted, ridge-whitened rounds (the polish's step, 5 folds) at each eps;
top-1 on the held-out pairs after each listed round count.
usage (repository root): python benchmarks/studies/robust/eps_fixed_point.py PAIR ROUNDS EPS[:RIDGE] ...  (ridge 1
by default, in units of A's mean eigenvalue)"""
import sys

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "benchmarks/studies/robust")
from study_pair import bq, protocol  # noqa: E402
from vec2vec_fast._numerics import preprocess, unit_rows  # noqa: E402
from vec2vec_fast.procrustes import procrustes  # noqa: E402
from vec2vec_fast.transport import ot_refine  # noqa: E402

pair, rounds = sys.argv[1], int(sys.argv[2])
specs = [(float(e.split(":")[0]), float(e.split(":")[1]) if ":" in e else 1.0) for e in sys.argv[3:]]
p = protocol(bq.SHARED, pair)
y = preprocess(p.b_raw[p.h1], p.mean_b)
ceiling = procrustes(p.a, y)
c = np.sum(unit_rows(p.a @ ceiling) * y, 1)
print(pair, "ceiling", p.top1(ceiling), "mean cos(x W*, y) %.3f" % c.mean(), flush=True)
for eps, ridge in specs:
    W, out = ceiling, []
    for r in range(rounds):
        with threadpool_limits(1, "blas"):
            W, hist = ot_refine(p.a, p.b, W, eps=eps, max_rounds=1, sweeps=30, tol=-1.0, n_threads=2,
                                min_rounds=1, ridge=ridge, folds=5)
        if r in (0, 1, 3, 7, 15, 31):
            out.append(f"{r + 1}: {p.top1(W):.3f}")
    print(f"eps {eps} ridge {ridge}: " + "  ".join(out), flush=True)
