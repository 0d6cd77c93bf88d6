"""mini-vec2vec (Dar 2025) on the C++ kernels: anchors matched by QAP, pseudo-pairs, Procrustes, two refinements.

Defaults follow the reference notebook (spec ../shared/spec/mini-vec2vec.md, sections 1.2-1.6). The unified
``Aligner`` API, save/load and the end-to-end benchmark are still to come (issue 4); this module is the algorithm.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import SeedLike, as_float32_matrix, check_choice, resolve_n_threads, resolve_seed
from .kmeans import kmeans
from .knn import knn_mean
from .procrustes import orthogonalize, procrustes
from .qap import qap


@dataclass(frozen=True)
class MiniParams:
    """Every hyperparameter, with the notebook's default (spec section 2 lists where sources disagree)."""

    anchor_runs: int = 30          # s: independent anchor runs, concatenated
    anchor_clusters: int = 20      # c: k-means clusters per side per run
    anchor_subsample: int = 10_000  # rows drawn per side per run
    kernel: str = "centred"        # "centred" (notebook: H C C^T H) or "cosine" (paper)
    qap_method: str = "2opt"       # "2opt" (notebook), "faq+2opt"; plain "faq" fails on centred kernels
    qap_restarts: int = 30
    neighbors: int = 50            # k: B rows averaged per pseudo-target
    refine1_iterations: int = 100  # T
    refine1_sample: int = 1_000    # n_s (the paper says 10,000)
    refine1_neighbors: int = 50    # k'
    smoothing: float = 0.5         # alpha: W <- (1 - alpha) W + alpha W_new
    refine2_clusters: int = 500    # c'
    reorthogonalize: bool = False  # the notebook never re-orthogonalises after smoothing


@dataclass
class MiniResult:
    W: NDArray[np.float32]         # (d_a, d_b): maps normalize(x - mean_a) into B's centred, normalised frame
    mean_a: NDArray[np.float32]
    mean_b: NDArray[np.float32]
    seed: int
    report: Dict[str, Any] = field(default_factory=dict)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def preprocess(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Centre on the training mean, then project onto the unit sphere (spec 1.2)."""
    return _unit_rows(x - mean)


def _kernel(centroids: np.ndarray, kind: str) -> np.ndarray:
    c = centroids.astype(np.float64)
    if kind == "cosine":
        c = c / np.linalg.norm(c, axis=1, keepdims=True)
        return c @ c.T
    c = c - c.mean(0)  # H C C^T H = (C - mean)(C - mean)^T
    return c @ c.T


def _blend(W: np.ndarray, W_new: np.ndarray, params: MiniParams) -> np.ndarray:
    W = (1 - params.smoothing) * W + params.smoothing * W_new
    return orthogonalize(W) if params.reorthogonalize else W.astype(np.float32)


def _orthogonality_error(W: np.ndarray) -> float:
    gram = W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T
    return float(np.abs(gram.astype(np.float64) - np.eye(gram.shape[0])).max())


def fit_mini(
    X_a: ArrayLike,
    X_b: ArrayLike,
    params: MiniParams = MiniParams(),
    *,
    seed: SeedLike = 0,
    n_threads: Optional[int] = None,
) -> MiniResult:
    """Learn W mapping space A into space B from unpaired samples of each (mini-vec2vec).

    Parameters
    ----------
    X_a : (n_a, d_a), X_b : (n_b, d_b)
        Unpaired embeddings; d_a and d_b may differ. Each side is centred and normalised internally (one float32
        working copy per side).
    params : MiniParams
    seed : int, numpy Generator or None
        Every random step (subsamples, k-means seeding, QAP restarts, Refine-1 draws) derives from it.

    Returns
    -------
    MiniResult with W (d_a, d_b), the training means, the seed used, and ``report``: per-stage seconds and the
    label-free diagnostics of spec section 8.5 (normalised QAP scores, Refine-1 objective, Refine-2
    self-consistency, |W^T W - I|).
    """
    check_choice(params.kernel, "kernel", ("centred", "cosine"))
    check_choice(params.qap_method, "qap_method", ("2opt", "faq", "faq+2opt"))
    threads = resolve_n_threads(n_threads)
    a_raw = as_float32_matrix(X_a, "X_a", n_threads=threads)
    b_raw = as_float32_matrix(X_b, "X_b", n_threads=threads)
    used_seed = resolve_seed(seed)
    rng = np.random.default_rng(used_seed)
    report: Dict[str, Any] = {"params": asdict(params), "seconds": {}}

    def timed(stage: str, start: float) -> None:
        report["seconds"][stage] = time.perf_counter() - start

    t = time.perf_counter()
    mean_a, mean_b = a_raw.mean(0, dtype=np.float64).astype(np.float32), b_raw.mean(0, dtype=np.float64).astype(np.float32)
    a, b = preprocess(a_raw, mean_a), preprocess(b_raw, mean_b)
    c = params.anchor_clusters
    if c > min(len(a), len(b)):
        raise ValueError(f"anchor_clusters={c} exceeds the smaller side's {min(len(a), len(b))} rows")
    timed("preprocess", t)

    # Anchors: per run, k-means on a subsample of each side, centroids matched by the QAP (spec 1.3).
    t = time.perf_counter()
    anchors_a: List[np.ndarray] = []
    anchors_b: List[np.ndarray] = []
    qap_scores: List[float] = []
    for _ in range(params.anchor_runs):
        sub_a = a[rng.choice(len(a), min(params.anchor_subsample, len(a)), replace=False)]
        sub_b = b[rng.choice(len(b), min(params.anchor_subsample, len(b)), replace=False)]
        ca = kmeans(sub_a, c, seed=rng, n_threads=threads).centroids
        cb = kmeans(sub_b, c, seed=rng, n_threads=threads).centroids
        ka, kb = _kernel(ca, params.kernel), _kernel(cb, params.kernel)
        match = qap(ka, kb, method=params.qap_method, n_restarts=params.qap_restarts, seed=rng, n_threads=threads)
        anchors_a.append(ca)
        anchors_b.append(cb[match.perm])
        qap_scores.append(match.score / (np.linalg.norm(ka) * np.linalg.norm(kb)))
    report["qap_score_normalised"] = qap_scores
    timed("anchors", t)

    # Pseudo-targets: top-k neighbours in relative space, averaged in B's space (spec 1.3 f-h).
    t = time.perf_counter()
    rel_a = a @ _unit_rows(np.concatenate(anchors_a)).T
    rel_b = b @ _unit_rows(np.concatenate(anchors_b)).T
    targets = knn_mean(rel_a, rel_b, min(params.neighbors, len(b)), values=b, metric="cosine", n_threads=threads)
    del rel_a, rel_b
    timed("pseudo_pairs", t)

    t = time.perf_counter()
    W = procrustes(a, targets, n_threads=threads)
    timed("procrustes", t)

    # Refine-1: sampled matching in B's space, smoothed (spec 1.5).
    t = time.perf_counter()
    objective = []
    k1 = min(params.refine1_neighbors, len(b))
    for _ in range(params.refine1_iterations):
        sample = a[rng.choice(len(a), min(params.refine1_sample, len(a)), replace=False)]
        mapped = sample @ W
        tgt = knn_mean(mapped, b, k1, metric="cosine", n_threads=threads)
        objective.append(float(np.mean(np.sum(_unit_rows(mapped) * _unit_rows(tgt), axis=1))))
        W = _blend(W, procrustes(sample, tgt, n_threads=threads), params)
    report["refine1_objective"] = objective
    timed("refine1", t)

    # Refine-2: k-means on A, k-means on B started at the mapped A centroids, smoothed (spec 1.6).
    t = time.perf_counter()
    c2 = min(params.refine2_clusters, len(a), len(b))
    c_a = kmeans(a, c2, seed=rng, n_threads=threads).centroids
    c_b = kmeans(b, c2, init=c_a @ W, seed=rng, n_threads=threads).centroids
    report["refine2_self_consistency"] = float(np.mean(np.sum(_unit_rows(c_a @ W) * _unit_rows(c_b), axis=1)))
    W = _blend(W, procrustes(c_a, c_b, n_threads=threads), params)
    timed("refine2", t)

    report["orthogonality_error"] = _orthogonality_error(W)
    report["seconds"]["total"] = sum(report["seconds"].values())
    return MiniResult(W=W, mean_a=mean_a, mean_b=mean_b, seed=used_seed, report=report)


def transform(result: MiniResult, X_a: ArrayLike) -> NDArray[np.float32]:
    """Map A vectors into B's centred, normalised frame: normalize(x - mean_a) W, unit rows."""
    x = as_float32_matrix(X_a, "X_a")
    if x.shape[1] != result.W.shape[0]:
        raise ValueError(f"X_a has {x.shape[1]} columns but the map expects {result.W.shape[0]}")
    return _unit_rows(preprocess(x, result.mean_a) @ result.W)
