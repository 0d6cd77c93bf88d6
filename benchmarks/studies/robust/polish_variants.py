"""Which polish removes more of the transport refinement's bias? From mini-ot's scored map (polish_rounds=0, seed 0),
on all training rows, compared on the held-out paired rows:
  a      A-side ridge-whitened Procrustes (the method's polish today), eps 0.03
  a.02   the same at eps 0.02
  ab     A-side ridge + B-side de-smoothing: the B self-plan (diagonal excluded: a mapped row's own pair is never in
         B's sample either) gives S ~= z M; each step takes polar(C (M + mu I)^-1), C the ridge regression of T on x
  two    both sides of the same plan: polar(C + D^T), D the ridge regression of B rows' targets (in A) on z
usage (repository root): python benchmarks/studies/robust/polish_variants.py PAIR [ROUNDS] [VARIANTS]
(logs/polish_variants_*.log)"""
import sys
import time

import numpy as np

from study_pair import load, polar
from vec2vec_fast._numerics import unit_rows

pair = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 8
variants = sys.argv[3].split(",") if len(sys.argv) > 3 else ["a", "a.02", "ab", "two"]
p = load(pair)
x, z = p.x, p.z


def ridge_inv(v, lam=1.0):
    cov = v.astype(np.float64).T @ v / len(v)
    return np.linalg.inv(cov + lam * np.trace(cov) / len(cov) * np.eye(len(cov)))


def plan(p, q, eps, sweeps=30, exclude_diagonal=False):
    k = p @ q.T
    if exclude_diagonal:
        np.fill_diagonal(k, -np.inf)
    k -= k.max(axis=1, keepdims=True)
    k = np.exp(k / eps, out=k)
    n, m = k.shape
    v = np.ones(m, dtype=np.float32)
    for _ in range(sweeps):
        u = (1.0 / n) / np.maximum(k @ v, 1e-30)
        v = (1.0 / m) / np.maximum(k.T @ u, 1e-30)
    return k * u[:, None] * v[None, :]  # rows sum to 1/n


inv_x, inv_z = ridge_inv(x), ridge_inv(z)
M = None


def b_smoothing(eps):
    P = plan(z, z, eps, exclude_diagonal=True) * len(z)
    S = P @ z
    return inv_z @ (z.astype(np.float64).T @ S) / len(z)  # regression of S on z, d_b x d_b


def refine(W, variant, n_rounds):
    global M
    eps = 0.02 if variant == "a.02" else 0.03
    if variant == "ab" and M is None:
        M = b_smoothing(eps)
        ev_m = np.linalg.eigvalsh((M + M.T) / 2)
        print(f"  B smoothing M: eigenvalues {ev_m.min():.3f}..{ev_m.max():.3f}, asym "
              f"{np.linalg.norm(M - M.T) / np.linalg.norm(M):.3f}", flush=True)
    for _ in range(n_rounds):
        P = plan(unit_rows(x @ W), z, eps)
        T = (P * len(x)) @ z
        C = inv_x @ (x.astype(np.float64).T @ T) / len(x)
        if variant == "ab":
            C = C @ np.linalg.inv(M + 0.1 * np.eye(len(M)))
        if variant == "two":
            Tb = (P.T * len(z)) @ x  # each B row's barycentre among A rows
            D = inv_z @ (z.astype(np.float64).T @ Tb) / len(z)
            C = C + D.T
        W = polar(C)
    return W


print(pair, "rows", len(x), len(z), "ceiling", p.top1(p.ceiling), "scored", p.top1(p.W0), flush=True)
for start, W0 in (("scored", p.W0), ("ceiling", p.ceiling)):
    for variant in variants:
        t = time.perf_counter()
        W = refine(W0, variant, rounds if start == "scored" else 4)
        print(f"  from {start:8s} {variant:5s}: top1 {p.top1(W):.4f} "
              f"({time.perf_counter() - t:.1f}s)", flush=True)
