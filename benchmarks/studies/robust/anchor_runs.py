"""Which of mini's anchor runs match their centroids correctly, and can the runs that agree be told from the rest
without labels? Usage: anchor_runs.py DATA_DIR PAIR SEED [RUNS]

For each k-means + QAP run of mini's anchor stage (same subsampling, k-means and 2-opt as the method): the share of
its 20 centroid pairs that the supervised ceiling map confirms (each mapped A centroid's best B centroid by a LAP on
cosine), its normalised QAP score, and its own map (the anchors of that run alone: relative representations,
k-NN targets, Procrustes). Runs are then compared by the agreement of their maps on 2,000 A rows; the initial
map from all runs (mini), from the truly right ones (oracle) and from the largest agreeing group is scored by top-1.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast._numerics import preprocess, unit_rows  # noqa: E402
from vec2vec_fast.kmeans import kmeans  # noqa: E402
from vec2vec_fast.knn import knn_mean  # noqa: E402
from vec2vec_fast.lap import linear_sum_assignment  # noqa: E402
from vec2vec_fast.mini import _kernel  # noqa: E402
from vec2vec_fast.procrustes import procrustes  # noqa: E402
from vec2vec_fast.qap import qap, qap_score  # noqa: E402
from vec2vec_fast.confidence import score_map  # noqa: E402
from vec2vec_fast.transport import ot_refine  # noqa: E402


import os
K = int(os.environ.get("K", "20"))
KER = os.environ.get("KER", "centred")
NINIT = int(os.environ.get("NINIT", "1"))


def run_map(a, b, ca_list, cb_list, k=50):
    rel_a = a @ unit_rows(np.concatenate(ca_list)).T
    rel_b = b @ unit_rows(np.concatenate(cb_list)).T
    t = knn_mean(rel_a, rel_b, min(k, len(b)), values=b, metric="cosine", n_threads=2)
    return procrustes(a, t, n_threads=2)


def main():
    data, pair, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    a_raw, b_raw = bq.load_pair(pair, data, False)
    h1, h2, ev = bq.split(len(a_raw), False, None)
    ma, mb = a_raw[h1].mean(0), b_raw[h2].mean(0)
    a, b = preprocess(a_raw[h1], ma), preprocess(b_raw[h2], mb)
    ev_a, ev_b = preprocess(a_raw[ev], ma), preprocess(b_raw[ev], mb)
    ceiling = procrustes(a, preprocess(b_raw[h1], mb))
    top1 = lambda W: bq.quality(W, ev_a, ev_b)["top1"]  # noqa: E731
    print(f"{pair} seed {seed}: {len(a)} rows a side, ceiling top-1 {top1(ceiling):.3f}")
    rng = np.random.default_rng(seed)
    lam = float(os.environ.get("RIDGE", "0.3"))

    def whitener(x):
        w, v = np.linalg.eigh(np.cov(x.T.astype(np.float64)))
        return ((v / np.sqrt(w + lam * w.mean())) @ v.T).astype(np.float32)

    wa, wb = whitener(a), whitener(b)
    probe = a[np.random.default_rng(99).choice(len(a), 2000, replace=False)]
    cas, cbs, right, qs, maps = [], [], [], [], []
    for r in range(runs):
        sub_a = a[rng.choice(len(a), min(10_000, len(a)), replace=False)]
        sub_b = b[rng.choice(len(b), min(10_000, len(b)), replace=False)]
        ca = kmeans(sub_a, K, seed=rng, n_init=NINIT, n_threads=2).centroids
        cb = kmeans(sub_b, K, seed=rng, n_init=NINIT, n_threads=2).centroids
        if KER.startswith("white"):  # Mahalanobis inner products: each side whitened by its own covariance (ridge)
            ka, kb = _kernel(ca @ wa, "centred"), _kernel(cb @ wb, "centred")
        else:
            ka, kb = _kernel(ca, KER), _kernel(cb, KER)
        m = qap(ka, kb, method="2opt", n_restarts=30, seed=rng, n_threads=2)
        _, truth = linear_sum_assignment(unit_rows(ca @ ceiling) @ unit_rows(cb).T, maximize=True)
        right.append(float(np.mean(m.perm == truth)))
        print(f"run {r}: right {right[-1]:.2f} qap found {m.score:.4f} qap of the true matching "
              f"{qap_score(ka, kb, truth):.4f}", flush=True)
        qs.append(float(m.score / (np.linalg.norm(ka) * np.linalg.norm(kb))))
        cas.append(ca)
        cbs.append(cb[m.perm])
        maps.append(run_map(a, b, [ca], [cb[m.perm]]))
    mapped = [unit_rows(probe @ W) for W in maps]
    agree = np.array([[float(np.mean(np.sum(p * q, 1))) for q in mapped] for p in mapped])
    # held-out rows for the score: A's and B's eval rows, unpaired use only (disjoint halves of the eval block)
    xh, zh = ev_a[: len(ev_a) // 2], ev_b[len(ev_b) // 2:]
    sub = np.random.default_rng(5)
    xs = a[np.sort(sub.choice(len(a), min(4000, len(a)), replace=False))]
    zs = b[np.sort(sub.choice(len(b), min(4000, len(b)), replace=False))]
    for r in range(runs):
        others = np.delete(agree[r], r)
        s0 = score_map(xh, zh, maps[r], np.random.default_rng(8))["score"]
        W3, h = ot_refine(xs, zs, maps[r], eps=0.03, max_rounds=3, sweeps=10, tol=-1.0, n_threads=2, min_rounds=3)
        s3 = score_map(xh, zh, W3, np.random.default_rng(8))["score"]
        print(f"run {r:2d}: right {right[r]:.2f}  qap {qs[r]:.3f}  own-map top-1 {top1(maps[r]):.3f} score {s0:.4f}"
              f"  | 3 OT rounds (4k rows): top-1 {top1(W3):.3f} score {s3:.4f} objective {h[-1]['objective']:.4f}"
              f"  | agreement with others: max {others.max():.3f} mean {others.mean():.3f}", flush=True)
    right = np.array(right)
    print(f"runs with >= half right: {np.sum(right >= 0.5)} of {runs}; mean share right {right.mean():.2f}")
    print(f"initial map, all runs (mini): {top1(run_map(a, b, cas, cbs)):.3f}")
    good = [r for r in range(runs) if right[r] >= 0.5]
    if good:
        print(f"initial map, oracle runs ({len(good)}): {top1(run_map(a, b, [cas[r] for r in good], [cbs[r] for r in good])):.3f}")
    for thr in (0.3, 0.4, 0.5):
        # the largest group: the run with the most others above thr, and those others
        counts = (agree > thr).sum(1)
        c = int(np.argmax(counts))
        group = [r for r in range(runs) if agree[c, r] > thr]
        print(f"agreement > {thr}: centre run {c}, group {len(group)} runs, their share right "
              f"{right[group].mean():.2f}; initial map top-1 "
              f"{top1(run_map(a, b, [cas[r] for r in group], [cbs[r] for r in group])):.3f}")


if __name__ == "__main__":
    main()
