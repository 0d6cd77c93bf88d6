"""A search for the k x k rotation between the top-k principal projections (fifteenth round) guided by the lifted
map's full-dimensional transport objective (perm_proxy.py: it rises smoothly toward the oracle). Twenty-third round.
f(R): lift R as mini lifts (each A row's pseudo-pair the mean of its 50 nearest B rows in the projections after R,
orthogonal Procrustes on all rows), then the plan's mean cosine (eps 0.03, 10 sweeps) of the lifted map on N rows a
side. Search: a (1+1) evolution strategy on the rotation group, R <- R expm(sigma G) with G a random unit-norm skew
matrix (largest angle sigma), the 1/5 success rule on sigma (from SIGMA0), EVALS evaluations per start; then the
candidate's transport rounds (eps 0.03, at most 12, 8,000 rows a side) from the best lift, as pca_subspace lifts.

usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/lifted_search.py
    DATA_DIR PAIR K N EVALS SIGMA0 STARTS [SIGMA_FLOOR [best]]   (best: lift only the start that ends highest)"""
import sys
import time

import numpy as np
from pca_subspace import Subspaces, turned


def main():
    data_dir, pair, k, n, evals, sigma0, starts = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                                   int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]))
    floor = float(sys.argv[8]) if len(sys.argv) > 8 else 0.0
    lift_all = len(sys.argv) <= 9 or sys.argv[9] != "best"
    s = Subspaces(data_dir, pair)
    ya, yb, Ro = s.project(k)
    rng = np.random.default_rng(0)
    xa, xb = s.sample_rows(n, rng)

    def f(R):
        return s.lifted_objective(ya, yb, R, xa, xb)

    print(f"{pair} k={k} n={n}: oracle f {f(Ro):.4f}", flush=True)
    ends = []
    for start in range(starts):
        R = np.linalg.qr(rng.standard_normal((k, k)))[0]
        fr, sigma, t = f(R), sigma0, time.time()
        print(f"start {start}: trace {np.trace(R.T @ Ro) / k:+.3f}, f {fr:.4f}", flush=True)
        for e in range(evals):
            Rn = turned(R, sigma, rng)
            fn = f(Rn)
            if fn > fr:
                R, fr, sigma = Rn, fn, min(1.5, sigma * 1.5)
            else:
                sigma = max(floor, sigma * 1.5 ** -0.25)
            if (e + 1) % 25 == 0:
                print(f"  {e + 1} evaluations: f {fr:.4f}, trace {np.trace(R.T @ Ro) / k:+.3f}, sigma {sigma:.3f} "
                      f"({time.time() - t:.0f} s)", flush=True)
        ends.append((fr, start, R))
        if not lift_all:
            continue
        s.lift(ya, yb, R, "  lifted")
    if not lift_all:
        fr, start, R = max(ends, key=lambda e: e[0])
        s.lift(ya, yb, R, f"best end, start {start} (f {fr:.4f}, trace {np.trace(R.T @ Ro) / k:+.3f}) lifted")


if __name__ == "__main__":
    main()
