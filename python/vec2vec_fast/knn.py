"""Exact top-k nearest-neighbour search by blocked matrix products (never an m x n score matrix)."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._validation import as_float32_matrix, check_choice, check_int, check_same_dim, resolve_n_threads

METRICS = ("ip", "cosine", "l2")


def _validated(queries, base, k, metric, n_threads):
    threads = resolve_n_threads(n_threads)
    check_choice(metric, "metric", METRICS)
    q = as_float32_matrix(queries, "queries", n_threads=threads)
    b = as_float32_matrix(base, "base", n_threads=threads)
    check_same_dim(q, b, "queries", "base")
    k = check_int(k, "k", low=1, high=b.shape[0])
    return q, b, k, threads


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

    Examples
    --------
    >>> import numpy as np, vec2vec_fast as v2v
    >>> base = np.eye(3, dtype=np.float32)
    >>> idx, score = v2v.knn(base[:1], base, 2)
    >>> idx.tolist(), score.tolist()
    ([[0, 1]], [[1.0, 0.0]])
    """
    q, b, k, threads = _validated(queries, base, k, metric, n_threads)
    return _core.knn(q, b, k, metric, threads)


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
    q, b, k, threads = _validated(queries, base, k, metric, n_threads)
    v = b if values is None else as_float32_matrix(values, "values", n_threads=threads)
    if v.shape[0] != b.shape[0]:
        raise ValueError(f"values has {v.shape[0]} rows but base has {b.shape[0]}")
    return _core.knn_mean(q, b, v, k, metric, threads)
