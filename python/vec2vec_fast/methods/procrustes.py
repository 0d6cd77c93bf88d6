"""``method="procrustes"``: the supervised baseline, orthogonal Procrustes on paired rows (the ceiling an unpaired
method is measured against)."""

from __future__ import annotations

from numpy.typing import ArrayLike

from .._numerics import float32_mean, preprocess, typical_norm
from .._validation import SeedLike, as_float32_matrix, resolve_seed
from ..linear_map import LinearMap
from ..procrustes import procrustes
from ..schema import Schema
from .base import FitResult
from .linear import LinearMethod


class ProcrustesMethod(LinearMethod):
    name = "procrustes"
    summary = "supervised baseline: orthogonal Procrustes on paired rows (row i of A and of B embed the same text)"
    schema = Schema([])
    paired = True

    def fit(self, X_a: ArrayLike, X_b: ArrayLike, *, seed: SeedLike, n_threads: int) -> FitResult:
        a = as_float32_matrix(X_a, "X_a", n_threads=n_threads)
        b = as_float32_matrix(X_b, "X_b", n_threads=n_threads)
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"method='procrustes' needs paired rows: X_a has {a.shape[0]} rows, X_b {b.shape[0]}")
        mean_a, mean_b = float32_mean(a), float32_mean(b)
        W = procrustes(preprocess(a, mean_a), preprocess(b, mean_b), n_threads=n_threads)
        fitted = LinearMap(W, mean_a, mean_b, typical_norm(a, mean_a), typical_norm(b, mean_b))
        return FitResult(fitted, resolve_seed(seed), {})
