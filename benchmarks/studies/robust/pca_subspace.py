"""Does the first correspondence reduce to a k x k rotation between the two sides' top-k PCA subspaces, and can that
rotation be found without pairs? (Fifteenth round of the study README.)

Each side's training rows (preprocessed as the method does) are projected on their own top-k principal axes (scaled
to unit variance with WHITEN=1, the default; by one common scale with WHITEN=0). A k x k rotation R between the two
projections is lifted to a full map as mini lifts its anchors: each A row's pseudo-pair is the mean of its 50 nearest
B rows (cosine) in the projected coordinates after R, then orthogonal Procrustes on all rows, then a candidate's
transport rounds (eps 0.03, at most 12, 8,000 rows a side). Prints top-1 on the held-out pairs.

Modes (after DATA_DIR PAIR):
  energy K              how much of each of A's top-K axes the supervised ceiling map sends into B's top K
  oracle K ...          R = the ceiling's rotation between the projections (the polar factor on the true pairs)
  turn K ANGLE ...      the oracle R turned by a random rotation of ANGLE radians
  wp K STARTS N EPS     multi-start Wasserstein-Procrustes between the projections of N sampled rows a side (entropic
                        plan, EPS in units of the similarities' spread); starts: random rotations, or every signed
                        diagonal with STARTS=signs; the 3 best plan objectives are lifted
  mini K SEED ...       mini-vec2vec (mini-ot's anchor setting) on the projections gives R
  ica K                 FastICA on each side's whitened projection; components matched by their 1-D distributions
                        (both signs) and, separately, by their sign-free pairwise 4th moments (all K! orders) with
                        signs from the 3rd moments

usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/pca_subspace.py
    DATA_DIR PAIR MODE ARGS..."""
import itertools
import os
import sys
import time

import numpy as np
from scipy.linalg import expm
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from study_pair import protocol

from vec2vec_fast._numerics import preprocess
from vec2vec_fast.knn import knn_mean
from vec2vec_fast.mini import MiniParams, fit_mini
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import ot_refine

WHITEN = os.environ.get("WHITEN", "1") == "1"
T = 2


def polar(m):
    """The orthogonal polar factor of a square m, in float64: study_pair.polar rounds to float32, too coarse for the
    search's 1e-5 stopping test."""
    u, _, vt = np.linalg.svd(m)
    return u @ vt


def turned(R, angle, rng):
    """R turned by a random rotation of ``angle`` radians (its largest principal angle)."""
    A = rng.standard_normal(R.shape)
    A -= A.T
    return R @ expm(A * angle / np.linalg.norm(A, 2))


def axes(x):
    """(variances, axes) of x's covariance, largest first."""
    ev, U = np.linalg.eigh(x.T @ x / len(x))
    order = np.argsort(-ev)
    return ev[order], U[:, order]


class Subspaces:
    def __init__(self, data_dir, pair):
        self.p = protocol(data_dir, pair)
        self.b_true = preprocess(self.p.b_raw[self.p.h1], self.p.mean_b)  # A's true pairs: the ceiling only
        self.ceiling = procrustes(self.p.a, self.b_true, n_threads=T)
        self.ea, self.Ua = axes(self.p.a)
        self.eb, self.Ub = axes(self.p.b)

    def project(self, k):
        """(A's projection, B's projection, the oracle rotation between them)."""
        sa = np.sqrt(self.ea[:k]) if WHITEN else np.sqrt(self.ea[:k].mean())
        sb = np.sqrt(self.eb[:k]) if WHITEN else np.sqrt(self.eb[:k].mean())
        ya = (self.p.a @ self.Ua[:, :k] / sa).astype(np.float32)
        yb = (self.p.b @ self.Ub[:, :k] / sb).astype(np.float32)
        return ya, yb, polar(ya.T @ (self.b_true @ self.Ub[:, :k] / sb))

    def sample_rows(self, n, rng):
        """n of A's and n of B's training rows, drawn from rng: the rows a search's objective is computed on."""
        ra, rb = rng.choice(len(self.p.a), n, replace=False), rng.choice(len(self.p.b), n, replace=False)
        return self.p.a[ra], self.p.b[rb]

    def first_map(self, ya, yb, R):
        """R lifted as mini lifts its anchors: each A row's pseudo-pair the mean of its 50 nearest B rows (cosine) in
        the projections after R, then orthogonal Procrustes on all rows."""
        targets = knn_mean(np.ascontiguousarray(ya @ R, dtype=np.float32), yb, 50, values=self.p.b, metric="cosine",
                           n_threads=T)
        return procrustes(self.p.a, targets, n_threads=T)

    def lifted_objective(self, ya, yb, R, xa, xb):
        """The first map's plan objective (mean cosine, eps 0.03, 10 sweeps) on the sample rows xa, xb: the search
        proxy of the twenty-third round."""
        W = self.first_map(ya, yb, R)
        return ot_refine(xa, xb, W, eps=0.03, max_rounds=1, sweeps=10, tol=-1.0, n_threads=T, min_rounds=1)[1][0][
            "objective"]

    def lift(self, ya, yb, R, label):
        t = time.time()
        W = self.first_map(ya, yb, R)
        W1, history = ot_refine(self.p.a[:8000], self.p.b[:8000], W, eps=0.03, max_rounds=12, sweeps=10, tol=1e-4,
                                n_threads=T)
        print(f"{label}: first map {self.p.top1(W):.4f}, after the transport rounds {self.p.top1(W1):.4f} (objective "
              f"{history[-1]['objective']:.4f}, score {self.p.score(W1):.4f}; {time.time() - t:.0f} s)", flush=True)


def energy(s, k):
    M = s.Ua.T @ s.ceiling @ s.Ub
    print(f"ceiling top-1 {s.p.top1(s.ceiling):.4f}; share of variance on the top {k} axes: A "
          f"{s.ea[:k].sum() / s.ea.sum():.3f}, B {s.eb[:k].sum() / s.eb.sum():.3f}")
    for i in range(k):
        j = int(np.argmax(np.abs(M[i, :k])))
        print(f"  A axis {i}: into B's top {k} {np.sum(M[i, :k] ** 2):.3f}, largest on B axis {j} ({M[i, j]:+.3f})")


def wasserstein_procrustes(xa, xb, R, eps, rounds=15, sweeps=15):
    """(R, plan objective): entropic-plan / polar-factor rounds from R between two equal samples."""
    n = len(xa)
    for _ in range(rounds):
        S = (xa @ R) @ xb.T
        L = S / (eps * S.std())
        f, g = np.zeros(n), np.zeros(n)
        for _ in range(sweeps):
            f = -logsumexp(L + g[None, :], axis=1)
            g = -logsumexp(L + f[:, None], axis=0)
        plan = np.exp(L + f[:, None] + g[None, :])
        R_new = polar(xa.T @ (plan @ xb))
        done = np.abs(R_new - R).max() < 1e-5
        R = R_new
        if done:
            break
    return R, float(np.sum(plan * ((xa @ R) @ xb.T)) / plan.sum())


def wp_search(s, k, starts, n, eps):
    ya, yb, Ro = s.project(k)
    rng = np.random.default_rng(0)
    xa = ya[rng.choice(len(ya), n, replace=False)].astype(np.float64)
    xb = yb[rng.choice(len(yb), n, replace=False)].astype(np.float64)
    _, from_oracle = wasserstein_procrustes(xa, xb, Ro, eps)
    inits = ([np.diag(sg).astype(float) for sg in itertools.product([1, -1], repeat=k)] if starts == "signs"
             else [np.linalg.qr(rng.standard_normal((k, k)))[0] for _ in range(int(starts))])
    t = time.time()
    found = sorted((wasserstein_procrustes(xa, xb, R0, eps) for R0 in inits), key=lambda r: -r[1])
    print(f"{len(inits)} starts in {time.time() - t:.0f} s; plan objective from the oracle {from_oracle:.4f}, best "
          f"found {[round(o, 4) for _, o in found[:5]]}", flush=True)
    for rank, (R, objective) in enumerate(found[:3]):
        s.lift(ya, yb, R, f"start ranked {rank} (objective {objective:.4f}, trace(R^T R_oracle)/k "
                          f"{np.trace(R.T @ Ro) / k:+.3f})")


def ica_match(s, k):
    from sklearn.decomposition import FastICA
    ya, yb, Ro = s.project(k)

    def unmixing(y):
        return polar(FastICA(whiten=False, random_state=0, max_iter=1000, tol=1e-6).fit(y.astype(np.float64))
                     .components_)
    Qa, Qb = unmixing(ya), unmixing(yb)
    C = Qa @ Ro @ Qb.T
    order_oracle = np.abs(C).argmax(1)
    print(f"oracle: A's components in B's, largest cosine {np.round(np.abs(C).max(1), 2)} at {order_oracle}")
    sa, sb = ya @ Qa.T, yb @ Qb.T
    qs = np.linspace(0.005, 0.995, 199)
    qa, qb = np.quantile(sa, qs, axis=0), np.quantile(sb, qs, axis=0)
    cost, sign = np.zeros((k, k)), np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            pos, neg = np.mean(np.abs(qa[:, i] - qb[:, j])), np.mean(np.abs(qa[:, i] + qb[::-1, j]))
            cost[i, j], sign[i, j] = min(pos, neg), 1 if pos <= neg else -1
    rows, order = linear_sum_assignment(cost)
    S = np.zeros((k, k))
    S[rows, order] = sign[rows, order]
    print(f"1-D distributions: order {order}")
    s.lift(ya, yb, Qa.T @ S @ Qb, "components matched by their 1-D distributions")

    def moments(x):
        x = x / x.std(0)
        q = x ** 2 - 1
        return q.T @ q / len(x), np.einsum("ni,nj,nl->ijl", x, x, x, optimize=True) / len(x)
    Ga, Ta = moments(sa)
    Gb, Tb = moments(sb)

    def cost_of(order):
        return float(np.sum((Ga - Gb[np.ix_(order, order)]) ** 2))
    order = np.array(min(itertools.permutations(range(k)), key=lambda o: cost_of(np.array(o))))
    print(f"pairwise 4th moments: best order {order} (cost {cost_of(order):.3f}; the oracle's {order_oracle} costs "
          f"{cost_of(order_oracle):.3f})")
    Tp = Tb[np.ix_(order, order, order)]
    signs = max((np.array(sg, float) for sg in itertools.product([1, -1], repeat=k)),
                key=lambda d: float(np.einsum("ijl,i,j,l,ijl->", Ta, d, d, d, Tp)))
    S = np.zeros((k, k))
    S[np.arange(k), order] = signs
    s.lift(ya, yb, Qa.T @ S @ Qb, "components matched by their pairwise 4th moments")


def main():
    data_dir, pair, mode, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    s = Subspaces(data_dir, pair)
    print(f"{pair}, mode {mode} {' '.join(args)}, whiten {WHITEN}; ceiling top-1 {s.p.top1(s.ceiling):.4f}", flush=True)
    if mode == "energy":
        energy(s, int(args[0]))
    elif mode == "oracle":
        for k in map(int, args):
            s.lift(*s.project(k), f"oracle rotation, k={k}")
    elif mode == "turn":
        k = int(args[0])
        ya, yb, Ro = s.project(k)
        rng = np.random.default_rng(1)
        for angle in map(float, args[1:]):
            R = turned(Ro, angle, rng)
            s.lift(ya, yb, R, f"k={k}, oracle turned by {angle} rad (trace(R^T R_oracle)/k "
                              f"{np.trace(R.T @ Ro) / k:.3f})")
    elif mode == "wp":
        wp_search(s, int(args[0]), args[1], int(args[2]), float(args[3]))
    elif mode == "mini":
        k = int(args[0])
        ya, yb, Ro = s.project(k)
        for seed in map(int, args[1:]):
            R = fit_mini(ya, yb, MiniParams(anchor_runs=300, anchor_kmeans_iter=20, relative_search="bilinear"),
                         seed=seed, n_threads=T).W
            s.lift(ya, yb, R, f"mini on the projections, seed {seed} (trace(R^T R_oracle)/k "
                              f"{np.trace(R.T @ Ro) / k:+.3f})")
    elif mode == "ica":
        ica_match(s, int(args[0]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
