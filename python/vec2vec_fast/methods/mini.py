"""``method="mini"``: mini-vec2vec (Dar 2025) from unpaired samples, the published pipeline bit for bit
(:mod:`vec2vec_fast.mini`)."""

from __future__ import annotations

from numpy.typing import ArrayLike

from .._validation import SeedLike
from ..mini import SCHEMA, MiniParams, fit_mini
from .base import FitResult
from .linear import LinearMethod


class MiniMethod(LinearMethod):
    name = "mini"
    summary = "mini-vec2vec: k-means anchors matched by QAP, pseudo-pairs, Procrustes, two refinements (unpaired)"
    schema = SCHEMA

    def fit(self, X_a: ArrayLike, X_b: ArrayLike, *, seed: SeedLike, n_threads: int) -> FitResult:
        # fit_mini validates and, past max_rows, samples: a memory-mapped input is never read whole.
        result = fit_mini(X_a, X_b, MiniParams(**self.params), seed=seed, n_threads=n_threads)
        return FitResult(result.map, result.seed, result.report)
