"""How far can any estimator go that pairs A's rows with B rows of *other* sentences? Oracle targets: each A
training row's true B partner (B's half 1, never in B's training pool) is placed among B's training rows (half 2),
and the target is built from the pool as the transport would build it from a perfect map: the nearest pool row, a
softmax average of the pool rows (eps), or the balanced entropic plan's barycentre. Procrustes (plain, and
ridge-whitened as in the polish) on those targets, top-1 on the held-out pairs. If the oracle stops near the
polish's top-1, the limit is the neighbour noise of the targets, not the search for the map.
usage (repository root): python benchmarks/studies/robust/oracle_targets.py PAIR [EPS ...]"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "benchmarks/studies/robust")
from study_pair import bq, polar, protocol  # noqa: E402
from vec2vec_fast._numerics import preprocess  # noqa: E402
from vec2vec_fast.transport import sinkhorn_targets  # noqa: E402

pair = sys.argv[1]
epss = [float(e) for e in sys.argv[2:]] or [0.01, 0.03, 0.05]
p = protocol(bq.SHARED, pair)
y = preprocess(p.b_raw[p.h1], p.mean_b)  # x's true partners, outside B's training pool
x, z = p.a, p.b
cov = x.astype(np.float64).T @ x / len(x)
ridge_inv = np.linalg.inv(cov + np.trace(cov) / len(cov) * np.eye(len(cov)))


def fit(t):
    c = x.astype(np.float64).T @ t
    return p.top1(polar(c)), p.top1(polar(ridge_inv @ c))


def row_softmax(q, eps):
    out = np.empty_like(q)
    for s in range(0, len(q), 2048):
        s_ = q[s:s + 2048] @ z.T
        w = np.exp((s_ - s_.max(1, keepdims=True)) / eps)
        out[s:s + 2048] = (w / w.sum(1, keepdims=True)) @ z
    return out


def nearest(q):
    out = np.empty_like(q)
    for s in range(0, len(q), 2048):
        out[s:s + 2048] = z[np.argmax(q[s:s + 2048] @ z.T, axis=1)]
    return out


with threadpool_limits(2, "blas"):
    print(pair, "rows", len(x), len(z), "| ceiling (true partners) plain / ridge", fit(y), flush=True)
    t = nearest(y)
    print("nearest pool row: cos to partner %.3f" % np.mean(np.sum(t * y, 1)), fit(t), flush=True)
    for eps in epss:
        t = row_softmax(y, eps)
        print(f"softmax eps {eps}:", fit(t), flush=True)
        with ThreadPoolExecutor(2) as pool:
            tb = sinkhorn_targets(pool, y, z, eps, 50, np.ones(len(z)))[0]
        print(f"balanced plan eps {eps}:", fit(tb), flush=True)
