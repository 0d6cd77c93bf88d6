"""``method="gan"``: vec2vec (Jha et al. 2025), the GAN translator in torch (:mod:`vec2vec_fast.gan`).

The schema is the GAN config's keys (:data:`vec2vec_fast.configs.SCHEMA`, without ``seed``: the Aligner's seed is
the config's) plus ``config``, ``device`` and ``progress``. torch is imported only to fit or to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._numerics import typical_norm
from .._validation import SeedLike, as_float32_matrix, resolve_seed
from ..configs import SCHEMA as CONFIG_SCHEMA
from ..schema import Param, Schema
from .base import FitResult, FittedMap, Method

PREFIX = "gan/"  # model-file arrays: "gan/<state-dict key>"
_EXTRA = (
    Param("config", str, "unsupervised", "a packaged config name (unsupervised, unsup_new, small, fmri_avg) or a "
                                         "TOML path; the other keys override it", path=True),
    Param("device", str, None, "cpu, cuda, cuda:1 ... (None: CUDA when present, else CPU)", nullable=True),
    Param("progress", bool, False, "draw a per-epoch progress bar"),
)
EXTRA_NAMES = tuple(p.name for p in _EXTRA)
SCHEMA = Schema([p for p in CONFIG_SCHEMA.values() if p.name != "seed"] + list(_EXTRA),
                label=lambda name: name if name in EXTRA_NAMES else f"config key {name!r}")


@dataclass(eq=False)
class GanMap(FittedMap):
    translator: Any               # gan.translator.Translator, eval mode
    config: Any                   # the flat GanConfig it was trained with
    names: Tuple[str, str]        # the A and B space names (adapter keys)
    scale_a: float                # mean row norm of A's training rows (what raw=True restores)
    scale_b: float

    @property
    def d_a(self) -> int:
        return int(self.translator.dims[self.names[0]])

    @property
    def d_b(self) -> int:
        return int(self.translator.dims[self.names[1]])

    def _translate(self, x: np.ndarray, source: int) -> NDArray[np.float32]:
        from ..gan import estimator

        return estimator.translate(self.translator, self.config, x, self.names[source], self.names[1 - source])

    def transform(self, x: np.ndarray, *, raw: bool = False, n_threads: Optional[int] = None) -> NDArray[np.float32]:
        y = self._translate(x, 0)  # unit rows in B's own (uncentred) frame
        return (y * self.scale_b).astype(np.float32) if raw else y

    def inverse_transform(self, y: np.ndarray, *, raw: bool = False,
                          n_threads: Optional[int] = None) -> NDArray[np.float32]:
        x = self._translate(y, 1)  # vec2vec learns both directions: B -> A is its own translation
        return (x * self.scale_a).astype(np.float32) if raw else x

    def output_frame(self, y: np.ndarray) -> NDArray[np.float32]:
        return np.asarray(y, dtype=np.float32)  # the translator's frame is B's own, uncentred

    def attributes(self) -> Dict[str, Any]:
        return {"translator": self.translator, "gan_config": self.config, "gan_names": self.names}

    def arrays(self) -> Dict[str, np.ndarray]:
        from ..gan import estimator

        return estimator.to_arrays(self.translator)

    def file_meta(self) -> Dict[str, Any]:
        return {"gan": {"config": self.config.to_dict(), "names": list(self.names)}}


def gan_map(result: Any, a: Any, b: Any) -> GanMap:
    """The fitted map of a GAN training result (:class:`vec2vec_fast.gan.GanResult`) on rows ``a``, ``b``: the one
    place its scales are computed (mean row norms of all training rows, in float64 blocks)."""
    zeros_a, zeros_b = np.zeros(a.shape[1], np.float32), np.zeros(b.shape[1], np.float32)
    return GanMap(result.translator, result.config, tuple(result.names), typical_norm(a, zeros_a),
                  typical_norm(b, zeros_b))


def gan_report(result: Any) -> Dict[str, Any]:
    return {"best": result.best, **result.report, "history": result.history}


class GanMethod(Method):
    name = "gan"
    summary = "vec2vec: a GAN translator (torch; the gan extra), unpaired, non-linear, invertible"
    schema = SCHEMA

    def fit(self, X_a: ArrayLike, X_b: ArrayLike, *, seed: SeedLike, n_threads: int) -> FitResult:
        from ..gan import estimator  # imports torch, with a clear ImportError when it is missing

        a = as_float32_matrix(X_a, "X_a", n_threads=n_threads)
        b = as_float32_matrix(X_b, "X_b", n_threads=n_threads)
        overrides = {k: v for k, v in self.params.items() if k not in EXTRA_NAMES}
        result = estimator.fit(a, b, self.params.get("config", "unsupervised"), overrides, resolve_seed(seed),
                               n_threads, device=self.params.get("device"), progress=self.params.get("progress", False))
        return FitResult(gan_map(result, a, b), int(result.config.seed), gan_report(result))

    @classmethod
    def file_arrays(cls, meta: Mapping[str, Any], names: Sequence[str]) -> Dict[str, Optional[tuple]]:
        wanted = sorted(k for k in names if k.startswith(PREFIX))
        if not wanted:
            raise ValueError("missing ['gan/<translator state>']")
        return dict.fromkeys(wanted)  # shapes are checked against the rebuilt translator

    @classmethod
    def load_map(cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], where: str) -> GanMap:
        spec = meta.get("gan")
        if (not isinstance(spec, dict) or not isinstance(spec.get("config"), dict)
                or not isinstance(spec.get("names"), list) or len(spec["names"]) != 2
                or not all(isinstance(n, str) for n in spec["names"])):
            raise ValueError("the GAN metadata needs a config object, two space names and positive integer dims")
        for key, arr in arrays.items():
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise ValueError(f"{key} contains non-finite values")
        from ..gan import estimator  # loading a GAN model needs torch

        dims = {spec["names"][0]: int(meta["d_a"]), spec["names"][1]: int(meta["d_b"])}
        translator = estimator.from_arrays(spec["config"], dims, arrays, where)
        return GanMap(translator, translator.config, tuple(spec["names"]), float(meta["scale_a"]),
                      float(meta["scale_b"]))
