"""A transport plan whose cost is the pair model's own likelihood: does it stop the polish's drift?

The polish's plan couples x_i W with z_j by cosine at eps 0.03, and from the supervised map its rounds drift down
(MiniLM -> e5-small 0.988 -> 0.975 after one round, 0.943 after 8; tenth round). If (x, z) were jointly Gaussian with
canonical correlations rho_k (canonical variates u = x Ua, v = z Ub), the density of a true pair over that of an
unrelated one is exp(sum_k rho_k / (1 - rho_k^2) u_k v_k) times terms in x alone and z alone, which a balanced plan
absorbs in its potentials: the balanced entropic plan at eps 1 on the bilinear kernel exp(x M z^T), M = Ua diag(rho /
(1 - rho^2)) Ub^T, *is* the true joint (it has the right marginals and Sinkhorn's form), and its cross-covariance is
the true one, so the supervised map is a fixed point. The cosine kernel weighs B's directions by their variance, not by
how well A predicts them. An EM on M: plan on M (E), CCA of the plan's cross-covariance (M), repeated; the output map
is the polar factor of the plan's cross-covariance (plain, or ridge-whitened as the polish takes it).

usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/cca_plan.py PAIR
[ROUNDS] [REG] (logs/cca_plan_*.log)"""
import sys
import time

import numpy as np
from study_pair import bq, polar, split

pair = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
REG = float(sys.argv[3]) if len(sys.argv) > 3 else 0.1  # whitening ridge, in units of the mean eigenvalue
RHO_MAX = 0.99

a_tr, b_tr, ev_a, ev_b, b_h1 = split(pair)
x = bq.unit(a_tr - a_tr.mean(0)).astype(np.float64)
z = bq.unit(b_tr - b_tr.mean(0)).astype(np.float64)
zt = bq.unit(b_h1 - b_tr.mean(0)).astype(np.float64)  # x's true partners: the supervised reference only
n = len(x)


def top1(W):
    return bq.quality(W.astype(np.float32), ev_a, ev_b)["top1"]


def inv_sqrt(cov, reg):
    w, v = np.linalg.eigh(cov)
    w = w + reg * w.mean()
    return (v / np.sqrt(w)) @ v.T


def ridge_inv(cov, reg):
    w, v = np.linalg.eigh(cov)
    return (v / (w + reg * w.mean())) @ v.T


Sxx, Szz = x.T @ x / n, z.T @ z / n
Wx, Wz = inv_sqrt(Sxx, REG), inv_sqrt(Szz, REG)


def cca_kernel(Sxz):
    """M (d_a x d_b) of the Gaussian pair model whose cross-covariance is Sxz, and the canonical correlations."""
    U, rho, Vt = np.linalg.svd(Wx @ Sxz @ Wz)
    rho = np.minimum(rho, RHO_MAX)
    return Wx @ (U * (rho / (1 - rho ** 2))) @ Vt @ Wz, rho


def _lse(S, axis):
    m = S.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(S - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def plan_cross(S, sweeps=60):
    """The balanced plan of kernel exp(S) (rows sum to 1/n, columns to 1/m; log-domain Sinkhorn, float32) and its
    cross-covariance x^T P z."""
    S = S.astype(np.float32)
    f, g = np.zeros(len(S), np.float32), np.zeros(S.shape[1], np.float32)
    for _ in range(sweeps):
        f = -np.log(len(S)) - _lse(S + g[None, :], 1)
        g = -np.log(S.shape[1]) - _lse(S + f[:, None], 0)
    P = np.exp(S + f[:, None] + g[None, :]).astype(np.float64)
    return x.T @ (P @ z), P


def maps_from(Sxz):
    return polar(Sxz), polar(ridge_inv(Sxx, 1.0) @ Sxz)


ceiling = polar(x.T @ zt)
M_true, rho_true = cca_kernel(x.T @ zt / n)
print(f"{pair}: {n} rows a side, ceiling {top1(ceiling):.4f}; supervised canonical correlations "
      f"{' '.join(f'{r:.2f}' for r in rho_true[[0, 7, 31, 63, 127, 255, -1]])} (1st, 8th, 32nd, 64th, 128th, 256th, "
      f"last); sum rho/(1-rho^2) {np.sum(rho_true / (1 - rho_true ** 2)):.1f}", flush=True)

t = time.perf_counter()
for eps in (0.03,):
    Sxz, _ = plan_cross((x @ ceiling) @ z.T / eps)
    plain, whitened = maps_from(Sxz)
    print(f"cosine plan at eps {eps} from the ceiling, one round: plain {top1(plain):.4f} ridge-whitened "
          f"{top1(whitened):.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
for scale in (0.5, 1.0, 2.0):
    Sxz, _ = plan_cross(scale * x @ M_true @ z.T)
    plain, whitened = maps_from(Sxz)
    print(f"the supervised pair model's plan (M x {scale}), one round: plain {top1(plain):.4f} ridge-whitened "
          f"{top1(whitened):.4f}", flush=True)

# EM from the supervised model, and from a cosine plan of the ceiling (no pair model given).
for start in ("supervised model", "cosine plan of the ceiling"):
    if start == "supervised model":
        M = M_true
    else:
        Sxz, _ = plan_cross((x @ ceiling) @ z.T / 0.03)
        M, rho = cca_kernel(Sxz)
    line = []
    for _ in range(ROUNDS):
        Sxz, _ = plan_cross(x @ M @ z.T)
        M, rho = cca_kernel(Sxz)
        plain, whitened = maps_from(Sxz)
        weight = np.sum(rho / (1 - rho ** 2))
        line.append(f"{top1(plain):.4f}/{top1(whitened):.4f} (rho1 {rho[0]:.2f} sum {weight:.0f})")
    print(f"EM from the {start}, per round plain/whitened: " + "; ".join(line), flush=True)
