"""What the linear methods share: their fitted state is a :class:`~vec2vec_fast.linear_map.LinearMap`, stored in the
model file as the arrays W, mean_a and mean_b."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np

from ..linear_map import ARRAYS, LinearMap
from .base import FittedMap, Method

FittedMap.register(LinearMap)

# |W| entries beyond these cannot come from a fit (W is (near) orthogonal): beyond them transform or its
# pseudo-inverse would overflow or underflow float32.
_W_RANGE = (1e-15, 1e15)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class LinearMethod(Method):
    """A method whose fitted state is a LinearMap."""

    @classmethod
    def file_arrays(cls, meta: Mapping[str, Any], names: Sequence[str]) -> Dict[str, Optional[tuple]]:
        missing = sorted(set(ARRAYS) - set(names))
        if missing:
            raise ValueError(f"missing {missing}")
        d_a, d_b = meta.get("d_a"), meta.get("d_b")
        if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in (d_a, d_b)):
            return dict.fromkeys(ARRAYS)
        return {"W": (d_a, d_b), "mean_a": (d_a,), "mean_b": (d_b,)}

    @classmethod
    def load_map(cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], where: str) -> LinearMap:
        d_a, d_b = meta["d_a"], meta["d_b"]
        expected = {"W": (d_a, d_b), "mean_a": (d_a,), "mean_b": (d_b,)}
        for key, shape in expected.items():
            arr = arrays[key]
            if arr.shape != tuple(shape) or arr.dtype.kind != "f" or not np.isfinite(arr).all():
                raise ValueError(f"{key} has shape {arr.shape} dtype {arr.dtype}, expected finite floats of shape "
                                 f"{tuple(shape)}")
        # Values no fit produces and that would overflow float32 in transform, inverse_transform or raw outputs.
        big = float(np.abs(arrays["W"].astype(np.float64)).max(initial=0.0))
        if big and not _W_RANGE[0] <= big <= _W_RANGE[1]:
            raise ValueError(f"W's largest entry is {big:g}, outside {_W_RANGE} (a fitted map is near orthogonal)")
        for side in ("a", "b"):
            mean = np.abs(arrays[f"mean_{side}"].astype(np.float64))
            reach = float(meta[f"scale_{side}"]) + float(mean.max(initial=0.0))
            if not reach <= _FLOAT32_MAX / 4:
                raise ValueError(f"scale_{side} plus mean_{side} reach {reach:g}: raw outputs would overflow float32")
        return LinearMap(arrays["W"].astype(np.float32), arrays["mean_a"].astype(np.float32),
                         arrays["mean_b"].astype(np.float32), float(meta["scale_a"]), float(meta["scale_b"]))
