"""
vec2vec_fast C++ kernels (private: use the vec2vec_fast package)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['base_factors', 'build_info', 'cross_covariance', 'kmeans', 'knn', 'knn_mean', 'knn_mean_prepared', 'linear_sum_assignment', 'matmul_rows', 'max_threads', 'polar_factor', 'procrustes', 'qap', 'scan_finite']
def base_factors(base: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, 1]"]:
    """
    The per-row factors a search computes for base (float32 (n,); empty for 'ip'), to search it many times.
    """
def build_info() -> dict:
    ...
def cross_covariance(X: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], Y: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], weights: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, 1]"], n_threads: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    X^T diag(w) Y in float64.
    """
def kmeans(x: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], n_clusters: typing.SupportsInt | typing.SupportsIndex, init: str, init_centroids: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], n_init: typing.SupportsInt | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex, tol: typing.SupportsFloat | typing.SupportsIndex, spherical: bool, seed: typing.SupportsInt | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex, block_sums_limit_bytes: typing.SupportsFloat | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, 1]"], float, int, list[float], int]:
    """
    Lloyd k-means: (centroids, labels, inertia, n_iter, inertia_history, best_init).
    """
def knn(queries: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], base: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], k: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]"]]:
    """
    Exact top-k: (indices int64 (m, k), scores float32 (m, k)).
    """
def knn_mean(queries: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], base: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], values: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], k: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]"]:
    """
    Mean of values rows at each query's k nearest base rows.
    """
def knn_mean_prepared(queries: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], base: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], values: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], factors: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, 1]"], k: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]"]:
    """
    knn_mean with the base's factors from base_factors (the same bits, without recomputing them).
    """
def linear_sum_assignment(cost: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.c_contiguous"], maximize: bool) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, 1]"]]:
    """
    Exact linear assignment: (rows, cols) int64.
    """
def matmul_rows(X: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], W: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], n_threads: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]"]:
    """
    X W, each row summed in a fixed order: the same bits for any batch, chunking or thread count.
    """
def max_threads() -> int:
    """
    The OpenMP thread limit in force (omp_get_max_threads: OMP_NUM_THREADS, threadpoolctl's limit).
    """
def polar_factor(M: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.c_contiguous"], single: bool) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    Nearest semi-orthogonal matrix U V^T (float64 result; SVD in float32 when single).
    """
def procrustes(X: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], Y: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], weights: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, 1]"], n_threads: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]"]:
    """
    Semi-orthogonal W (d_x, d_y) = polar factor of X^T diag(w) Y.
    """
def qap(A: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.c_contiguous"], B: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.c_contiguous"], method: str, n_restarts: typing.SupportsInt | typing.SupportsIndex, maximize: bool, seed: typing.SupportsInt | typing.SupportsIndex, n_threads: typing.SupportsInt | typing.SupportsIndex, start: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.c_contiguous"], faq_max_iter: typing.SupportsInt | typing.SupportsIndex, faq_tol: typing.SupportsFloat | typing.SupportsIndex, faq_barycenter: bool) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.int64], "[m, 1]"], float, list[float], int]:
    """
    Approximate QAP: (perm, score, scores, best_restart).
    """
def scan_finite(x: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.c_contiguous"], n_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple[int, int, float, float]:
    """
    (row, column) of the first NaN or infinity in x, or (-1, -1); the largest |x|; the smallest non-zero row's largest |x|.
    """
__version__: str = '0.1.0'
