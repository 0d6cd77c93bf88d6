"""k-means (Lloyd) on the C++ core: k-means++, random or given seeding; Euclidean or spherical (cosine)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._numerics import Magnitudes, range_exponent, scale_by_power_of_two, unit_rows_where_needed
from ._validation import (
    SeedLike,
    as_float32_matrix_with_range,
    check_choice,
    check_count,
    check_int,
    resolve_n_threads,
    resolve_seed,
)

INITS = ("k-means++", "random")
# Small-k runs sum centroids during the assignment pass while the per-block partial sums stay under this size.
_BLOCK_SUMS_LIMIT_BYTES = 64 * 2**20


@dataclass(frozen=True)
class KMeansResult:
    """Result of :func:`kmeans`.

    Attributes
    ----------
    centroids : (n_clusters, d) float32 (unit norm when spherical)
    labels : (n,) int64, each row's nearest centroid
    inertia : float, sum of squared distances to the centroids (spherical: sum of 1 - cosine similarity)
    n_iter : int, centroid updates run
    inertia_history : tuple of float, the inertia after 0, 1, ..., n_iter updates (non-increasing)
    seed : int, the seed used (record it to repeat the run)
    best_init : int, which of the n_init seedings was kept
    """

    centroids: NDArray[np.float32]
    labels: NDArray[np.int64]
    inertia: float
    n_iter: int
    inertia_history: Tuple[float, ...]
    seed: int
    best_init: int


def kmeans(
    X: ArrayLike,
    n_clusters: int,
    *,
    init: Union[str, ArrayLike] = "k-means++",
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
    spherical: bool = False,
    seed: SeedLike = 0,
    n_threads: Optional[int] = None,
) -> KMeansResult:
    """Cluster the rows of X with Lloyd's algorithm.

    Parameters
    ----------
    X : (n, d) array
        float32 C-contiguous input is used in place; other real dtypes/layouts are copied once to float32. Any
        finite float32 magnitude works: data whose largest |value| is outside [2**-40, 2**40] is clustered as a
        copy scaled by a power of two (exact), and the centroids and inertia are scaled back (spherical: such data,
        or rows whose scales differ by over 2**20, is clustered as a copy with unit rows).
    n_clusters : int
        1 <= n_clusters <= n.
    init : "k-means++", "random" or (n_clusters, d) array
        Greedy k-means++ (as scikit-learn), n_clusters distinct random rows, or explicit initial centroids. (Euclidean
        k-means refuses an init more than ~2**60 times larger than X: float32 cannot compare such distances.)
    n_init : int
        Independent seedings; the lowest inertia wins. Must be 1 with an explicit init array.
    max_iter : int
        Maximum centroid updates.
    tol : float
        Stop when the total squared centroid shift is <= tol times the mean per-feature variance of X (as
        scikit-learn). Iteration also stops when no label changes. A negative tol disables the shift test.
    spherical : bool
        Cosine k-means: centroids are kept at unit norm, rows are assigned by cosine similarity and averaged as
        x / |x|. Rows need not be normalised beforehand.
    seed : int, numpy Generator or None
        Same seed, same result, for any n_threads.
    n_threads : int or None
        None uses OMP_NUM_THREADS or every usable core; -1 all cores.

    Returns
    -------
    KMeansResult

    Notes
    -----
    Empty clusters are moved to the rows farthest from their centroids. Ctrl-C stops the run (KeyboardInterrupt).
    """
    threads = resolve_n_threads(n_threads)
    x, x_range = as_float32_matrix_with_range(X, "X", n_threads=threads)
    n, d = x.shape
    n_clusters = check_int(n_clusters, "n_clusters", low=1, high=n)
    n_init = check_count(n_init, "n_init")
    max_iter = check_count(max_iter, "max_iter")
    if not isinstance(tol, (int, float, np.floating, np.integer)) or isinstance(tol, bool) or not np.isfinite(tol):
        raise ValueError(f"tol must be a finite number, got {tol!r}")
    init_range = Magnitudes(0.0, 0.0)
    if isinstance(init, str):
        init_name = check_choice(init, "init", INITS)
        centroids = np.empty((0, d), dtype=np.float32)
    else:
        init_name = "array"
        centroids, init_range = as_float32_matrix_with_range(init, "init", n_threads=threads)
        if centroids.shape != (n_clusters, d):
            raise ValueError(f"init has shape {centroids.shape}, expected (n_clusters, d) = {(n_clusters, d)}")
        if n_init != 1:
            raise ValueError(f"n_init={n_init} has no effect with an explicit init array: pass n_init=1")
    used_seed = resolve_seed(seed)
    # Data beyond float32's comfortable range (squared distances would overflow, or underflow to 0) is clustered at
    # a power-of-two scale: the same labels, centroids and inertia as exact arithmetic, scaled back below. Spherical
    # k-means is scale-free row by row: such rows (or rows whose scales differ by over 2**20) are normalised instead.
    x_max, init_max = x_range[0], init_range[0]
    e = 0 if spherical else range_exponent(x_max, init_max)
    if not spherical and x_max > 0 and x_max * 2.0**-e < 2.0**-60:  # X's squares would leave float32's normal range
        raise ValueError(f"init's values (up to {init_max:.3g}) are too far from X's (up to {x_max:.3g}): squared "
                         "distances between them cannot be compared in float32; give an init on X's scale")
    if spherical:
        x = unit_rows_where_needed(x, x_range)
        centroids = unit_rows_where_needed(centroids, init_range) if len(centroids) else centroids
    c, labels, inertia, n_iter, history, best_init = _core.kmeans(
        scale_by_power_of_two(x, e), n_clusters, init_name, scale_by_power_of_two(centroids, e), n_init,
        max_iter, float(tol), bool(spherical), used_seed, threads, _BLOCK_SUMS_LIMIT_BYTES,
    )
    if e:
        c = scale_by_power_of_two(c, -e)
        inertia, history = math.ldexp(inertia, 2 * e), [math.ldexp(h, 2 * e) for h in history]
    return KMeansResult(c, labels, float(inertia), int(n_iter), tuple(history), used_seed, int(best_init))
