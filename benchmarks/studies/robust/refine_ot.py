"""Wasserstein-Procrustes refinement: alternate (1) balanced entropic OT plan P between mapped source rows and
target rows (cosine similarity, uniform marginals, Sinkhorn with warm start) and (2) W = polar(X^T P Z).
n rows per side (<= 8000: the plan is n x n). Stops when the transport objective <P, S> gains < tol.
Usage: python refine_ot.py OUT.json pair init eps[,eps2..] [rows] [seed]  (several eps = annealed schedule, one
outer iteration block per eps)."""
import os
import sys
import time

import numpy as np
import torch

from common import *


def sinkhorn_plan(S, eps, u=None, v=None, iters=50):
    K = torch.exp((S - 1.0) / eps)
    n, m = S.shape
    if v is None:
        v = torch.ones(m)
    for _ in range(iters):
        u = (1.0 / n) / (K @ v)
        v = (1.0 / m) / (K.T @ u)
    return K, u, v


def ot_refine(X, Z, W, eps_list=(0.05,), max_iters=5, tol=2e-3, log=None, pair=None):
    Zt = torch.from_numpy(Z); hist = []
    for eps in eps_list:
        u = v = None; prev = -np.inf
        for it in range(max_iters):
            S = torch.from_numpy(unit(X @ W)) @ Zt.T
            K, u, v = sinkhorn_plan(S, eps, u, v)
            K.mul_(u[:, None]).mul_(v[None, :])  # K is now the plan P (rows sum to 1/n)
            obj = float((K * S).sum())
            T = (K @ Zt).numpy()
            del K, S
            W_new = procrustes(X, T)
            change = float(np.linalg.norm(W_new - W) / np.sqrt(min(W.shape)))
            W = W_new
            h = dict(eps=eps, it=it, obj=obj, change=change)
            if pair is not None and log:
                h.update(evaluate(W, pair))
            hist.append(h)
            if log:
                print(h, flush=True)
            if change < tol:
                break
    return W, hist


if __name__ == "__main__":
    from refine import get_init
    outname, pair, init, eps = sys.argv[1:5]
    rows = int(sys.argv[5]) if len(sys.argv) > 5 else 8000
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    eps_list = [float(e) for e in eps.split(",")]
    D = load(pair); rng = np.random.default_rng(seed)
    X = D["s_tr"][rng.choice(len(D["s_tr"]), min(rows, len(D["s_tr"])), replace=False)]
    Z = D["t_tr"][rng.choice(len(D["t_tr"]), min(rows, len(D["t_tr"])), replace=False)]
    t = time.time()
    W, hist = ot_refine(X, Z, get_init(pair, init), eps_list, log=True, pair=pair)
    sec = time.time() - t
    res = load_json(outname, {})
    key = f"{pair}|{init}|ot{eps}|n{rows}|s{seed}"
    res[key] = dict(final=evaluate(W, pair), hist=hist, seconds=sec)
    save_json(outname, res)
    os.makedirs(f"{OUT}/ot_W", exist_ok=True)
    tag = os.path.basename(init).replace(".npy", "").replace("file:", "")
    np.save(f"{OUT}/ot_W/{pair}_{tag}_ot{eps}_n{rows}_s{seed}.npy", W)
    print("RESULT", key, res[key]["final"], round(sec, 1), flush=True)
