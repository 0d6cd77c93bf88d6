"""A first map from single anchor runs instead of mini's concatenation of all runs: each k-means + QAP run gives its
own map (relative representations on its 20 anchors, k-NN targets, Procrustes), a few transport rounds on a
subsample refine it, and the runs are ranked by the plan's objective. Then the best run's map is refined on all
training rows and polished as mini-ot does. Usage: multistart.py DATA_DIR PAIR SEED [RUNS [SHORT_ROUNDS]]
"""
import sys
import time

import numpy as np

from study_pair import protocol
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.kmeans import kmeans
from vec2vec_fast.knn import knn_mean
from vec2vec_fast.mini import _kernel
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.qap import qap
from vec2vec_fast.transport import ot_refine


def main():
    seed = int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    short = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    p = protocol(sys.argv[1], sys.argv[2])
    a, b, top1, score = p.a, p.b, p.top1, p.score
    xh = p.ev_a[: len(p.ev_a) // 2]
    rng = np.random.default_rng(seed)
    xs = a[np.sort(rng.choice(len(a), min(4000, len(a)), replace=False))]
    zs = b[np.sort(rng.choice(len(b), min(4000, len(b)), replace=False))]
    t0 = time.perf_counter()
    res = []
    for r in range(runs):
        t = time.perf_counter()
        sub_a = a[rng.choice(len(a), min(10_000, len(a)), replace=False)]
        sub_b = b[rng.choice(len(b), min(10_000, len(b)), replace=False)]
        ca = kmeans(sub_a, 20, seed=rng, n_threads=2).centroids
        cb = kmeans(sub_b, 20, seed=rng, n_threads=2).centroids
        m = qap(_kernel(ca, "centred"), _kernel(cb, "centred"), method="2opt", n_restarts=30, seed=rng, n_threads=2)
        t_anchor = time.perf_counter() - t
        rel_a, rel_b = a @ unit_rows(ca).T, b @ unit_rows(cb[m.perm]).T
        W0 = procrustes(a, knn_mean(rel_a, rel_b, 50, values=b, metric="cosine", n_threads=2), n_threads=2)
        W, h = ot_refine(xs, zs, W0, eps=0.03, max_rounds=short, sweeps=10, tol=-1.0, n_threads=2, min_rounds=short)
        res.append((h[-1]["objective"], r, W))
        print(f"run {r:2d}: objective {h[-1]['objective']:.4f} top-1 {top1(W):.3f} score {score(W):.4f} "
              f"({time.perf_counter() - t:.2f} s, anchors {t_anchor:.2f} s)", flush=True)
    res.sort(key=lambda e: -e[0])
    print(f"{runs} runs: {time.perf_counter() - t0:.1f} s; best objectives "
          + " ".join(f"{o:.4f}(run {r})" for o, r, _ in res[:5]))
    top = [unit_rows(xh @ W) for _, _, W in res[:5]]
    print("agreement of the top 5 with the best: " + " ".join(f"{np.mean(np.sum(top[0] * t, 1)):.3f}" for t in top[1:]))
    t = time.perf_counter()
    W, h = ot_refine(a, b, res[0][2], eps=0.03, max_rounds=24, sweeps=10, tol=1e-4, n_threads=2, min_rounds=4)
    print(f"best run refined on all {len(a)} rows, {len(h)} rounds ({time.perf_counter() - t:.1f} s): top-1 "
          f"{top1(W):.3f} score {score(W):.4f}", flush=True)
    t = time.perf_counter()
    Wp, _ = ot_refine(a, b, W, eps=0.03, max_rounds=16, sweeps=10, tol=-1.0, n_threads=2, ridge=1.0, min_rounds=16,
                      folds=5, momentum=0.5)
    print(f"polished ({time.perf_counter() - t:.1f} s): top-1 {top1(Wp):.3f} score {score(Wp):.4f}")


if __name__ == "__main__":
    main()
