"""The method's cross-fitted polish written out round by round, for the rounds-30-32 studies that change one part of
it: which rows the plan sees (``place``), how a round's targets are planned (``plan``), what enters each polar
factor (``adjust``). Without hooks it is mini-ot's polish on one plan: eps 0.03, A's rows ridge-whitened (1 mean
eigenvalue), 5 cross-fitted folds (round-robin), momentum 0.5, 10 warm-started Sinkhorn sweeps."""
import numpy as np

from vec2vec_fast import _core
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _block_pool, _folds, _ridge_whitened, sinkhorn_targets

REPORT = (1, 2, 4, 8, 16, 32)


def polar(m):
    """The orthogonal polar factor as the method takes it (float64 in, float32 out)."""
    return _core.polar_factor(np.ascontiguousarray(m, dtype=np.float64), True).astype(np.float32)


class WarmPlan:
    """The method's plan: one Sinkhorn plan of every mapped row against all of B, warm-started from last round's
    scalings. Called with (pool, mapped rows), it returns (barycentric targets, objective)."""

    def __init__(self, b, eps=0.03, sweeps=10):
        self.b, self.eps, self.sweeps = b, eps, sweeps
        self.v = np.ones(len(b))

    def __call__(self, pool, mapped):
        t, self.v, obj = sinkhorn_targets(pool, mapped, self.b, self.eps, self.sweeps, self.v)
        return t, obj


def crossfit_rounds(a, W, rounds, top1, plan, place=None, adjust=None, momentum=0.5, folds=5):
    """(map, last objective, ["round: top-1", ...] at the REPORT rounds) after ``rounds`` cross-fitted rounds on A's
    rows ``a`` from W. ``plan(pool, mapped)`` gives each round's targets for A's rows in fold order;
    ``place(x)`` the rows the plan sees (A's rows in fold order without it); ``adjust(M, W)`` what goes into the
    polar factor in place of a cross-covariance M, W the map it replaces."""
    order, slices = _folds(len(a), folds)
    x = a[order]
    x_fit = _ridge_whitened(x, 1.0)
    x_place = x if place is None else place(x)
    W_folds, previous, out, obj = [W] * len(slices), None, [], None
    with _block_pool(2) as pool:
        for r in range(1, rounds + 1):
            mapped = np.concatenate([unit_rows(x_place[s] @ Wk) for s, Wk in zip(slices, W_folds)])
            t, obj = plan(pool, mapped)
            parts = np.array([x_fit[s].T.astype(np.float64) @ t[s] for s in slices])
            used = parts if previous is None else parts + momentum * (parts - previous)
            previous = parts
            total = used.sum(0)
            if adjust is None:
                W_folds = [polar(total - part) for part in used]
                W = polar(total)
            else:
                W_folds = [polar(adjust(total - part, Wk)) for part, Wk in zip(used, W_folds)]
                W = polar(adjust(total, W))
            if r in REPORT:
                out.append(f"{r}: {top1(W):.4f}")
    return W, obj, out
