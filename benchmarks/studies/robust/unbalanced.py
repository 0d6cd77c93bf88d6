"""Does relaxing the plan's marginals remove the fixed point's bias? A balanced plan makes every B row take the same
mass, which is right only if the mapped A rows and B's rows come from one distribution; two models' do not. Unbalanced
entropic transport (KL-relaxed marginals, strength tau; Sinkhorn scalings raised to tau / (tau + eps)) lets B rows
that no mapped row comes near take less. Targets are each row's barycentre under its plan row, and each A row's
Procrustes term is weighted by its plan mass. Ridge-whitened step (the method's polish), eps 0.03, all training rows;
from the supervised ceiling (4 rounds) and from mini-ot's scored map (8 and 16 rounds), seed 0.
usage (repository root): python benchmarks/studies/robust/unbalanced.py PAIR [TAUS, e.g. inf,0.3,0.1,0.03]"""
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from study_pair import load, polar
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _ridge_whitened

pair = sys.argv[1]
taus = [float(t) for t in (sys.argv[2] if len(sys.argv) > 2 else "inf,0.3,0.1,0.03").split(",")]
p = load(pair)
x, z = p.x, p.z
eps = 0.03
x_fit = _ridge_whitened(x, 1.0)  # the method's polish step


def plan(mapped, tau, sweeps=20):
    k = mapped @ z.T
    k -= k.max(axis=1, keepdims=True)
    k = np.exp(k / eps, out=k)
    n, m = k.shape
    f = 1.0 if np.isinf(tau) else tau / (tau + eps)
    v = np.ones(m, dtype=np.float32)
    for _ in range(sweeps):
        u = ((1.0 / n) / np.maximum(k @ v, 1e-30)) ** f
        v = ((1.0 / m) / np.maximum(k.T @ u, 1e-30)) ** f
    return k * u[:, None] * v[None, :]


def refine(W, tau, rounds):
    for _ in range(rounds):
        P = plan(unit_rows(x @ W), tau)
        mass = P.sum(axis=1)
        T = (P @ z) / np.maximum(mass, 1e-30)[:, None]
        w = (mass / mass.mean()).astype(np.float32)
        W = polar(x_fit.T.astype(np.float64) @ (T * w[:, None]))
    return W, mass


with threadpool_limits(1, "blas"):
    print(pair, "ceiling", p.top1(p.ceiling), "scored", p.top1(p.W0), flush=True)
    for tau in taus:
        t = time.perf_counter()
        W, mass = refine(p.ceiling, tau, 4)
        line = f"  tau {tau:5}: from ceiling 4: {p.top1(W):.4f}"
        W, _ = refine(p.W0, tau, 8)
        line += f"  from scored 8: {p.top1(W):.4f}"
        W, mass = refine(W, tau, 8)
        spread = np.percentile(mass / mass.mean(), [5, 95])
        print(line + f" 16: {p.top1(W):.4f}  row mass p5/p95 {spread[0]:.2f}/{spread[1]:.2f} "
              f"({time.perf_counter() - t:.0f}s)", flush=True)
