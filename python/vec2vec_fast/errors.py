"""The library's exception types.

``NotFittedError`` is a subclass of scikit-learn's ``NotFittedError`` when scikit-learn is installed (so code written
for scikit-learn estimators catches ours), else of ``ValueError`` and ``AttributeError`` (as scikit-learn's is). The
class is built on first use, so importing vec2vec_fast never imports scikit-learn.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any


class ModelFileError(ValueError):
    """A model file that is not one of ours, is corrupt, or comes from an incompatible version or method."""


class AlignmentFailedWarning(UserWarning):
    """``fit`` finished but its label-free confidence says the map did not align the two spaces (``report_["status"]
    == "failed"``). Make it an error with ``warnings.simplefilter("error", AlignmentFailedWarning)``."""


class AlignmentUncertainWarning(UserWarning):
    """``fit`` finished but its label-free confidence can neither vouch for the map nor call it failed
    (``report_["status"] == "uncertain"``), e.g. because it was fitted on too few rows for the score to be trusted.
    Check the map on a few known pairs before relying on it."""


@functools.lru_cache(maxsize=None)
def _not_fitted_error() -> type:
    bases: tuple = (ValueError, AttributeError)
    if importlib.util.find_spec("sklearn") is not None:
        try:
            from sklearn.exceptions import NotFittedError as SklearnNotFittedError

            bases = (SklearnNotFittedError,)
        except Exception:  # a broken scikit-learn install must not break ours
            pass
    return type("NotFittedError", bases, {
        "__doc__": "Raised when transform, inverse_transform or save is called before fit.",
        "__module__": __name__,
    })


def not_fitted(message: str) -> Exception:
    """A NotFittedError instance carrying ``message``."""
    return _not_fitted_error()(message)


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":
        return _not_fitted_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AlignmentFailedWarning", "AlignmentUncertainWarning", "ModelFileError", "NotFittedError", "not_fitted"]  # noqa: F822 - NotFittedError comes from __getattr__
