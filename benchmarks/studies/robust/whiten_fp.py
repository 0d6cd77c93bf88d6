"""Does transport in whitened coordinates remove the bias of the fixed point? Both sides whitened with
(Σ + r · mean eigenvalue · I)^(-alpha/2), the transport rounds (eps 0.03, plain Procrustes) find an orthogonal Q
there, and the map handed to retrieval is the de-whitened one, W = Wx Q Wz⁻¹ (VecMap's re-weighting left out).
Started from the supervised map (Procrustes on the whitened true pairs) and from mini-ot's scored map (seed 0),
on all training rows; top-1 of the de-whitened map on the held-out pairs after 0, 2, 4, 8, 16 rounds.
usage (repository root): python benchmarks/studies/robust/whiten_fp.py PAIR ALPHA [RIDGE] (logs/whiten_fp_*.log)"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from study_pair import load, polar
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import sinkhorn_targets

pair, alpha = sys.argv[1], float(sys.argv[2])
ridge = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1
p = load(pair)
x, z = p.x, p.z


def whitening(v):
    cov = v.astype(np.float64).T @ v / len(v)
    w, U = np.linalg.eigh(cov)
    w = w + ridge * w.mean()
    return (U * w ** (-alpha / 2)) @ U.T, (U * w ** (alpha / 2)) @ U.T


Wx, _ = whitening(x)
Wz, Wz_inv = whitening(z)
xw, zw = unit_rows((x @ Wx).astype(np.float32)), unit_rows((z @ Wz).astype(np.float32))
Q_star = procrustes(xw, unit_rows((p.pairs_b @ Wz).astype(np.float32)))


def top1(Q):
    return p.top1((Wx @ Q @ Wz_inv).astype(np.float32))


print(pair, f"alpha {alpha} ridge {ridge}: orthogonal ceiling {p.top1(p.ceiling):.4f}, "
      f"whitened ceiling (de-whitened) {top1(Q_star):.4f}", flush=True)
starts = {"ceiling": Q_star, "scored": polar(np.linalg.inv(Wx) @ p.W0 @ Wz)}
with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
    for name, Q in starts.items():
        v = np.ones(len(zw))
        line = [f"0:{top1(Q):.4f}"]
        for r in range(1, 17):
            targets, v, obj = sinkhorn_targets(pool, unit_rows(xw @ Q), zw, 0.03, 10, v)
            Q = procrustes(xw, targets, n_threads=2)
            if r in (2, 4, 8, 16):
                line.append(f"{r}:{top1(Q):.4f}(obj {obj:.4f})")
        print(f"  from {name:8s} " + " ".join(line), flush=True)
