"""vec2vec_fast: translate embeddings between embedding models without paired data.

The C++ kernels (k-means, exact top-k search, linear and quadratic assignment, Procrustes) live in the private module
``vec2vec_fast._core``; use the validated wrappers exported here. ``Aligner`` is the estimator; its methods are in
:mod:`vec2vec_fast.methods`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version
from typing import Any, Dict

from . import _core, metrics
from .aligner import Aligner
from .errors import AlignmentFailedWarning, AlignmentUncertainWarning, ModelFileError
from .kmeans import KMeansResult, kmeans
from .knn import knn, knn_mean
from .lap import linear_sum_assignment
from .procrustes import orthogonalize, procrustes
from .qap import QAPResult, qap, qap_score

try:
    __version__ = _version("vec2vec_fast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = _core.__version__


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":  # built on first use: a subclass of scikit-learn's when it is installed
        from .errors import NotFittedError

        return NotFittedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_info() -> Dict[str, Any]:
    """How the C++ core was built: OpenMP, thread count, Eigen version and SIMD, compiler and flags."""
    info = dict(_core.build_info())
    info["version"] = __version__
    return info


__all__ = [
    "AlignmentFailedWarning",
    "AlignmentUncertainWarning",
    "Aligner",
    "KMeansResult",
    "ModelFileError",
    "NotFittedError",
    "QAPResult",
    "__version__",
    "build_info",
    "kmeans",
    "knn",
    "knn_mean",
    "linear_sum_assignment",
    "metrics",
    "orthogonalize",
    "procrustes",
    "qap",
    "qap_score",
]
