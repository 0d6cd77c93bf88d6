"""Cell-mean (region-level) refinement step: cells are k-means clusters of the UNION of mapped source rows (X W)
and target rows Z (in the target frame, spherical); each cell yields one pair (mean of its source rows in A's
frame, mean of its target rows in B's frame), weighted by min(count_a, count_b). W = polar(sum w xbar zbar^T).
If X W* and Z have the same distribution, the two cell means coincide at the population level, so W* is a fixed
point (no nearest-neighbour selection bias)."""
import numpy as np

import vec2vec_fast
from common import procrustes, unit


def assign(Y, C):
    """index of the most cosine-similar centroid per row, blocked."""
    out = np.empty(len(Y), dtype=np.int64)
    Cn = unit(C)
    for i in range(0, len(Y), 4096):
        out[i:i + 4096] = np.argmax(Y[i:i + 4096] @ Cn.T, axis=1)
    return out


def cell_pairs(X, Z, W, k, seed=0, union=True, min_count=2, iters=20):
    Xm = unit(X @ W)
    base = np.concatenate([Xm, Z]) if union else Xm
    km = vec2vec_fast.kmeans(base, k, seed=seed, n_threads=2, spherical=True, max_iter=iters)
    C = np.asarray(km.centroids, dtype=np.float32)
    la, lb = assign(Xm, C), assign(Z, C)
    na = np.bincount(la, minlength=k); nb = np.bincount(lb, minlength=k)
    sa = np.zeros((k, X.shape[1]), np.float64); np.add.at(sa, la, X)
    sb = np.zeros((k, Z.shape[1]), np.float64); np.add.at(sb, lb, Z)
    ok = (na >= min_count) & (nb >= min_count)
    xa = (sa[ok] / na[ok, None]).astype(np.float32)
    zb = (sb[ok] / nb[ok, None]).astype(np.float32)
    w = np.minimum(na[ok], nb[ok]).astype(np.float32)
    return xa, zb, w, dict(cells=int(ok.sum()), balance=float(np.abs(na - nb).sum() / (na.sum() + nb.sum())))


def cell_step(X, Z, W, k, seed=0, union=True):
    xa, zb, w, info = cell_pairs(X, Z, W, k, seed, union)
    return procrustes(xa, zb, w), info
