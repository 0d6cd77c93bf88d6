"""Fixed-point diagnostic: starting from a given map (default: the supervised ceiling), do ONE update of each
refinement variant on n sampled rows per side and evaluate. A variant whose one step from the ceiling drops far
below it has a biased fixed point (its self-learning cannot converge to the ceiling).
Usage: python onestep.py pair init n_rows out.json"""
import sys
import time

import numpy as np
import torch
from refine import get_init
from refine_lib import dictionary, fit_map, induce

from common import *

pair, init, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
outname = sys.argv[4]
res = load_json(outname, {})
D = load(pair)
rng = np.random.default_rng(0)
X = D["s_tr"][rng.choice(len(D["s_tr"]), min(n, len(D["s_tr"])), replace=False)]
Z = D["t_tr"][rng.choice(len(D["t_tr"]), min(n, len(D["t_tr"])), replace=False)]
W0 = get_init(pair, init)
Xm = torch.from_numpy(unit(X @ W0)); Zt = torch.from_numpy(Z)
t = time.time()
ind = induce(Xm, Zt, k=10)
S = Xm @ Zt.T  # n x n (n <= 8000)
print("induce", time.time() - t, flush=True)
out = {"init": evaluate(W0, pair)}
print(out, flush=True)


def rec(name, W, Wz=None):
    out[name] = evaluate(W, pair, Wz); print(name, out[name], flush=True)
    res[f"{pair}|{init}|{n}"] = out; save_json(outname, res)


for mode in ["mutual", "union", "fwd"]:
    s, tg = dictionary(ind, mode)
    rec(f"orth_{mode}", fit_map(X[s.numpy()], Z[tg.numpy()], "orth")["Wx"])
s, tg = dictionary(ind, "union")
m = fit_map(X[s.numpy()], Z[tg.numpy()], "vecmap"); rec("vecmap_union", m["Wx"], m["Wz"])
rec("ridge_union", fit_map(X[s.numpy()], Z[tg.numpy()], "ridge")["Wx"])
# kNN-mean soft targets (mini refine1 style), k=10 and 50
for k in (10, 50):
    v, j = S.topk(k, dim=1)
    T = Zt[j].mean(1).numpy()
    rec(f"orth_knnmean{k}", procrustes(X, T))
# Sinkhorn OT plan (balanced, uniform marginals): W = polar(X^T P Z)
for eps in (0.05, 0.02):
    K = torch.exp((S - S.max()) / eps)
    u = torch.ones(len(X)); v = torch.ones(len(Z))
    for _ in range(100):
        u = 1.0 / (K @ v); v = 1.0 / (K.T @ u)
    P = u[:, None] * K * v[None, :]
    T = (P @ Zt).numpy()
    rec(f"orth_sinkhorn{eps}", procrustes(X, T))
    del K, P
