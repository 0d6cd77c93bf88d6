"""mini-vec2vec (Dar 2025) on the C++ kernels: anchors matched by QAP, pseudo-pairs, Procrustes, two refinements.

Defaults follow the reference notebook (spec ../shared/spec/mini-vec2vec.md, sections 1.2-1.6). Two additions of
ours, both inert at the defaults on the notebook's data sizes: ``max_rows`` (fit large sides on a sample) and
``n_seeds`` (several seeds, the best kept by a label-free score). The user-facing API is ``vec2vec_fast.Aligner``.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from ._validation import SeedLike, as_float32_matrix, check_choice, check_int, resolve_n_threads, resolve_seed
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
    n_seeds: int = 1               # > 1: fit seeds seed..seed+n-1, keep the best matching score (not in the paper)
    max_rows: int = 100_000        # larger sides are fitted on a seeded sample of this many rows (not in the paper)


_ROW_BLOCK = 8_192    # rows per float64 block when centring and normalising
_GATHER_ROWS = 8_192  # sampled rows read per chunk from a large (possibly memory-mapped) input
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


def _unit_rows(x: np.ndarray, mean: Optional[np.ndarray] = None) -> np.ndarray:
    """Rows (minus ``mean``) scaled to unit length, as float32; zero rows stay zero. Differences, norms and quotients
    are taken in float64, a block of rows at a time: exact for any finite float32 input (float32 norms overflow above
    ~1e19 and underflow below ~1e-19)."""
    out = np.empty(x.shape, dtype=np.float32)
    for start in range(0, len(x), _ROW_BLOCK):
        rows = np.asarray(x[start:start + _ROW_BLOCK], dtype=np.float64)
        if mean is not None:
            rows = rows - mean.astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))[:, None]
        out[start:start + _ROW_BLOCK] = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return out


def preprocess(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Centre on the training mean, then project onto the unit sphere (spec 1.2)."""
    return _unit_rows(x, mean)


def _kernel(centroids: np.ndarray, kind: str) -> np.ndarray:
    c = centroids.astype(np.float64)
    if kind == "cosine":  # a zero centroid (a cluster at the mean) gets a zero row, as knn's cosine does
        norms = np.linalg.norm(c, axis=1, keepdims=True)
        c = np.divide(c, norms, out=np.zeros_like(c), where=norms > 0)
        return c @ c.T
    c = c - c.mean(0)  # H C C^T H = (C - mean)(C - mean)^T
    return c @ c.T


def _blend(W: np.ndarray, W_new: np.ndarray, params: MiniParams) -> np.ndarray:
    W = (1 - params.smoothing) * W + params.smoothing * W_new
    return orthogonalize(W) if params.reorthogonalize else W.astype(np.float32)


def _typical_norm(x: np.ndarray, mean: np.ndarray) -> float:
    """Mean norm of the centred rows, in float64 blocks (no full centred copy, no float32 overflow)."""
    total = 0.0
    for start in range(0, len(x), _ROW_BLOCK):
        rows = np.asarray(x[start:start + _ROW_BLOCK], dtype=np.float64) - mean.astype(np.float64)
        total += float(np.sqrt(np.einsum("ij,ij->i", rows, rows)).sum())
    return total / len(x)


def _orthogonality_error(W: np.ndarray) -> float:
    gram = W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T
    return float(np.abs(gram.astype(np.float64) - np.eye(gram.shape[0])).max())


def _release_mapped_rows(x: np.ndarray, first: int, last: int) -> None:
    """Drop rows first..last of a read-only memory map from this process's resident memory (madvise DONTNEED).

    Reading 1 row in 10 of a mapped file faults in nearly all of it (readahead, fault-around), so a sampled read of a
    3 GB file would otherwise show as 3 GB resident. Nothing is lost: the pages were never written and stay in the
    page cache. Only for mode "r" maps (on anonymous or copy-on-write memory DONTNEED would discard data)."""
    if not (isinstance(x, np.memmap) and x.mode == "r" and x.strides[0] > 0 and sys.platform.startswith("linux")):
        return
    page = mmap.PAGESIZE
    start = x.ctypes.data + first * x.strides[0]
    end = x.ctypes.data + (last + 1) * x.strides[0]
    start -= start % page
    end += -end % page
    _libc().madvise(ctypes.c_void_p(start), ctypes.c_size_t(end - start), mmap.MADV_DONTNEED)


@functools.lru_cache(maxsize=None)
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return libc


# Upper bounds keep a typo (anchor_runs=2**31) from running for days; they are far above any useful value.
_INT_BOUNDS = {"anchor_runs": (1, 10_000), "anchor_clusters": (1, 100_000), "anchor_subsample": (1, 10**9),
               "qap_restarts": (1, 100_000), "neighbors": (1, 10**6), "refine1_iterations": (0, 1_000_000),
               "refine1_sample": (1, 10**9), "refine1_neighbors": (1, 10**6), "refine2_clusters": (1, 10**6),
               "n_seeds": (1, 1000), "max_rows": (2, 10**12)}


def check_params(params: MiniParams) -> None:
    """Types and ranges of every hyperparameter; the error names the field and the value."""
    if not isinstance(params, MiniParams):
        raise TypeError(f"params must be a MiniParams, got {type(params).__name__}")
    for name, (low, high) in _INT_BOUNDS.items():
        check_int(getattr(params, name), name, low=low, high=high)
    check_choice(params.kernel, "kernel", ("centred", "cosine"))
    check_choice(params.qap_method, "qap_method", ("2opt", "faq", "faq+2opt"))
    smoothing = params.smoothing
    if isinstance(smoothing, (bool, np.bool_)) or not isinstance(smoothing, (int, float, np.integer, np.floating)):
        raise TypeError(f"smoothing must be a number in [0, 1], got {smoothing!r}")
    if not 0.0 <= float(smoothing) <= 1.0:  # also refuses NaN
        raise ValueError(f"smoothing={smoothing!r} must be in [0, 1]")
    if not isinstance(params.reorthogonalize, (bool, np.bool_)):
        raise TypeError(f"reorthogonalize must be True or False, got {params.reorthogonalize!r}")


def _training_rows(x: Any, name: str, max_rows: int, rng: np.random.Generator, threads: int) -> np.ndarray:
    """The rows the fit works on: all of them, or a seeded sample of ``max_rows``, gathered in file order and in
    chunks, so a memory-mapped input is never resident whole. Validated as float32 either way."""
    shape = getattr(x, "shape", None)
    if shape is None or not hasattr(x, "__getitem__"):
        x = np.asarray(x)
        shape = x.shape
    if len(shape) == 2 and shape[0] > max_rows:
        rows = np.sort(rng.choice(shape[0], max_rows, replace=False))
        sample = np.empty((max_rows, shape[1]), dtype=np.result_type(getattr(x, "dtype", np.float32), np.float32))
        for start in range(0, max_rows, _GATHER_ROWS):
            chunk = rows[start:start + _GATHER_ROWS]
            sample[start:start + len(chunk)] = x[chunk]
            _release_mapped_rows(x, int(chunk[0]), int(chunk[-1]))
        x = sample
    return as_float32_matrix(x, name, n_threads=threads)


def _matching_score(W: np.ndarray, probe: np.ndarray, b: np.ndarray, k: int, threads: int) -> float:
    """Label-free quality of a map: mean cosine between mapped probe rows and the mean of their k nearest B rows.
    A good map lands A's rows in B's dense regions; a run whose anchors were mismatched does not (see README)."""
    mapped = probe @ W
    target = knn_mean(mapped, b, min(k, len(b)), metric="cosine", n_threads=threads)
    return float(np.mean(np.sum(_unit_rows(mapped) * _unit_rows(target), axis=1)))


def _fit_one(a: np.ndarray, b: np.ndarray, params: MiniParams, rng: np.random.Generator,
             threads: int) -> Tuple[np.ndarray, Dict[str, Any]]:
    """One seed of the published pipeline on preprocessed rows; returns W and its report."""
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
        ca = kmeans(sub_a, c, seed=rng, n_threads=threads).centroids
        cb = kmeans(sub_b, c, seed=rng, n_threads=threads).centroids
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
    return W, report


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
    a_raw = _training_rows(X_a, "X_a", params.max_rows, side_rng, threads)
    b_raw = _training_rows(X_b, "X_b", params.max_rows, side_rng, threads)
    c = params.anchor_clusters
    if c > min(len(a_raw), len(b_raw)):
        raise ValueError(f"anchor_clusters={c} exceeds the smaller side's {min(len(a_raw), len(b_raw))} rows")

    # numpy's multithreaded BLAS spins its threads after each call, stealing the cores our OpenMP kernels need
    # (measured: 140 -> 94 ms per Refine-1 iteration); the few numpy products here are small anyway.
    with threadpool_limits(limits=1, user_api="blas"):
        t = time.perf_counter()
        mean_a = a_raw.mean(0, dtype=np.float64).astype(np.float32)
        mean_b = b_raw.mean(0, dtype=np.float64).astype(np.float32)
        scale_a, scale_b = _typical_norm(a_raw, mean_a), _typical_norm(b_raw, mean_b)
        a, b = preprocess(a_raw, mean_a), preprocess(b_raw, mean_b)
        del a_raw, b_raw
        preprocess_s = time.perf_counter() - t

        candidates = []
        probe = a[np.sort(side_rng.choice(len(a), min(_PROBE_ROWS, len(a)), replace=False))]
        for offset in range(params.n_seeds):
            candidate_seed = base_seed + offset
            W, report = _fit_one(a, b, params, np.random.default_rng(candidate_seed), threads)
            t = time.perf_counter()
            report["matching_score"] = _matching_score(W, probe, b, params.refine1_neighbors, threads)
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


def transform(result: MiniResult, X_a: ArrayLike) -> NDArray[np.float32]:
    """Map A vectors into B's centred, normalised frame: normalize(x - mean_a) W, unit rows."""
    x = as_float32_matrix(X_a, "X_a")
    if x.shape[1] != result.W.shape[0]:
        raise ValueError(f"X_a has {x.shape[1]} columns but the map expects {result.W.shape[0]}")
    return _unit_rows(preprocess(x, result.mean_a) @ result.W)
