"""The twenty-third round's proxy (the lifted first map's transport objective, pca_subspace.Subspaces.
lifted_objective) searched globally: the cross-entropy method on the k x k rotation R = expm(S(theta)), theta the
k(k-1)/2 entries of a skew matrix S, drawn from a Gaussian (mean 0, SIGMA0 per entry at first); each generation keeps
the ELITE best of POP draws and refits the Gaussian's mean and full covariance to them (smoothed by 0.3 toward the
previous ones). After GENS generations the best R found is lifted as pca_subspace lifts.

usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/lifted_cem.py
    DATA_DIR PAIR K N POP ELITE GENS SIGMA0 [SEED]"""
import sys
import time

import numpy as np
from pca_subspace import Subspaces
from scipy.linalg import expm


def main():
    data_dir, pair = sys.argv[1], sys.argv[2]
    k, n, pop, elite, gens = (int(v) for v in sys.argv[3:8])
    sigma0 = float(sys.argv[8])
    seed = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    s = Subspaces(data_dir, pair)
    ya, yb, Ro = s.project(k)
    rng = np.random.default_rng(seed)
    xa, xb = s.sample_rows(n, rng)
    iu = np.triu_indices(k, 1)

    def rotation(theta):
        S = np.zeros((k, k))
        S[iu] = theta
        return expm(S - S.T)

    print(f"{pair} k={k} n={n} pop {pop} elite {elite} sigma0 {sigma0}: oracle f "
          f"{s.lifted_objective(ya, yb, Ro, xa, xb):.4f}", flush=True)
    dim = len(iu[0])
    mean, cov = np.zeros(dim), np.eye(dim) * sigma0 ** 2
    best = (-np.inf, None)
    t = time.time()
    for g in range(gens):
        thetas = rng.multivariate_normal(mean, cov, size=pop)
        fs = np.array([s.lifted_objective(ya, yb, rotation(th), xa, xb) for th in thetas])
        order = np.argsort(-fs)[:elite]
        if fs[order[0]] > best[0]:
            best = (fs[order[0]], rotation(thetas[order[0]]))
        e = thetas[order]
        mean = 0.7 * e.mean(0) + 0.3 * mean
        cov = 0.7 * (np.cov(e.T) + 1e-4 * np.eye(dim)) + 0.3 * cov
        Rm, Rg = rotation(mean), rotation(thetas[order[0]])
        print(f"generation {g}: best f {fs[order[0]]:.4f} (trace {np.trace(Rg.T @ Ro) / k:+.3f}), elite mean f "
              f"{fs[order].mean():.4f}, the mean's trace {np.trace(Rm.T @ Ro) / k:+.3f}, spread "
              f"{np.sqrt(np.trace(cov) / dim):.3f} ({time.time() - t:.0f} s)", flush=True)
    s.lift(ya, yb, best[1], f"best found (f {best[0]:.4f}, trace {np.trace(best[1].T @ Ro) / k:+.3f}) lifted")


if __name__ == "__main__":
    main()
