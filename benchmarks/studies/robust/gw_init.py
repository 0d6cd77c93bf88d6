"""Initial map from entropic Gromov-Wasserstein between k-means centroids of each side (cluster-mass weights),
no k-means-partition agreement needed. Several restarts (random G0), lowest GW loss kept (label-free).
W0 = polar(Ca^T P Cb) (mass-weighted soft centroid correspondences). Saves W to gw_W/<pair>_s<seed>_<tag>.npy
and results (top-1 of the raw init, GW loss, seconds) to gw.json.
Usage: python gw_init.py pair seed k eps restarts [kernel]"""
import os
import sys
import time

import numpy as np
import ot

import vec2vec_fast
from common import *

pair, seed, k, eps, R = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
kernel = sys.argv[6] if len(sys.argv) > 6 else "cos"
os.makedirs(f"{OUT}/gw_W", exist_ok=True)
D = load(pair)
t0 = time.time()


def cents(X, s):
    r = vec2vec_fast.kmeans(X, k, seed=s, n_threads=2)
    lab = np.asarray(r.labels)
    mass = np.bincount(lab, minlength=k).astype(np.float64)
    return np.asarray(r.centroids, dtype=np.float64), mass / mass.sum()


def gw_fit(ca, pa, cb, pb, seed):
    """Returns plan, loss, over R restarts (first one: product coupling)."""
    def K(c):
        u = c / np.linalg.norm(c, axis=1, keepdims=True)
        M = u @ u.T if kernel == "cos" else np.linalg.norm(c[:, None] - c[None], axis=2)
        return (M - M.mean()) / M.std()  # z-scored: the two models use different similarity scales
    C1, C2 = K(ca), K(cb)
    rng = np.random.default_rng(seed)
    best = None
    for r in range(R):
        if r == 0:
            G0 = np.outer(pa, pb)
        else:  # random coupling with the right marginals (a few Sinkhorn steps on a random kernel)
            G0 = ot.sinkhorn(pa, pb, rng.random((len(pa), len(pb))), 0.05, numItermax=200)
        P, log = ot.gromov.entropic_gromov_wasserstein(C1, C2, pa, pb, "square_loss", epsilon=eps, G0=G0,
                                                     max_iter=200, tol=1e-7, log=True)
        loss = float(ot.gromov.gwloss(*ot.gromov.init_matrix(C1, C2, pa, pb, "square_loss")[:3], P))
        if best is None or loss < best[1]:
            best = (P, loss, r)
    return best


ca, pa = cents(D["s_tr"], seed)
cb, pb = cents(D["t_tr"], seed + 1000)
tk = time.time() - t0
P, loss, r = gw_fit(ca, pa, cb, pb, seed)
W = procrustes(ca.astype(np.float32), (P @ cb / P.sum(1, keepdims=True)).astype(np.float32), w=P.sum(1).astype(np.float32))
sec = time.time() - t0
tag = f"k{k}_e{eps}_{kernel}"
np.save(f"{OUT}/gw_W/{pair}_s{seed}_{tag}.npy", W)
res = load_json("gw.json", {})
ev = evaluate(W, pair)
res[f"{pair}|s{seed}|{tag}|R{R}"] = dict(**ev, gw_loss=loss, best_restart=r, seconds=sec, kmeans_s=tk,
                                         plan_argmax_mass=float(P.max(1).sum()))
save_json("gw.json", res)
print(pair, seed, tag, ev, "loss", loss, "sec", round(sec, 1), flush=True)
