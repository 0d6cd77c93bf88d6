"""Is there a cheap label-free proxy that tells a k x k rotation near the oracle (pca_subspace's, fifteenth round) from
a random one, once lifted to the full dimension? Twenty-third round. For each rotation R between the top-k principal
projections (WHITEN as pca_subspace): lift as mini lifts (each A row's pseudo-pair the mean of its 50 nearest B rows
in the projections after R, orthogonal Procrustes on all rows), then the full-dimensional transport objective (plan's
mean cosine, eps 0.03) of the lifted map on N rows a side, before and after ROUNDS transport rounds on those rows.
Rotations: the oracle, the signed permutation nearest it, the oracle turned by 0.6 / 1.0 / 1.4 rad, and random
signed permutations and random rotations.

usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/perm_proxy.py
    DATA_DIR PAIR K N ROUNDS RANDOM"""
import sys
import time

import numpy as np
from pca_subspace import Subspaces, turned
from scipy.optimize import linear_sum_assignment

from vec2vec_fast.transport import ot_refine

T = 2


def main():
    data_dir, pair, k, n, rounds, n_random = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                              int(sys.argv[5]), int(sys.argv[6]))
    s = Subspaces(data_dir, pair)
    ya, yb, Ro = s.project(k)
    rng = np.random.default_rng(0)
    xa, xb = s.sample_rows(n, rng)

    def signed_perm(perm, signs):
        P = np.zeros((k, k))
        P[np.arange(k), perm] = signs
        return P

    r, c = linear_sum_assignment(-np.abs(Ro))
    rotations = [("oracle", Ro), ("nearest signed permutation", signed_perm(c, np.sign(Ro[r, c])))]
    for angle in (0.6, 1.0, 1.4):
        rotations.append((f"oracle turned {angle}", turned(Ro, angle, rng)))
    for i in range(n_random):
        rotations.append((f"random signed permutation {i}", signed_perm(rng.permutation(k), rng.choice([-1, 1], k))))
        rotations.append((f"random rotation {i}", np.linalg.qr(rng.standard_normal((k, k)))[0]))
    for label, R in rotations:
        t = time.time()
        W = s.first_map(ya, yb, R)
        W1, hist = ot_refine(xa, xb, W, eps=0.03, max_rounds=rounds, sweeps=10, tol=-1.0, n_threads=T,
                             min_rounds=rounds)
        print(f"{label:32s} trace {np.trace(R.T @ Ro) / k:+.3f}: objective {hist[0]['objective']:.4f} -> "
              f"{hist[-1]['objective']:.4f}; top-1 (labels, not used) {s.p.top1(W):.4f} -> {s.p.top1(W1):.4f} "
              f"({time.time() - t:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
