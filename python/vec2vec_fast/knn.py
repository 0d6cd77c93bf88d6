"""Exact top-k nearest-neighbour search by blocked matrix products (never an m x n score matrix)."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._numerics import Magnitudes, range_exponent, scale_by_power_of_two, unit_rows_where_needed
from ._validation import (
    as_float32_matrix,
    as_float32_matrix_with_range,
    check_choice,
    check_int,
    check_same_dim,
    resolve_n_threads,
)

METRICS = ("ip", "cosine", "l2")


def _validated(queries, base, k, metric, n_threads):
    """Checked float32 inputs at a scale where no score overflows or underflows, and the exponent to undo it.

    A side whose largest |value| is outside [2**-40, 2**40] is searched as a copy scaled by a power of two (exact:
    ranks do not change). "l2" scales both sides alike; the reported scores are scaled back by 2**score_exponent.
    "cosine" instead normalises the rows of such a side, or of one whose rows' scales differ by over 2**20.
    Returns (queries, base, base as given in float32, k, threads, score_exponent)."""
    threads = resolve_n_threads(n_threads)
    check_choice(metric, "metric", METRICS)
    q, q_range = as_float32_matrix_with_range(queries, "queries", n_threads=threads)
    b, b_range = as_float32_matrix_with_range(base, "base", n_threads=threads)
    check_same_dim(q, b, "queries", "base")
    k = check_int(k, "k", low=1, high=b.shape[0])
    if metric == "cosine":  # scale-free per row: rows far from float32's comfortable range are normalised
        return unit_rows_where_needed(q, q_range), unit_rows_where_needed(b, b_range), b, k, threads, 0
    if metric == "l2":
        e_q = e_b = range_exponent(q_range.max_abs, b_range.max_abs)
        score_exponent = 2 * e_q
    else:
        e_q, e_b = range_exponent(q_range.max_abs), range_exponent(b_range.max_abs)
        score_exponent = e_q + e_b
    return scale_by_power_of_two(q, e_q), scale_by_power_of_two(b, e_b), b, k, threads, score_exponent


def knn(
    queries: ArrayLike,
    base: ArrayLike,
    k: int,
    *,
    metric: str = "ip",
    n_threads: Optional[int] = None,
) -> Tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Exact k nearest neighbours of each query row among the base rows.

    Parameters
    ----------
    queries : (m, d) array
    base : (n, d) array
        float32 C-contiguous arrays are used in place; other real dtypes and layouts are copied once to float32.
        Any finite float32 magnitude works: a side whose largest |value| is outside [2**-40, 2**40] is searched as
        a copy scaled by a power of two (exact), and the scores are scaled back; for "cosine", a side with such
        values or with rows whose scales differ by over 2**20 is searched as a copy with unit rows.
    k : int
        1 <= k <= n.
    metric : {"ip", "cosine", "l2"}
        Inner product and cosine similarity rank higher first; "l2" returns squared Euclidean distances, smallest
        first. A zero row has cosine similarity 0 with everything.
    n_threads : int or None
        None uses OMP_NUM_THREADS or every usable core; -1 all cores; results do not depend on it.

    Returns
    -------
    indices : (m, k) int64
        Best first; equal scores are ordered by the lower base index.
    scores : (m, k) float32
        A score beyond float32's range (inner products or distances of rows above ~1e19) is an infinity of its
        sign; the ranking is exact all the same.

    Examples
    --------
    >>> import numpy as np, vec2vec_fast as v2v
    >>> base = np.eye(3, dtype=np.float32)
    >>> idx, score = v2v.knn(base[:1], base, 2)
    >>> idx.tolist(), score.tolist()
    ([[0, 1]], [[1.0, 0.0]])
    """
    q, b, _, k, threads, score_exponent = _validated(queries, base, k, metric, n_threads)
    indices, scores = _core.knn(q, b, k, metric, threads)
    # A true score beyond float32's range comes back as an infinity of its sign; the ranking is still exact.
    return indices, scale_by_power_of_two(scores, -score_exponent)


def knn_mean(
    queries: ArrayLike,
    base: ArrayLike,
    k: int,
    *,
    values: Optional[ArrayLike] = None,
    metric: str = "ip",
    n_threads: Optional[int] = None,
) -> NDArray[np.float32]:
    """For each query, the mean of `values` rows at its k nearest base rows (mini-vec2vec's pseudo-targets).

    The search is that of :func:`knn`; `values` (n, d_values) defaults to `base` and may have another width (e.g.
    neighbours found in a relative space, averaged in the embedding space). The (m, k, d_values) gather is never
    formed.

    Returns
    -------
    (m, d_values) float32
    """
    q, b, b_given, k, threads, _ = _validated(queries, base, k, metric, n_threads)
    # The averaged rows are never rescaled: a mean of float32 rows cannot overflow.
    v = b_given if values is None else as_float32_matrix(values, "values", n_threads=threads)
    if v.shape[0] != b.shape[0]:
        raise ValueError(f"values has {v.shape[0]} rows but base has {b.shape[0]}")
    return _core.knn_mean(q, b, v, k, metric, threads)


class PreparedTarget:
    """A base searched many times with the same metric ("add once, search many", as faiss's index.add / search).

    The base is validated, brought to a safe scale and its per-row factors (inverse norms for cosine) computed once;
    each :meth:`knn_mean` call then goes straight to the C++ search. Refine-1's loop searches the same B a hundred
    times: this saves a validation pass and a norm pass over all of B per iteration. Results equal
    :func:`knn_mean` on the same inputs bit for bit.

    Queries are trusted: C-contiguous finite float32 rows of the base's width, as the pipelines produce them (the
    public :func:`knn_mean` is the checked path).
    """

    def __init__(self, base: ArrayLike, *, metric: str = "cosine", n_threads: Optional[int] = None):
        check_choice(metric, "metric", ("ip", "cosine"))
        self.n_threads = resolve_n_threads(n_threads)
        b, b_range = as_float32_matrix_with_range(base, "base", n_threads=self.n_threads)
        self.metric = metric
        self.values = b  # as given: what knn_mean averages
        if metric == "cosine":
            self.base, self.exponent = unit_rows_where_needed(b, b_range), 0
        else:
            self.exponent = range_exponent(b_range.max_abs)
            self.base = scale_by_power_of_two(b, self.exponent)
        self.factors = _core.base_factors(self.base, metric, self.n_threads)

    def __len__(self) -> int:
        return self.base.shape[0]

    def knn_mean(self, queries: np.ndarray, k: int) -> NDArray[np.float32]:
        """The mean of the base rows at each query's k nearest (as :func:`knn_mean` with ``values=None``)."""
        q = self.scaled_queries(queries)
        return _core.knn_mean_prepared(q, self.base, self.values, self.factors, int(k), self.metric, self.n_threads)

    def scaled_queries(self, queries: np.ndarray) -> np.ndarray:
        """The queries as the search takes them: as given when their scale is safe (no copy), else rescaled exactly
        as :func:`knn_mean`'s validation would (cosine: far-out rows normalised; ip: a power-of-two scale)."""
        q = np.require(queries, dtype=np.float32, requirements=["C", "A"])
        # The magnitudes from the same C++ pass knn_mean's validation uses, so the two paths cannot decide apart.
        _, _, top, low = _core.scan_finite(q, self.n_threads)
        if self.metric == "cosine":
            return unit_rows_where_needed(q, Magnitudes(float(top), float(low)))
        return scale_by_power_of_two(q, range_exponent(float(top)))
