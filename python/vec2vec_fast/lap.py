"""Exact linear assignment (shortest augmenting paths, as Jonker-Volgenant), a drop-in for scipy's."""

from __future__ import annotations

from typing import Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._numerics import as_float64_matrix


def linear_sum_assignment(cost: ArrayLike, *, maximize: bool = False) -> Tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Solve the linear assignment problem exactly, as :func:`scipy.optimize.linear_sum_assignment`.

    Parameters
    ----------
    cost : (n_rows, n_cols) array
        Any shape; min(n_rows, n_cols) pairs are chosen. +inf (-inf when maximizing) forbids a pair; NaN is an error.
    maximize : bool
        Maximise the total instead of minimising it.

    Returns
    -------
    rows, cols : int64 arrays
        The chosen pairs, sorted by row: ``cost[rows, cols].sum()`` is optimal.

    Raises
    ------
    ValueError
        NaN in cost, or no assignment avoids the forbidden pairs ("cost matrix is infeasible").
    """
    c = as_float64_matrix(cost, "cost")
    if np.isnan(c).any():
        r, col = np.argwhere(np.isnan(c))[0]
        raise ValueError(f"cost contains NaN at row {r}, column {col}")
    return _core.linear_sum_assignment(c, bool(maximize))
