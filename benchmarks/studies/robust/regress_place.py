"""Place the rows in the plan by the ridge regression instead of its polar factor. The tenth round: the polish is
limited by how x W places each row (cosine 0.56 with the true partner at the ceiling map, MiniLM -> e5-small), and
`placement.py` finds the supervised ridge regression places rows much closer (0.66; an MLP no closer than that),
while the orthogonal map retrieves best. So: the polish's cross-fitted rounds (5 folds, eps 0.03, ridge-whitened
Procrustes, momentum 0.5), with each fold's rows mapped for the plan by the other folds' regression
(Σ + PLACE_RIDGE · mean eigenvalue · I)⁻¹ Xᵀ T instead of its polar factor; the output map stays the polar factor of
the polish's regression (ridge 1). From the ceiling and from mini-ot's scored map (polish_rounds=0, seed SEED), top-1
on the held-out pairs after 1, 2, 4, 8, 16, 32 rounds.
usage (repository root): python benchmarks/studies/robust/regress_place.py PAIR SEED ROUNDS PLACE_RIDGE ...
(PLACE_RIDGE "polar": the method's placement)"""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "benchmarks/studies/robust")
from study_pair import load

from vec2vec_fast import _core
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _folds, sinkhorn_targets

NONE = np.empty(0, dtype=np.float32)
pair, seed, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
places = [None if s == "polar" else float(s) for s in sys.argv[4:]]
p = load(pair, seed)
order, slices = _folds(len(p.x), 5)
x = p.x[order]
x64 = x.astype(np.float64)
cov = x64.T @ x64 / len(x)
mean_eig = np.trace(cov) / len(cov)


def whitened(ridge):
    return (x64 @ np.linalg.inv(cov + ridge * mean_eig * np.eye(len(cov)))).astype(np.float32)


x_fit = whitened(1.0)


def polish(W, place_ridge):
    x_place = None if place_ridge is None else whitened(place_ridge)
    W_folds, P_folds, previous, out = [W] * 5, [W] * 5, None, []
    v = np.ones(len(p.z))
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(2) as pool:
        for r in range(rounds):
            mapped = np.concatenate([unit_rows(x[s] @ P) for s, P in zip(slices, P_folds)])
            targets, v, _ = sinkhorn_targets(pool, mapped, p.z, 0.03, 10, v)
            parts = np.array([_core.cross_covariance(x_fit[s], targets[s], NONE, 2) for s in slices])
            used = parts if previous is None else parts + 0.5 * (parts - previous)
            previous = parts
            total = used.sum(0)
            W_folds = [_core.polar_factor(total - part, True).astype(np.float32) for part in used]
            if x_place is None:
                P_folds = W_folds
            else:  # the other folds' regression at the placement ridge, unnormalised
                reg = np.array([_core.cross_covariance(x_place[s], targets[s], NONE, 2) for s in slices])
                P_folds = [(reg.sum(0) - part).astype(np.float32) for part in reg]
            W = _core.polar_factor(total, True).astype(np.float32)
            if r + 1 in (1, 2, 4, 8, 16, 32):
                out.append(f"{r + 1}: {p.top1(W):.3f}")
    return "  ".join(out)


print(pair, "seed", seed, "ceiling", p.top1(p.ceiling), "scored", p.top1(p.W0), flush=True)
for place in places:
    for name, W0 in (("scored", p.W0), ("ceiling", p.ceiling)):
        print(f"placement {'polar' if place is None else 'regression, ridge %g' % place}, from the {name}: "
              + polish(W0, place), flush=True)
