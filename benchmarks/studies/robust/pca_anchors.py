"""mini-ot's first candidate with the anchor k-means run on each side's top principal components (the centroids then
the means of each cluster's full rows): how much of the anchor stage's time it saves, and whether the candidate's map
is as good. Usage: pca_anchors.py DATA_DIR PAIR SEED DIMS ...  (logs/pca_anchors.log; study README, eighteenth round)

For each DIMS (0: the full rows, as the method does): mini at mini-ot's candidate settings (300 anchor runs of 20
Lloyd iterations, bilinear search) on the training rows less 2,000 a side (mini-ot's hold-out), then the candidate's
transport rounds; prints the anchor stage's seconds, top-1 of mini's map and of the refined one, and the refined
map's agreement with the first DIMS' (mean cosine of the mapped held-out rows). The projection is patched into mini's
anchor k-means here, not offered by the library: it lost the first correspondence on WordNet glosses.
"""
import sys
import time
from dataclasses import replace

import numpy as np
from study_pair import candidate_rows

from vec2vec_fast import mini
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import ot_refine


def principal_axes(x, dims):
    _, vectors = np.linalg.eigh(x.T.astype(np.float64) @ x.astype(np.float64))
    return vectors[:, ::-1][:, :dims].astype(np.float32)


def projected_kmeans(sides, params):
    """A stand-in for mini's kmeans: the anchor runs (anchor_clusters clusters, anchor_kmeans_iter iterations; they
    alternate A, B) cluster the rows' principal components; every other call (Refine-2) runs as before."""
    original, calls = mini.kmeans, [0]

    def kmeans(x, clusters, **kw):
        if clusters != params.anchor_clusters or kw.get("max_iter") != params.anchor_kmeans_iter:
            return original(x, clusters, **kw)
        basis = sides[calls[0] % 2]
        calls[0] += 1
        km = original(x @ basis, clusters, **kw)
        centroids = np.stack([x[km.labels == c].astype(np.float64).mean(0) if np.any(km.labels == c)
                              else km.centroids[c] @ basis.T for c in range(clusters)]).astype(np.float32)
        return replace(km, centroids=centroids)

    return kmeans


def main():
    data, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dims_list = [int(v) for v in sys.argv[4:]]
    p, defaults, params, a, b = candidate_rows(data, pair, seed)
    first, original = None, mini.kmeans
    for dims in dims_list:
        if dims:  # the rows mini clusters are its own preprocessed copy: the same axes up to float rounding
            mini.kmeans = projected_kmeans((principal_axes(a, dims), principal_axes(b, dims)), params)
        t = time.perf_counter()
        try:
            r = mini.fit_mini(a, b, params, seed=seed, n_threads=1)
        finally:
            mini.kmeans = original
        total = time.perf_counter() - t
        W, _ = ot_refine(unit_rows(a - r.mean_a), unit_rows(b - r.mean_b), r.W, eps=defaults["ot_eps"],
                         max_rounds=defaults["ot_max_rounds"], sweeps=defaults["ot_sweeps"], tol=defaults["ot_tol"],
                         n_threads=1)
        mapped = unit_rows(p.ev_a @ W)
        first = mapped if first is None else first
        print(f"dims {dims:4d}: anchors {r.report['seconds']['anchors']:6.1f} s of mini's {total:6.1f} s; "
              f"top-1 mini {p.top1(r.W):.4f} refined {p.top1(W):.4f}; agreement with dims {dims_list[0]} "
              f"{float(np.mean(np.sum(mapped * first, axis=1))):.3f}", flush=True)


if __name__ == "__main__":
    main()
