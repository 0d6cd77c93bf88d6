"""Can stochastic rounds (VecMap's stochastic dictionary induction, as in round 22) find the k x k rotation between the
two sides' top-k principal projections that the fifteenth round showed to hold the first correspondence on MiniLM ->
e5-small WordNet? Plain multi-start Wasserstein-Procrustes on 400-500 rows found other rotations there.

From random rotations R0, on N sampled rows a side of the k-d projections (pca_subspace.Subspaces, WHITEN as there):
each round keeps each entry of the entropic kernel with probability keep (P0, doubled every STAGE rounds until 1), a
balanced plan (log-domain Sinkhorn), R = polar(Xᵀ P Y). Prints each start's final plan objective (unmasked) and its
trace(Rᵀ R_oracle)/k; the oracle's own objective after the same rounds; all of them on N fresh rows a side too;
then lifts the 3 best as pca_subspace does. Env TURN=ANGLE: the starts are the oracle turned by ANGLE radians instead
(how wide is the basin the stochastic rounds return from?).

usage (repository root): PYTHONPATH=benchmarks/studies/robust python
    benchmarks/studies/robust/subspace_stochastic.py DATA_DIR PAIR K STARTS N EPS [P0 STAGE]"""
import os
import sys
import time

import numpy as np
from pca_subspace import Subspaces, polar, turned


def plan(xa, xb, R, eps, mask, sweeps=30):
    """The balanced entropic plan (scaling form on a row-max-shifted float32 kernel; masked entries are 0) and its
    mean similarity."""
    S = ((xa @ R) @ xb.T).astype(np.float32)
    K = np.exp((S - S.max(1, keepdims=True)) / np.float32(eps))
    if mask is not None:
        K *= mask
    n, m = K.shape
    u, v = np.ones(n, np.float32), np.ones(m, np.float32)
    for _ in range(sweeps):
        u = (1.0 / n) / np.maximum(K @ v, 1e-30)
        v = (1.0 / m) / np.maximum(K.T @ u, 1e-30)
    P = K * u[:, None] * v[None, :]
    return P, float(np.sum(P * S) / P.sum())


def stochastic_search(xa, xb, R, eps, p0, stage, rng):
    keep = p0
    while True:
        for _ in range(stage):
            mask = rng.random((len(xa), len(xb)), dtype=np.float32) < keep if keep < 1 else None
            P, _ = plan(xa, xb, R, eps, mask)
            R = polar(xa.T @ (P @ xb).astype(np.float64))
        if keep >= 1:
            break
        keep = min(1.0, 2 * keep)
    _, objective = plan(xa, xb, R, eps, None)
    return R, objective


def main():
    data_dir, pair, k, starts, n, eps = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                          int(sys.argv[5]), float(sys.argv[6]))
    p0 = float(sys.argv[7]) if len(sys.argv) > 7 else 0.1
    stage = int(sys.argv[8]) if len(sys.argv) > 8 else 10
    turn = float(os.environ["TURN"]) if "TURN" in os.environ else None
    s = Subspaces(data_dir, pair)
    ya, yb, Ro = s.project(k)
    rng = np.random.default_rng(0)
    ia, ib = rng.permutation(len(ya)), rng.permutation(len(yb))
    xa, xb = ya[ia[:n]].astype(np.float64), yb[ib[:n]].astype(np.float64)
    # rows the search never saw: does its objective carry over (the sixth round's overfit, in k-d)?
    fa, fb = ya[ia[n:2 * n]].astype(np.float64), yb[ib[n:2 * n]].astype(np.float64)
    # eps in units of the similarities' spread, as pca_subspace's wp mode
    eps_abs = eps * float(((xa[:500] @ Ro) @ xb[:500].T).std())
    print(f"{pair} k={k} n={n} eps {eps} ({eps_abs:.4f}) p0 {p0} stage {stage}", flush=True)
    t = time.time()
    Rof, obj_o = stochastic_search(xa, xb, Ro, eps_abs, 1.0, stage, rng)
    _, obj_o0 = plan(xa, xb, Ro, eps_abs, None)
    print(f"oracle: objective {obj_o0:.4f}; after plain rounds {obj_o:.4f} (trace {np.trace(Rof.T @ Ro) / k:+.3f}; "
          f"{time.time() - t:.0f} s)", flush=True)
    found = []
    for i in range(starts):
        R0 = np.linalg.qr(rng.standard_normal((k, k)))[0] if turn is None else turned(Ro, turn, rng)
        t = time.time()
        R, obj = stochastic_search(xa, xb, R0, eps_abs, p0, stage, rng)
        found.append((obj, i, R))
        print(f"start {i} (trace {np.trace(R0.T @ Ro) / k:+.3f}): objective {obj:.4f}, trace "
              f"{np.trace(R.T @ Ro) / k:+.3f} ({time.time() - t:.0f} s)", flush=True)
    found.sort(key=lambda r: -r[0])
    print(f"on {len(fa)} / {len(fb)} fresh rows: oracle's basin {plan(fa, fb, Rof, eps_abs, None)[1]:.4f}; the best "
          f"five found {[round(plan(fa, fb, R, eps_abs, None)[1], 4) for _, _, R in found[:5]]}", flush=True)
    for rank, (obj, i, R) in enumerate(found[:3]):
        s.lift(ya, yb, R, f"start {i} ranked {rank} (objective {obj:.4f}, trace {np.trace(R.T @ Ro) / k:+.3f})")


if __name__ == "__main__":
    main()
