"""The estimator: ``Aligner(method=...).fit(X_a, X_b).transform(X_a)``, save/load, scikit-learn's contract.

``Aligner`` knows no method: it looks the method up in :mod:`vec2vec_fast.methods`, hands it the hyperparameters,
and keeps the fitted map it returns. Its own parameters are ``method``, ``seed`` and ``n_threads``; every method
hyperparameter is a keyword too, stored as given and listed by ``get_params``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import methods
from ._validation import SeedLike, as_float32_matrix, resolve_n_threads, resolve_seed
from .errors import ModelFileError, not_fitted
from .methods.base import FitResult, FittedMap
from .model_file import read_model, write_model

_OWN = ("method", "seed", "n_threads")  # the Aligner's own parameters; the rest belong to the method


class Aligner:
    """Translate embeddings from space A into space B.

    Parameters
    ----------
    method : str
        A registered method (:func:`vec2vec_fast.methods.names`): "mini" (mini-vec2vec from unpaired samples; its
        hyperparameters are the fields of :class:`vec2vec_fast.mini_params.MiniParams`), "procrustes" (the
        supervised baseline; ``fit`` needs paired rows), "gan" (vec2vec, needs torch; any GAN config key, e.g.
        ``epochs=20``, ``init="mini"``, plus ``config``, ``device``, ``progress``).
    seed : int, numpy Generator or None
        Every random step derives from it; the seed used is kept in ``seed_``.
    n_threads : int or None
        None: the OpenMP limit in force (``threadpoolctl.threadpool_limits``, ``OMP_NUM_THREADS``), at most the
        usable cores; -1 all cores; results do not depend on it.
    **params
        The method's hyperparameters (``Aligner.param_schema(method)`` lists them with types, bounds, defaults and
        docs). They are stored as given and checked here (TypeError for an unknown name or a wrong type, ValueError
        out of range) and again in ``fit``.

    Attributes (after fit or load)
    ------------------------------
    map_ : the fitted map (``transform``, ``inverse_transform``), seed_ : int, report_ : dict (per-stage seconds
    and label-free diagnostics), n_features_in_ (d_a), n_features_out_ (d_b), scale_a_, scale_b_ : typical norms,
    and the map's own parts: W_, mean_a_, mean_b_ for the linear methods; translator_, gan_config_, gan_names_
    for "gan".

    Examples
    --------
    >>> aligner = Aligner("mini", seed=0).fit(X_a, X_b)          # doctest: +SKIP
    >>> Y = aligner.transform(X_a_new)                          # doctest: +SKIP
    >>> aligner.save("minilm_to_mpnet.v2v.npz")                  # doctest: +SKIP
    """

    def __init__(self, method: str = methods.DEFAULT, *, seed: SeedLike = 0, n_threads: Optional[int] = None,
                 **params: Any):
        self.method = method
        self.seed = seed
        self.n_threads = n_threads
        self._params = params
        self._check()  # checks, never rewrites: get_params returns what was given

    def _check(self) -> Dict[str, Any]:
        method = methods.get(self.method)
        if self.seed is not None and not isinstance(self.seed, np.random.Generator):
            resolve_seed(self.seed)  # an int in [0, 2**64): checked only, a Generator is not drawn from here
        if self.n_threads is not None:
            resolve_n_threads(self.n_threads)
        return method.check_params(self._params)

    # ------------------------------------------------------------------ scikit-learn's estimator contract
    @classmethod
    def param_schema(cls, method: str = methods.DEFAULT):
        """The hyperparameters of ``method``: name -> :class:`vec2vec_fast.schema.Param`."""
        return methods.get(method).schema

    @property
    def params(self) -> Dict[str, Any]:
        """The method hyperparameters given (a copy); ``get_params`` adds the defaults of the rest."""
        return dict(self._params)

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """method, seed, n_threads, and every hyperparameter of the method (given, else its default)."""
        schema = methods.get(self.method).schema
        out: Dict[str, Any] = {"method": self.method, "seed": self.seed, "n_threads": self.n_threads}
        out.update({name: self._params.get(name, p.default) for name, p in schema.items()})
        return out

    def set_params(self, **params: Any) -> "Aligner":
        """Set parameters by name and return self. Changing ``method`` drops the hyperparameters the new method does
        not have; an unknown name is a TypeError (nothing is changed then)."""
        method = params.get("method", self.method)
        schema = methods.get(method).schema
        unknown = sorted(set(params) - set(_OWN) - set(schema))
        if unknown:
            raise TypeError(f"unknown parameter {unknown[0]!r} for method {method!r}; valid: "
                            f"{', '.join(list(_OWN) + list(schema))}")
        kept = {k: v for k, v in self._params.items() if k in schema}
        kept.update({k: v for k, v in params.items() if k not in _OWN})
        before = (self.method, self.seed, self.n_threads, self._params)
        self.method = method
        self.seed = params.get("seed", self.seed)
        self.n_threads = params.get("n_threads", self.n_threads)
        self._params = kept
        try:
            self._check()
        except (TypeError, ValueError):
            self.method, self.seed, self.n_threads, self._params = before
            raise
        return self

    def __repr__(self) -> str:
        args = [repr(self.method)]
        if not (isinstance(self.seed, int) and self.seed == 0):
            args.append(f"seed={self.seed!r}")
        if self.n_threads is not None:
            args.append(f"n_threads={self.n_threads!r}")
        args += [f"{k}={v!r}" for k, v in self._params.items()]
        return f"Aligner({', '.join(args)})"

    def __sklearn_tags__(self):
        """scikit-learn (>= 1.6) asks an estimator for its tags (check_is_fitted, clone's checks): no estimator
        type of scikit-learn's kinds; fit takes a second matrix (X_b), as a required target."""
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=True))

    # ------------------------------------------------------------------ fitting
    def fit(self, X_a: ArrayLike, X_b: ArrayLike) -> "Aligner":
        """Learn the map. X_a (n_a, d_a) and X_b (n_b, d_b): unpaired for the unsupervised methods, paired rows for
        "procrustes". Returns self."""
        method = methods.get(self.method)(self._check())
        threads = resolve_n_threads(self.n_threads)
        self._set_fitted(method.fit(X_a, X_b, seed=self.seed, n_threads=threads))
        return self

    @classmethod
    def from_map(cls, method: str, fitted: FitResult, *, n_threads: Optional[int] = None, **params: Any) -> "Aligner":
        """An Aligner around a map fitted elsewhere (e.g. by ``vec2vec-fast train``), as ``fit`` would leave it."""
        aligner = cls(method, seed=fitted.seed, n_threads=n_threads, **params)
        aligner._set_fitted(fitted)
        return aligner

    def _set_fitted(self, fitted: FitResult) -> None:
        self.map_: FittedMap = fitted.map
        self.seed_ = int(fitted.seed)
        self.report_ = fitted.report
        self.n_features_in_, self.n_features_out_ = int(fitted.map.d_a), int(fitted.map.d_b)
        self.scale_a_, self.scale_b_ = float(fitted.map.scale_a), float(fitted.map.scale_b)
        for name, value in fitted.map.attributes().items():
            setattr(self, name + "_", value)

    def _fitted_map(self) -> FittedMap:
        fitted = self.__dict__.get("map_")
        if fitted is None:
            raise not_fitted("this Aligner is not fitted yet: call fit(X_a, X_b) or Aligner.load(path)")
        return fitted

    # ------------------------------------------------------------------ applying
    def transform(self, X_a: ArrayLike, *, raw: bool = False) -> NDArray[np.float32]:
        """Map A vectors into B's space: unit rows in B's frame (centred on B's mean for the linear methods), or
        B's raw frame with ``raw=True`` (B's typical norm and mean restored)."""
        fitted = self._fitted_map()
        x = as_float32_matrix(X_a, "X_a")
        if x.shape[1] != fitted.d_a:
            raise ValueError(f"X_a has {x.shape[1]} columns but this map expects {fitted.d_a}")
        return fitted.transform(x, raw=raw, n_threads=self.n_threads)

    def inverse_transform(self, X_b: ArrayLike, *, raw: bool = False) -> NDArray[np.float32]:
        """Map B vectors back into A's space (linear maps: through W's pseudo-inverse, exact when W is orthogonal;
        "gan": its own B -> A translation)."""
        fitted = self._fitted_map()
        y = as_float32_matrix(X_b, "X_b")
        if y.shape[1] != fitted.d_b:
            raise ValueError(f"X_b has {y.shape[1]} columns but this map produces {fitted.d_b}")
        return fitted.inverse_transform(y, raw=raw, n_threads=self.n_threads)

    def output_frame(self, X_b: ArrayLike) -> NDArray[np.float32]:
        """B vectors in the frame ``transform`` returns, to compare with it (e.g. ``retrieval_metrics(
        aligner.transform(a), aligner.output_frame(b))``)."""
        fitted = self._fitted_map()
        y = as_float32_matrix(X_b, "X_b")
        if y.shape[1] != fitted.d_b:
            raise ValueError(f"X_b has {y.shape[1]} columns but this map produces {fitted.d_b}")
        return fitted.output_frame(y)

    # ------------------------------------------------------------------ files
    def save(self, path: Union[str, os.PathLike], *, overwrite: bool = False) -> Path:
        """Write the fitted map to one ``.npz`` file: arrays plus JSON metadata (method, library version, dims,
        hyperparameters, seed, diagnostics). The file appears atomically; an existing file is replaced only
        with ``overwrite=True``."""
        fitted = self._fitted_map()
        params = methods.get(self.method).check_params(self._params)  # normalised: JSON-ready, reloads equal
        meta = {"method": self.method, "d_a": int(fitted.d_a), "d_b": int(fitted.d_b), "params": params,
                "seed": int(self.seed_), "scale_a": self.scale_a_, "scale_b": self.scale_b_, "report": self.report_,
                **fitted.file_meta()}
        return write_model(Path(path), meta, fitted.arrays(), overwrite=overwrite)

    @classmethod
    def load(cls, path: Union[str, os.PathLike], *, method: Optional[str] = None) -> "Aligner":
        """Read a file written by :meth:`save`. Raises ModelFileError for a foreign or corrupt file, a file from an
        incompatible library version, or (with ``method``) a file of another method."""
        path = Path(path)
        meta, arrays = read_model(path, _array_spec(path))
        if method is not None and meta["method"] != method:
            raise ModelFileError(f"{path} holds a {meta['method']!r} model, not {method!r}")
        method_cls = methods.get(meta["method"])
        try:
            if not isinstance(meta["params"], dict) or not isinstance(meta["seed"], int):
                raise TypeError("params must be an object and seed an integer")
            aligner = cls(meta["method"], seed=meta["seed"], **meta["params"])
            fitted = method_cls.load_map(meta, arrays, str(path))
        except (TypeError, ValueError, KeyError) as err:
            raise ModelFileError(f"{path} is corrupt: {err}") from err
        aligner._set_fitted(FitResult(fitted, meta["seed"], meta["report"]))
        return aligner


def _array_spec(path: Path):
    """The arrays a model file's method stores: the method named in its metadata decides."""
    def spec(meta: Mapping[str, Any], names: Sequence[str]) -> Dict[str, Optional[tuple]]:
        name = meta.get("method")
        if name not in methods.names():
            raise ModelFileError(f"{path} is corrupt: unknown method {name!r}; this library knows {methods.names()}")
        return methods.get(name).file_arrays(meta, names)

    return spec


__all__ = ["Aligner"]
