"""mini-vec2vec (Dar 2025) on the C++ kernels: anchors matched by QAP, pseudo-pairs, Procrustes, two refinements.

Defaults follow the reference notebook (spec ../shared/spec/mini-vec2vec.md, sections 1.2-1.6). Additions of ours,
all inert at the defaults on the notebook's data sizes: ``max_rows`` (fit large sides on a sample), ``n_seeds``
(several seeds, the best kept by a label-free score), ``anchor_kmeans_iter`` (cap the anchor runs' k-means) and
``relative_search`` (the pseudo-pair search without the relative representations; mini-ot uses the last two). The
user-facing API is ``vec2vec_fast.Aligner``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from ._numerics import float32_mean, mean_row_cosine, orthogonality_error, preprocess, typical_norm, unit_rows
from ._validation import SeedLike, as_float32_matrix, resolve_n_threads, resolve_seed
from .io import read_sampled_rows
from .kmeans import kmeans
from .knn import PreparedTarget, knn_mean
from .linear_map import LinearMap
from .mini_params import SCHEMA, MiniParams
from .procrustes import orthogonalize, procrustes
from .qap import qap

_PROBE_ROWS = 2_000  # A rows on which the label-free matching score of every candidate seed is computed


@dataclass
class MiniResult:
    W: NDArray[np.float32]         # (d_a, d_b): maps normalize(x - mean_a) into B's centred, normalised frame
    mean_a: NDArray[np.float32]
    mean_b: NDArray[np.float32]
    seed: int                      # the seed whose run produced W
    scale_a: float                 # mean norm of the centred training rows (what transform(raw=True) restores)
    scale_b: float
    report: Dict[str, Any] = field(default_factory=dict)

    @property
    def map(self) -> LinearMap:
        """The fitted map, to apply: ``result.map.transform(X_a)``."""
        return LinearMap(self.W, self.mean_a, self.mean_b, self.scale_a, self.scale_b)


def _kernel(centroids: np.ndarray, kind: str) -> np.ndarray:
    c = centroids.astype(np.float64)
    if kind == "cosine":  # a zero centroid (a cluster at the mean) gets a zero row, as knn's cosine does
        norms = np.linalg.norm(c, axis=1, keepdims=True)
        c = np.divide(c, norms, out=np.zeros_like(c), where=norms > 0)
        return c @ c.T
    c = c - c.mean(0)  # H C C^T H = (C - mean)(C - mean)^T
    return c @ c.T


def _bilinear_relative_knn_mean(a: np.ndarray, b: np.ndarray, unit_a: np.ndarray, unit_b: np.ndarray, k: int,
                                threads: int) -> np.ndarray:
    """knn_mean of the rows' relative representations (a @ unit_a.T against b @ unit_b.T, cosine), without them.
    cos(U_a x, U_b y) = x^T (U_a^T U_b) y / (|U_a x| |U_b y|), and |U_a x| does not change x's ranking of the y: so
    x's neighbours are the largest inner products of x M (M = U_a^T U_b, d_a x d_b) with y / |U_b y|. Memory and
    time grow with the dimensions, not with anchor_runs * anchor_clusters (the exact form needs n x that a side)."""
    ua, ub = unit_a.astype(np.float64), unit_b.astype(np.float64)
    queries = a @ (ua.T @ ub).astype(np.float32)
    rel_norm = np.sqrt(np.maximum(np.einsum("ij,ij->i", b @ (ub.T @ ub).astype(np.float32), b), 0.0))
    # A row with no relative representation (orthogonal to every anchor) is compared as the zero vector, as the
    # exact form's cosine compares it.
    base = np.divide(b, rel_norm[:, None], out=np.zeros_like(b), where=rel_norm[:, None] > 0)
    return knn_mean(queries, base, k, values=b, metric="ip", n_threads=threads)


def _blend(W: np.ndarray, W_new: np.ndarray, params: MiniParams) -> np.ndarray:
    W = (1 - params.smoothing) * W + params.smoothing * W_new
    return orthogonalize(W) if params.reorthogonalize else W.astype(np.float32)


def check_params(params: MiniParams) -> None:
    """Types and ranges of every hyperparameter; the error names the field and the value."""
    if not isinstance(params, MiniParams):
        raise TypeError(f"params must be a MiniParams, got {type(params).__name__}")
    SCHEMA.check(asdict(params))


def training_rows(x: Any, name: str, max_rows: int, rng: np.random.Generator, threads: int) -> np.ndarray:
    """The rows the fit works on: all of them, or a seeded sample of ``max_rows``, gathered in file order and in
    chunks, so a memory-mapped input is never resident whole. Validated as float32 either way."""
    shape = getattr(x, "shape", None)
    if shape is None or not hasattr(x, "__getitem__"):
        x = np.asarray(x)
        shape = x.shape
    if len(shape) == 2 and shape[0] > max_rows:
        x = read_sampled_rows(x, np.sort(rng.choice(shape[0], max_rows, replace=False)))
    return as_float32_matrix(x, name, n_threads=threads)


def _matching_score(W: np.ndarray, probe: np.ndarray, target: PreparedTarget, k: int) -> float:
    """Label-free quality of a map: mean cosine between mapped probe rows and the mean of their k nearest B rows.
    A good map lands A's rows in B's dense regions; a run whose anchors were mismatched does not (see README)."""
    mapped = probe @ W
    return mean_row_cosine(mapped, target.knn_mean(mapped, min(k, len(target))))


def _fit_one(a: np.ndarray, b: np.ndarray, target: PreparedTarget, params: MiniParams, rng: np.random.Generator,
             threads: int) -> Tuple[np.ndarray, Dict[str, Any]]:
    """One seed of the published pipeline on preprocessed rows (``target``: B prepared for cosine search); returns
    W and its report."""
    report: Dict[str, Any] = {"seconds": {}}

    def timed(stage: str, start: float) -> None:
        report["seconds"][stage] = time.perf_counter() - start

    # Anchors: per run, k-means on a subsample of each side, centroids matched by the QAP (spec 1.3).
    t = time.perf_counter()
    c = params.anchor_clusters
    anchors_a: List[np.ndarray] = []
    anchors_b: List[np.ndarray] = []
    qap_scores: List[float] = []
    for _ in range(params.anchor_runs):
        sub_a = a[rng.choice(len(a), min(params.anchor_subsample, len(a)), replace=False)]
        sub_b = b[rng.choice(len(b), min(params.anchor_subsample, len(b)), replace=False)]
        ca = kmeans(sub_a, c, max_iter=params.anchor_kmeans_iter, seed=rng, n_threads=threads).centroids
        cb = kmeans(sub_b, c, max_iter=params.anchor_kmeans_iter, seed=rng, n_threads=threads).centroids
        ka, kb = _kernel(ca, params.kernel), _kernel(cb, params.kernel)
        match = qap(ka, kb, method=params.qap_method, n_restarts=params.qap_restarts, seed=rng, n_threads=threads)
        anchors_a.append(ca)
        anchors_b.append(cb[match.perm])
        scale = np.linalg.norm(ka) * np.linalg.norm(kb)  # 0 when a side's centroids coincide: no geometry to match
        qap_scores.append(float(match.score / scale) if scale > 0 else 0.0)
    report["qap_score_normalised"] = qap_scores
    timed("anchors", t)

    # Pseudo-targets: top-k neighbours in relative space, averaged in B's space (spec 1.3 f-h).
    t = time.perf_counter()
    unit_a, unit_b = unit_rows(np.concatenate(anchors_a)), unit_rows(np.concatenate(anchors_b))
    k = min(params.neighbors, len(b))
    if params.relative_search == "bilinear":
        targets = _bilinear_relative_knn_mean(a, b, unit_a, unit_b, k, threads)
    else:
        rel_a, rel_b = a @ unit_a.T, b @ unit_b.T
        targets = knn_mean(rel_a, rel_b, k, values=b, metric="cosine", n_threads=threads)
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
        tgt = target.knn_mean(mapped, k1)  # B validated and its norms taken once per fit, not per iteration
        objective.append(mean_row_cosine(mapped, tgt))
        W = _blend(W, procrustes(sample, tgt, n_threads=threads), params)
    report["refine1_objective"] = objective
    timed("refine1", t)

    # Refine-2: k-means on A, k-means on B started at the mapped A centroids, smoothed (spec 1.6).
    t = time.perf_counter()
    c2 = min(params.refine2_clusters, len(a), len(b))
    c_a = kmeans(a, c2, seed=rng, n_threads=threads).centroids
    c_b = kmeans(b, c2, init=c_a @ W, seed=rng, n_threads=threads).centroids
    report["refine2_self_consistency"] = mean_row_cosine(c_a @ W, c_b)
    W = _blend(W, procrustes(c_a, c_b, n_threads=threads), params)
    timed("refine2", t)
    report["orthogonality_error"] = orthogonality_error(W)
    return W, report


def fit_mini(
    X_a: ArrayLike,
    X_b: ArrayLike,
    params: MiniParams = MiniParams(),  # noqa: B008 - frozen dataclass: an immutable default
    *,
    seed: SeedLike = 0,
    n_threads: Optional[int] = None,
) -> MiniResult:
    """Learn W mapping space A into space B from unpaired samples of each (mini-vec2vec).

    Parameters
    ----------
    X_a : (n_a, d_a), X_b : (n_b, d_b)
        Unpaired embeddings; d_a and d_b may differ. Each side is centred and normalised internally (one float32
        working copy per side). A side with more than ``params.max_rows`` rows is fitted on a seeded sample of that
        many; a memory-mapped ``np.load(..., mmap_mode="r")`` array is then never read whole.
    params : MiniParams
    seed : int, numpy Generator or None
        Every random step (subsamples, k-means seeding, QAP restarts, Refine-1 draws) derives from it. With
        ``params.n_seeds = s > 1`` the seeds ``seed, seed + 1, ..., seed + s - 1`` are each fitted and the map with
        the best label-free matching score is kept; that seed alone, with ``n_seeds=1``, reproduces it.

    Returns
    -------
    MiniResult with W (d_a, d_b), the training means and typical norms, the seed that produced W, and ``report``:
    per-stage seconds and the label-free diagnostics of spec section 8.5 (normalised QAP scores, Refine-1
    objective, Refine-2 self-consistency, |W^T W - I|), the matching score, and with n_seeds > 1 every candidate's.
    """
    check_params(params)
    threads = resolve_n_threads(n_threads)
    base_seed = resolve_seed(seed)
    if base_seed + params.n_seeds > 2**64:
        raise ValueError(f"seed={base_seed} leaves no room for n_seeds={params.n_seeds} consecutive seeds")
    # Row sampling and the selection probe use their own stream, so the fit's stream is the same with or without.
    side_rng = np.random.default_rng([base_seed, 1])
    a_raw = training_rows(X_a, "X_a", params.max_rows, side_rng, threads)
    b_raw = training_rows(X_b, "X_b", params.max_rows, side_rng, threads)
    c = params.anchor_clusters
    if c > min(len(a_raw), len(b_raw)):
        raise ValueError(f"anchor_clusters={c} exceeds the smaller side's {min(len(a_raw), len(b_raw))} rows")

    # numpy's multithreaded BLAS spins its threads after each call, stealing the cores our OpenMP kernels need
    # (measured: 140 -> 94 ms per Refine-1 iteration); the few numpy products here are small anyway.
    with threadpool_limits(limits=1, user_api="blas"):
        t = time.perf_counter()
        mean_a, mean_b = float32_mean(a_raw), float32_mean(b_raw)
        scale_a, scale_b = typical_norm(a_raw, mean_a), typical_norm(b_raw, mean_b)
        a, b = preprocess(a_raw, mean_a), preprocess(b_raw, mean_b)
        del a_raw, b_raw
        target = PreparedTarget(b, metric="cosine", n_threads=threads)
        preprocess_s = time.perf_counter() - t

        candidates = []
        probe = a[np.sort(side_rng.choice(len(a), min(_PROBE_ROWS, len(a)), replace=False))]
        for offset in range(params.n_seeds):
            candidate_seed = base_seed + offset
            W, report = _fit_one(a, b, target, params, np.random.default_rng(candidate_seed), threads)
            t = time.perf_counter()
            report["matching_score"] = _matching_score(W, probe, target, params.refine1_neighbors)
            report["seconds"]["selection"] = time.perf_counter() - t
            candidates.append((candidate_seed, W, report))

    chosen_seed, W, report = max(candidates, key=lambda cand: cand[2]["matching_score"])
    report = {"params": asdict(params), "seed": chosen_seed, **report}
    report["seconds"] = {"preprocess": preprocess_s, **report["seconds"]}
    report["rows_used"] = {"a": len(a), "b": len(b)}
    if params.n_seeds > 1:
        report["seed_selection"] = {
            "criterion": "matching_score",
            "candidates": [{"seed": s, "matching_score": r["matching_score"],
                            "refine2_self_consistency": r["refine2_self_consistency"],
                            "qap_score_normalised_mean": float(np.mean(r["qap_score_normalised"])),
                            "seconds": sum(r["seconds"].values())} for s, _, r in candidates],
        }
    report["seconds"]["total"] = preprocess_s + sum(sum(r["seconds"].values()) for _, _, r in candidates)
    return MiniResult(W=W, mean_a=mean_a, mean_b=mean_b, seed=chosen_seed, scale_a=scale_a, scale_b=scale_b,
                      report=report)

