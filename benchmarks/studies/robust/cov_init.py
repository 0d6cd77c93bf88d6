"""Does the first map get better if the anchor runs' matched centroids are used directly (Procrustes on all runs'
matched centroid pairs, i.e. the polar factor of the summed cross-covariances, as Schnaus et al. average them) instead
of mini's relative-representation pseudo-pairs? One mini anchor stage per seed (the library's mini, notebook
defaults, the same random stream as fit_mini), then each variant's first map goes through the same Refine-1 draws,
Refine-2 and the candidate's transport rounds (eps 0.03, at most 12). Prints top-1 on the held-out pairs after each
stage. Variants: "rel" (mini's own), "cov" (the summed cross-covariance), "covw" (each run weighted by its normalised
QAP score), "top" (only the RUNS_KEPT runs of highest normalised QAP score). Environment: VARIANTS (comma-separated,
default all), RUNS (anchor runs, default mini's 30), SUB (anchor_subsample, default 10,000), KITER
(k-means iterations per anchor run, default 300).

usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/cov_init.py DATA_DIR
    PAIR CLUSTERS SEED ..."""
import copy
import os
import sys
import time

import numpy as np
from study_pair import protocol

from vec2vec_fast._numerics import mean_row_cosine, unit_rows
from vec2vec_fast.kmeans import kmeans
from vec2vec_fast.knn import PreparedTarget, knn_mean
from vec2vec_fast.mini import MiniParams, _blend, _kernel
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.qap import qap
from vec2vec_fast.transport import ot_refine

VARIANTS = os.environ.get("VARIANTS", "rel,cov,covw,top").split(",")
RUNS_KEPT = 10
KITER = int(os.environ.get("KITER", 300))  # k-means iterations per anchor run (kmeans' default 300)
T = 2


def anchors(a, b, p, rng):
    out_a, out_b, scores = [], [], []
    for _ in range(p.anchor_runs):
        sub_a = a[rng.choice(len(a), min(p.anchor_subsample, len(a)), replace=False)]
        sub_b = b[rng.choice(len(b), min(p.anchor_subsample, len(b)), replace=False)]
        ca = kmeans(sub_a, p.anchor_clusters, seed=rng, n_threads=T, max_iter=KITER).centroids
        cb = kmeans(sub_b, p.anchor_clusters, seed=rng, n_threads=T, max_iter=KITER).centroids
        ka, kb = _kernel(ca, p.kernel), _kernel(cb, p.kernel)
        m = qap(ka, kb, method=p.qap_method, n_restarts=p.qap_restarts, seed=rng, n_threads=T)
        out_a.append(ca)
        out_b.append(cb[m.perm])
        scores.append(m.score / (np.linalg.norm(ka) * np.linalg.norm(kb)))
    return out_a, out_b, np.array(scores)


def first_map(variant, a, b, ca, cb, scores, p):
    if variant == "rel":
        rel_a = a @ unit_rows(np.concatenate(ca)).T
        rel_b = b @ unit_rows(np.concatenate(cb)).T
        return procrustes(a, knn_mean(rel_a, rel_b, p.neighbors, values=b, metric="cosine", n_threads=T), n_threads=T)
    if variant == "cov":
        return procrustes(np.concatenate(ca), np.concatenate(cb), n_threads=T)
    if variant == "covw":
        w = np.clip(scores, 0, None)
        return procrustes(np.concatenate([x * s for x, s in zip(ca, w)]), np.concatenate(cb), n_threads=T)
    keep = np.argsort(-scores)[:RUNS_KEPT]
    return procrustes(np.concatenate([ca[i] for i in keep]), np.concatenate([cb[i] for i in keep]), n_threads=T)


def refine(W, a, b, target, p, rng):
    for _ in range(p.refine1_iterations):
        sample = a[rng.choice(len(a), min(p.refine1_sample, len(a)), replace=False)]
        mapped = sample @ W
        W = _blend(W, procrustes(sample, target.knn_mean(mapped, p.refine1_neighbors), n_threads=T), p)
    c_a = kmeans(a, p.refine2_clusters, seed=rng, n_threads=T).centroids
    c_b = kmeans(b, p.refine2_clusters, init=c_a @ W, seed=rng, n_threads=T).centroids
    return _blend(W, procrustes(c_a, c_b, n_threads=T), p), mean_row_cosine(c_a @ W, c_b)


def main():
    data_dir, pair, clusters = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pr = protocol(data_dir, pair)
    a, b = pr.a, pr.b
    target = PreparedTarget(b, metric="cosine", n_threads=T)
    p = MiniParams(anchor_clusters=clusters, anchor_runs=int(os.environ.get("RUNS", 30)),
                   anchor_subsample=int(os.environ.get("SUB", 10_000)))
    ot_rng = np.random.default_rng(7)
    x = a[np.sort(ot_rng.choice(len(a), min(16000, len(a)), replace=False))]
    z = b[np.sort(ot_rng.choice(len(b), min(16000, len(b)), replace=False))]
    for seed in (int(s) for s in sys.argv[4:]):
        t = time.perf_counter()
        rng = np.random.default_rng(seed)
        ca, cb, scores = anchors(a, b, p, rng)
        print(f"{pair} clusters {clusters} runs {p.anchor_runs} subsample {p.anchor_subsample} seed {seed}: anchors "
              f"{time.perf_counter() - t:.0f} s, normalised QAP scores {scores.min():.3f}-{scores.max():.3f}",
              flush=True)
        for v in VARIANTS:
            t = time.perf_counter()
            W0 = first_map(v, a, b, ca, cb, scores, p)
            W1, consistency = refine(W0, a, b, target, p, copy.deepcopy(rng))
            W2, hist = ot_refine(x, z, W1, eps=0.03, max_rounds=12, sweeps=10, tol=1e-4, n_threads=T)
            print(f"  {v:4s}: top-1 first map {pr.top1(W0):.4f}, mini {pr.top1(W1):.4f} (Refine-2 consistency "
                  f"{consistency:.3f}), transport {pr.top1(W2):.4f} (objective {hist[-1]['objective']:.4f}, "
                  f"{len(hist)} rounds), score {pr.score(W2):.4f} ({time.perf_counter() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
