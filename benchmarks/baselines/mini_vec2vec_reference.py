"""mini-vec2vec (Dar 2025) in plain numpy / scipy / scikit-learn, following the reference notebook step by step.

This is the baseline that ``benchmarks/bench_end_to_end.py`` times ``vec2vec_fast.mini.fit_mini`` against. It does
what ``linear_vec2vec.ipynb`` does, as described in ../shared/spec/mini-vec2vec.md sections 1.2-1.8, including the
costly parts (the dense n_a x n_b similarity matrix of section 1.3 g, sklearn k-means, scipy's 2-opt QAP), so the
comparison is with the method as published, not with a tuned rewrite. Differences from the notebook, all forced by
the benchmark's needs:

* Every random step is seeded from one numpy Generator (the notebook is unseeded; spec 8.4).
* The means are each side's own training mean (the notebook pools both halves; spec 1.2 calls that a leak).
* The QAP options drop ``P0='randomized'``: 2-opt ignores it and warns; each restart starts from a random
  permutation either way (spec 1.3 d).
* Procrustes with d_a != d_b uses the semi-orthogonal polar factor (the notebook cannot run such pairs; spec 6).
"""

from __future__ import annotations

import time
from typing import Callable, Dict, List, Tuple

import numpy as np
from scipy.linalg import orthogonal_procrustes, svd
from scipy.optimize import quadratic_assignment
from sklearn.cluster import KMeans

__all__ = ["fit", "transform"]


def _seed(rng: np.random.Generator) -> int:
    """A fresh integer seed for a library that wants random_state, drawn from the run's Generator."""
    return int(rng.integers(2**31 - 1))


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """L2-normalise rows, as the notebook's F.normalize does."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def cos_sim_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cosine of every row of x with every row of y: both sides normalised, as the notebook's cos_sim_matrix."""
    return normalize_rows(x) @ normalize_rows(y).T


def procrustes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin over (semi-)orthogonal W of ||x W - y||_F, in float32 like the notebook's tensor()."""
    if x.shape[1] == y.shape[1]:
        w, _ = orthogonal_procrustes(x, y)  # the notebook's train_orthogonal_linear (spec 1.4)
    else:
        # scipy.linalg.orthogonal_procrustes rejects d_a != d_b, so the notebook cannot run a 384 -> 768 pair
        # (spec 6). Use the same formula it computes, the polar factor U V^T of x^T y, with the thin SVD: W is then
        # d_a x d_b with orthonormal rows (W W^T = I), the map Schnaus et al. use for mixed dimensions.
        u, _, vt = svd(x.T @ y, full_matrices=False)
        w = u @ vt
    return w.astype(np.float32)


def top_k_indices(sim: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest entries of each row (unordered; only their mean is used), like torch.topk."""
    return np.argpartition(sim, sim.shape[1] - k, axis=1)[:, -k:]


def centred_kernel(c: np.ndarray) -> np.ndarray:
    """K = H C C^T H with H = I - 11^T / c, written out as the notebook's sim() does (spec 1.3 c)."""
    n = len(c)
    h = np.eye(n, dtype=np.float32) - np.ones((n, n), dtype=np.float32) / n
    return (h @ c @ c.T @ h).astype(np.float32)


def best_qap(k_a: np.ndarray, k_b: np.ndarray, restarts: int, rng: np.random.Generator) -> np.ndarray:
    """Best of `restarts` random-start 2-opt runs by objective `fun` (maximised); returns B's order (spec 1.3 d)."""
    best = None
    for _ in range(restarts):
        res = quadratic_assignment(k_a, k_b, method="2opt", options={"maximize": True, "rng": rng})
        if best is None or res.fun > best.fun:
            best = res
    return best.col_ind


def aligned_centroids(a: np.ndarray, b: np.ndarray, clusters: int, subsample: int, restarts: int,
                      rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """One anchor run: independent subsamples, KMeans(c) on each, centroids matched by the QAP (spec 1.3 a-d)."""
    # The notebook's randperm(n)[:subsample]: independent draws on the two sides, all rows if n < subsample.
    sub_a = a[rng.permutation(len(a))[:subsample]]
    sub_b = b[rng.permutation(len(b))[:subsample]]
    # sklearn defaults (k-means++, lloyd, n_init='auto' = 1, max_iter 300, tol 1e-4); only the seed is added.
    centers_a = KMeans(n_clusters=clusters, random_state=_seed(rng)).fit(sub_a).cluster_centers_
    centers_b = KMeans(n_clusters=clusters, random_state=_seed(rng)).fit(sub_b).cluster_centers_
    order = best_qap(centred_kernel(centers_a), centred_kernel(centers_b), restarts, rng)
    return centers_a, centers_b[order]  # row i of B's centroids now matches row i of A's


def anchors(a: np.ndarray, b: np.ndarray, runs: int, clusters: int, subsample: int, restarts: int,
            rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """All runs' matched centroids, simply concatenated: no voting, no weighting by QAP score (spec 1.3 e)."""
    pairs = [aligned_centroids(a, b, clusters, subsample, restarts, rng) for _ in range(runs)]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def pseudo_targets(a: np.ndarray, b: np.ndarray, anchors_a: np.ndarray, anchors_b: np.ndarray,
                   neighbors: int) -> np.ndarray:
    """Mean of the k B rows nearest each A row in relative space, via the dense n_a x n_b matrix (spec 1.3 f-h)."""
    rel_a = cos_sim_matrix(a, anchors_a)  # n_a x (runs * clusters): cosine to each own-side anchor
    rel_b = cos_sim_matrix(b, anchors_b)
    # The notebook materialises the full cosine matrix between relative rows (the memory peak, spec 5) and takes
    # its top-k per row; this baseline keeps that on purpose.
    sim = cos_sim_matrix(rel_a, rel_b)
    top = top_k_indices(sim, neighbors)
    del sim
    # Y_train[top_similar] @ (1/k): gathers an n_a x k x d_b block, then a uniform mean over the k neighbours.
    return b[top].mean(axis=1)


def refine1(a: np.ndarray, b: np.ndarray, w: np.ndarray, iterations: int, sample: int, neighbors: int,
            smoothing: float, rng: np.random.Generator) -> np.ndarray:
    """Sampled closest-point averaging in B's ambient space, smoothed, never re-orthogonalised (spec 1.5)."""
    for _ in range(iterations):
        points = a[rng.permutation(len(a))[:sample]]
        top = top_k_indices(cos_sim_matrix(points @ w, b), neighbors)  # against all of B
        w_new = procrustes(points, b[top].mean(axis=1))
        w = ((1 - smoothing) * w + smoothing * w_new).astype(np.float32)
    return w


def refine2(a: np.ndarray, b: np.ndarray, w: np.ndarray, clusters: int, smoothing: float,
            rng: np.random.Generator) -> np.ndarray:
    """One cluster-based correction: B's k-means starts at A's mapped centres, so cluster j pairs with j (spec 1.6)."""
    clusters = min(clusters, len(a), len(b))  # only bites on toy data; the notebook would fail there
    centers_a = KMeans(n_clusters=clusters, random_state=_seed(rng)).fit(a).cluster_centers_
    # An explicit init array means one init; n_init=1 is what sklearn does then, stated to avoid its warning.
    centers_b = KMeans(n_clusters=clusters, init=centers_a @ w, n_init=1,
                       random_state=_seed(rng)).fit(b).cluster_centers_
    w_new = procrustes(centers_a, centers_b)
    return ((1 - smoothing) * w + smoothing * w_new).astype(np.float32)


def fit(X_a: np.ndarray, X_b: np.ndarray, *, seed: int = 0, runs: int = 30, clusters: int = 20,
        subsample: int = 10_000, qap_restarts: int = 30, neighbors: int = 50, refine1_iterations: int = 100,
        refine1_sample: int = 1000, refine1_neighbors: int = 50, smoothing: float = 0.5,
        refine2_clusters: int = 500) -> Dict[str, object]:
    """Learn W (d_a x d_b) mapping A into B from unpaired samples; returns W, the means and per-stage seconds."""
    rng = np.random.default_rng(seed)
    seconds: Dict[str, float] = {}

    def stage(name: str, fn: Callable[[], object]) -> object:
        t0 = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - t0
        return out

    def prep() -> List[np.ndarray]:
        # Spec 1.2: centre on the training mean, project onto the unit sphere; nothing else.
        x_a, x_b = np.asarray(X_a, dtype=np.float32), np.asarray(X_b, dtype=np.float32)
        m_a, m_b = x_a.mean(0), x_b.mean(0)
        return [m_a, m_b, normalize_rows(x_a - m_a), normalize_rows(x_b - m_b)]

    mean_a, mean_b, a, b = stage("preprocess", prep)
    anc_a, anc_b = stage("anchors", lambda: anchors(a, b, runs, clusters, subsample, qap_restarts, rng))
    targets = stage("pseudo_pairs", lambda: pseudo_targets(a, b, anc_a, anc_b, neighbors))
    w = stage("procrustes", lambda: procrustes(a, targets))  # spec 1.4: targets are not re-normalised
    w = stage("refine1", lambda: refine1(a, b, w, refine1_iterations, refine1_sample, refine1_neighbors,
                                         smoothing, rng))
    w = stage("refine2", lambda: refine2(a, b, w, refine2_clusters, smoothing, rng))
    seconds["total"] = sum(seconds.values())
    return {"W": w, "mean_a": mean_a, "mean_b": mean_b, "seconds": seconds}


def transform(result: Dict[str, object], X_a: np.ndarray) -> np.ndarray:
    """Map A vectors into B's centred, normalised frame: unit rows of normalize(x - mean_a) W (spec 1.7)."""
    x = np.asarray(X_a, dtype=np.float32)
    return normalize_rows(normalize_rows(x - result["mean_a"]) @ result["W"])
