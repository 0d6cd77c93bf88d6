"""Does the transport refinement's Procrustes step carry a bias that a whitened polar factor removes?

Model: a barycentric target is a smoothed B row, T ~= X W* M with M symmetric positive (B-side shrinkage), so
Xᵀ T ~= Σx W* M and polar(Xᵀ T) != W* unless Σx and W* M W*ᵀ commute, while polar(Σx⁻¹ Xᵀ T) = polar(W* M) = W*.
Compared on all training rows (held-out ones included), from mini-ot's scored map (polish_rounds=0, seed 0) and from
the supervised ceiling map: standard rounds against whitened-polar rounds (ridge lam * mean eigenvalue).
usage (repository root): python benchmarks/studies/robust/debias.py PAIR [ROUNDS] [LAMS, e.g. none,0.3,1,3]"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast import Aligner  # noqa: E402
from vec2vec_fast._numerics import preprocess, unit_rows  # noqa: E402
from vec2vec_fast.procrustes import procrustes  # noqa: E402
from vec2vec_fast.transport import sinkhorn_targets  # noqa: E402

pair = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
lams = [None if v == "none" else float(v) for v in sys.argv[3].split(",")] if len(sys.argv) > 3 else \
    [None, 0.001, 0.01, 0.1, 1.0]
a, b = bq.load_pair(pair, bq.SHARED, False)
h1, h2, ev = bq.split(len(a), False, None)
a_tr, b_tr = a[h1], b[h2]
ev_a, ev_b = bq.unit(a[ev] - a_tr.mean(0)), bq.unit(b[ev] - b_tr.mean(0))
cache = f"/tmp/s18/W0_{pair}.npz"
if not os.path.exists(cache):
    al = Aligner(seed=0, polish_rounds=0).fit(a_tr, b_tr)
    np.savez(cache, W=al.W_, mean_a=al.mean_a_, mean_b=al.mean_b_)
c = np.load(cache)
x, z = preprocess(a_tr, c["mean_a"]), preprocess(b_tr, c["mean_b"])
ceiling = procrustes(bq.unit(a_tr - a_tr.mean(0)), bq.unit(b[h1] - b_tr.mean(0)))
cov = (x.astype(np.float64).T @ x) / len(x)
mean_eig = np.trace(cov) / len(cov)


def polar(m):
    u, _, vt = np.linalg.svd(m, full_matrices=False)
    return (u @ vt).astype(np.float32)


def refine(W, lam, n_rounds):
    inv = None if lam is None else np.linalg.inv(cov + lam * mean_eig * np.eye(len(cov)))
    v = np.ones(len(z))
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        for _ in range(n_rounds):
            targets, v, _ = sinkhorn_targets(pool, unit_rows(x @ W), z, 0.03, 10, v)
            cross = x.astype(np.float64).T @ targets
            W = polar(cross if inv is None else inv @ cross)
    return W


print(pair, "rows", len(x), "ceiling", bq.quality(ceiling, ev_a, ev_b)["top1"], "mini-ot scored",
      bq.quality(c["W"], ev_a, ev_b)["top1"], flush=True)
for start_name, W0 in (("scored", c["W"]), ("ceiling", ceiling)):
    for lam in lams:
        for n in ((rounds,) if start_name == "ceiling" else (rounds, 2 * rounds)):
            t = time.perf_counter()
            W = refine(W0, lam, n)
            print(f"  from {start_name:8s} lam {str(lam):5s} {n:2d} rounds: top1 {bq.quality(W, ev_a, ev_b)['top1']:.4f}"
                  f"  ({time.perf_counter() - t:.1f}s)", flush=True)
