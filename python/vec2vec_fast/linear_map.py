"""A fitted linear map between two embedding spaces: what mini-vec2vec and Procrustes learn, and how it is applied.

``transform(x) = normalize(normalize(x - mean_a) W)``: unit rows in B's centred frame; with ``raw=True`` B's typical
norm and mean are restored. The inverse goes through W's pseudo-inverse, computed once per map.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np
from numpy.typing import NDArray

from ._numerics import preprocess, unit_rows
from .rowwise import matmul_rows

ARRAYS = ("W", "mean_a", "mean_b")  # the model file's arrays of a linear map


@dataclass(eq=False)
class LinearMap:
    W: NDArray[np.float32]       # (d_a, d_b): maps normalize(x - mean_a) into B's centred, normalised frame
    mean_a: NDArray[np.float32]  # (d_a,) training mean of A
    mean_b: NDArray[np.float32]  # (d_b,)
    scale_a: float               # mean norm of A's centred training rows (what raw=True restores)
    scale_b: float

    @property
    def d_a(self) -> int:
        return int(self.W.shape[0])

    @property
    def d_b(self) -> int:
        return int(self.W.shape[1])

    @functools.cached_property
    def pseudo_inverse(self) -> NDArray[np.float32]:
        """pinv(W), (d_b, d_a), in float64 then float32: computed on first use, then kept (a CLI chunk or a Dask
        block no longer pays for an SVD each)."""
        return np.linalg.pinv(self.W.astype(np.float64)).astype(np.float32)

    def transform(self, x: np.ndarray, *, raw: bool = False, n_threads: Optional[int] = None) -> NDArray[np.float32]:
        """``x`` (validated float32, d_a columns) into B's frame. matmul_rows, not @: each row is independent of the
        batch, so chunked, streamed and Dask results equal the in-memory one bit for bit."""
        y = unit_rows(matmul_rows(preprocess(x, self.mean_a), self.W, n_threads=n_threads))
        return (y * self.scale_b + self.mean_b).astype(np.float32) if raw else y

    def inverse_transform(self, y: np.ndarray, *, raw: bool = False,
                          n_threads: Optional[int] = None) -> NDArray[np.float32]:
        """B rows back into A's frame through pinv(W) (exact when W is orthogonal; when d_b > d_a it recovers the
        component of B that the map can reach)."""
        x = unit_rows(matmul_rows(preprocess(y, self.mean_b), self.pseudo_inverse, n_threads=n_threads))
        return (x * self.scale_a + self.mean_a).astype(np.float32) if raw else x

    def output_frame(self, y: np.ndarray) -> NDArray[np.float32]:
        """B vectors in the frame :meth:`transform` returns (centred on B's training mean), to compare with it."""
        return (np.asarray(y, dtype=np.float32) - self.mean_b).astype(np.float32)

    def attributes(self) -> Dict[str, np.ndarray]:
        """Exposed on the Aligner as W_, mean_a_, mean_b_."""
        return {"W": self.W, "mean_a": self.mean_a, "mean_b": self.mean_b}

    def arrays(self) -> Dict[str, np.ndarray]:
        return {"W": self.W, "mean_a": self.mean_a, "mean_b": self.mean_b}

    def file_meta(self) -> Dict[str, object]:
        return {}
