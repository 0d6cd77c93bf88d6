"""Applying a linear map row by row: ``x @ W`` whose rows do not depend on the batch they were computed in."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

from . import _core
from ._validation import as_float32_matrix, resolve_n_threads


def matmul_rows(x: Any, W: Any, *, n_threads: Optional[int] = None) -> NDArray[np.float32]:
    """``x @ W`` in float32, each entry summed over ``k`` in ascending order by the same instructions for every row.

    Row i of the result depends on row i of ``x`` and on ``W`` only: the bits are the same whatever the batch size,
    however the rows are split into chunks (a streamed file, Dask blocks on other machines) and for any
    ``n_threads``. numpy's ``@`` (BLAS GEMM) does not promise this: its sums depend on a row's place in the
    micro-tile and on the thread count, so chunked results differ from the in-memory one in the last bits.

    Parameters
    ----------
    x : (n, K) real array, copied to C-contiguous float32 if it is not one already
    W : (K, N) real array, likewise
    n_threads : int or None

    Returns
    -------
    (n, N) float32
    """
    xs = as_float32_matrix(x, "x", check_finite=False)
    w = as_float32_matrix(W, "W", check_finite=False)
    if xs.shape[1] != w.shape[0]:
        raise ValueError(f"x has {xs.shape[1]} columns but W has {w.shape[0]} rows")
    return _core.matmul_rows(xs, w, resolve_n_threads(n_threads))
