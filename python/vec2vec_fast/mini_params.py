"""mini-vec2vec's hyperparameters: one dataclass whose fields carry their schema (type, bounds, default, doc).

Kept apart from the pipeline so that the GAN's config (its ``mini_*`` keys) and the command line can use the schema
without importing the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from .schema import Schema, param_field as _p


@dataclass(frozen=True)
class MiniParams:
    """Every hyperparameter, with the notebook's default (spec section 2 lists where sources disagree). Bounds keep a
    typo (anchor_runs=2**31) from running for days; they are far above any useful value."""

    anchor_runs: int = _p(30, "anchor stage: independent k-means + QAP runs whose anchors are concatenated (s)",
                          low=1, high=10_000)
    anchor_clusters: int = _p(20, "anchor stage: k-means clusters per side per run (c)", low=1, high=100_000)
    anchor_subsample: int = _p(10_000, "anchor stage: rows drawn per side per run", low=1, high=10**9)
    anchor_kmeans_iter: int = _p(300, "anchor stage: Lloyd iterations per k-means at most (300, k-means' default: "
                                      "to convergence, as the notebook)", low=1, high=100_000)
    kernel: str = _p("centred", "anchor stage: centroid kernel matched by the QAP, 'centred' (notebook: H C C^T H) "
                                "or 'cosine' (paper)", choices=("centred", "cosine"))
    qap_method: str = _p("2opt", "anchor stage: QAP solver, '2opt' (notebook) or 'faq+2opt'; plain 'faq' fails on "
                                 "centred kernels", choices=("2opt", "faq", "faq+2opt"))
    qap_restarts: int = _p(30, "anchor stage: QAP restarts, the best kept", low=1, high=100_000)
    relative_search: str = _p("exact", "pseudo-pairs: 'exact' (notebook) compares the rows' relative representations "
                                       "(n x anchor_runs * anchor_clusters a side); 'bilinear' finds the same "
                                       "neighbours (up to float rounding) through the d_a x d_b product of the unit "
                                       "anchors, in memory and time that do not grow with the anchors (not in the "
                                       "paper)", choices=("exact", "bilinear"))
    neighbors: int = _p(50, "pseudo-pairs: B rows averaged per pseudo-target (k)", low=1, high=10**6)
    refine1_iterations: int = _p(100, "Refine-1: iterations (T)", low=0, high=1_000_000)
    refine1_sample: int = _p(1_000, "Refine-1: A rows drawn per iteration (n_s; the paper says 10,000)",
                             low=1, high=10**9)
    refine1_neighbors: int = _p(50, "Refine-1: B neighbours averaged per mapped row (k')", low=1, high=10**6)
    smoothing: float = _p(0.5, "Refine-1/2: W <- (1 - alpha) W + alpha W_new (alpha)", low=0.0, high=1.0)
    refine2_clusters: int = _p(500, "Refine-2: k-means clusters per side (c')", low=1, high=10**6)
    reorthogonalize: bool = _p(False, "re-orthogonalise W after each smoothing step (the notebook does not)")
    n_seeds: int = _p(1, "fit seeds seed..seed+n-1 and keep the best label-free matching score (not in the paper)",
                      low=1, high=1000)
    max_rows: int = _p(100_000, "larger sides are fitted on a seeded sample of this many rows (not in the paper)",
                       low=2, high=10**12)


SCHEMA = Schema.from_dataclass(MiniParams)
