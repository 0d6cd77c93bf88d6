"""Does a Gromov (neighbourhood-consistency) term in the plan's cost slow the polish's drift from the ceiling? The
polish places each A row by its mapped vector alone, and its error lies in A's middle and low-variance directions
(sixth round), where a cosine dominated by the top directions says little. The fused cost adds, for each pair (i, j),
how much of i's k nearest A rows the last plan sent to j's k nearest B rows: G = Ka (n P) Kb, each side's own kNN
graph, no map involved. Plan kernel exp((cos(x_i W, z_j) + lam G_ij) / eps); ridge-whitened Procrustes on the
barycentres, as the polish's step; FOLDS > 1 cross-fits the placement as the method does (the G term too is built
from the last plan of all rows). From the supervised ceiling (START=ceiling) or from a map saved by the method
(START=path of an .npz with W, mean_a, mean_b): top-1 on the held-out pairs after 1, 2, 4, 8, 16 rounds, per lam.
usage (repository root): python benchmarks/studies/robust/fgw_polish.py PAIR START ROUNDS FOLDS K LAM ..."""
import sys

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, "benchmarks/studies/robust")
from study_pair import bq, polar, protocol  # noqa: E402
from vec2vec_fast._numerics import preprocess, unit_rows  # noqa: E402
from vec2vec_fast.procrustes import procrustes  # noqa: E402

pair, start, rounds, folds, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lams = [float(v) for v in sys.argv[6:]]
p = protocol(bq.SHARED, pair)
x, z = p.a.astype(np.float32), p.b.astype(np.float32)
n, m = len(x), len(z)
if start == "ceiling":
    W0 = procrustes(p.a, preprocess(p.b_raw[p.h1], p.mean_b))
else:
    W0 = np.load(start)["W"]
print(pair, "start", start, "top-1 %.3f" % p.top1(W0), f"n {n} m {m} k {k} folds {folds}", flush=True)


def knn_graph(rows):
    """Row-stochastic kNN graph (self excluded), k / row, as a sparse matrix."""
    idx = np.empty((len(rows), k), np.int64)
    for s in range(0, len(rows), 2048):
        sims = rows[s:s + 2048] @ rows.T
        sims[np.arange(len(sims)), np.arange(s, s + len(sims))] = -np.inf
        idx[s:s + 2048] = np.argpartition(-sims, k, axis=1)[:, :k]
    data = np.full(idx.size, 1.0 / k, np.float32)
    return sp.csr_matrix((data, idx.ravel(), np.arange(0, idx.size + 1, k)), shape=(len(rows), len(rows)))


Ka, Kb = knn_graph(x), knn_graph(z)
xw = x.astype(np.float64)
cov = xw.T @ xw / n
x_fit = (xw @ np.linalg.inv(cov + np.trace(cov) / len(cov) * np.eye(len(cov)))).astype(np.float32)
fold_of = np.arange(n) % folds


def plan(score, eps=0.03, sweeps=30):
    K = np.exp((score - score.max()) / eps, dtype=np.float32)
    u, v = np.ones(n, np.float32), np.ones(m, np.float32)
    for _ in range(sweeps):
        u = (1.0 / n) / np.maximum(K @ v, 1e-30)
        v = (1.0 / m) / np.maximum(K.T @ u, 1e-30)
    return K * u[:, None] * v[None, :]


for lam in lams:
    W, P, out = W0, None, []
    W_folds = [W0] * folds
    for r in range(rounds):
        mapped = np.empty((n, z.shape[1]), np.float32)
        for f in range(folds):
            mapped[fold_of == f] = unit_rows(x[fold_of == f] @ W_folds[f])
        score = mapped @ z.T
        if lam and P is not None:
            G = np.asarray((Kb @ (Ka @ (n * P)).T).T, dtype=np.float32)  # Ka (nP) Kb^T: Kb rows are j's neighbours
            if r == 1:
                print("G row max median %.4f, mean %.6f; score row spread (max - median) %.4f" % (np.median(G.max(1)), G.mean(), np.median(score.max(1) - np.median(score, 1))), flush=True)
            score += lam * G
        P = plan(score)
        T = (n * P) @ z
        parts = [x_fit[fold_of == f].T @ T[fold_of == f] for f in range(folds)]
        total = np.sum(parts, axis=0)
        W = polar(total)
        W_folds = [polar(total - part) for part in parts] if folds > 1 else [W]
        if r + 1 in (1, 2, 4, 8, 16, 32):
            out.append(f"{r + 1}: {p.top1(W):.3f}")
    print(f"lam {lam}: " + "  ".join(out), flush=True)
