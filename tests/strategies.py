"""Hypothesis strategies shared by the property and fuzz tests: matrices of every awkward kind, dtype and layout."""

from __future__ import annotations

import numpy as np
from hypothesis import settings, strategies as st
from hypothesis.extra import numpy as hnp

FLOAT32_MAX = float(np.finfo(np.float32).max)

# Structure and scale of the generated values. "huge" and "tiny" span the float32 range up to its largest and
# below its smallest normal values; "subnormal" is all subnormal float32; "mixed" scales rows by up to 1e6 either way.
KINDS = ("gaussian", "integers", "duplicates", "all_equal", "zero_rows", "huge", "tiny", "subnormal", "mixed",
         "arbitrary")
LAYOUTS = ("C", "F", "strided", "reversed")


def budget(n: int) -> int:
    """Examples for an expensive test: n at the "ci" profile's 40, scaled with the profile in use."""
    return max(1, round(n * settings.default.max_examples / 40))


def _values(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    g = rng.standard_normal((n, d))
    if kind == "integers":
        return rng.integers(-3, 4, (n, d)).astype(np.float64)
    if kind == "duplicates":
        pool = rng.standard_normal((max(1, n // 3), d))
        return pool[rng.integers(0, len(pool), n)]
    if kind == "all_equal":
        return np.tile(rng.standard_normal(d), (n, 1))
    if kind == "zero_rows":
        g[rng.random(n) < 0.4] = 0.0
        return g
    if kind == "huge":  # up to ~1e38: entries stay finite in float32 while squares and products overflow it
        return g / np.abs(g).max() * 10.0 ** rng.uniform(15, 38.5)
    if kind == "tiny":
        return g * 10.0 ** rng.uniform(-38, -15)
    if kind == "subnormal":
        return np.round(g * 1000) * 1e-45
    if kind == "mixed":
        return g * 10.0 ** rng.uniform(-6, 6, (n, 1))
    return g


@st.composite
def matrices(draw, *, rows=st.integers(1, 30), cols=st.integers(1, 8), kinds=KINDS, dtypes=(np.float32, np.float64),
             layouts=LAYOUTS, shape=None):
    """(n, d) real matrices whose float32 conversion is finite: every kind, float32/float64, any memory layout."""
    n, d = shape if shape is not None else (draw(rows), draw(cols))
    kind = draw(st.sampled_from(kinds))
    if kind == "arbitrary":  # hypothesis picks every value: signed zeros, subnormals, exact ties, boundaries
        x = draw(hnp.arrays(np.float32, (n, d), elements=st.floats(-1e4, 1e4, width=32)))
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        x = np.clip(_values(kind, n, d, rng), -FLOAT32_MAX, FLOAT32_MAX)
    x = x.astype(draw(st.sampled_from(dtypes)))
    return relayout(x, draw(st.sampled_from(layouts)))


def relayout(x: np.ndarray, layout: str) -> np.ndarray:
    """The same values in another memory layout: Fortran order, a strided view, or a negatively strided view."""
    if layout == "F":
        return np.asfortranarray(x)
    if layout == "strided":
        wide = np.zeros((x.shape[0], 2 * x.shape[1]), dtype=x.dtype)
        wide[:, ::2] = x
        return wide[:, ::2]
    if layout == "reversed":
        return np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1]
    return np.ascontiguousarray(x)


@st.composite
def square_matrices(draw, n, *, symmetric=None, kinds=("gaussian", "integers", "zeros", "huge", "tiny", "arbitrary")):
    """(n, n) float64 matrices (kernels for QAP and costs for LAP), with magnitudes over the whole float64 range."""
    kind = draw(st.sampled_from(kinds))
    if kind == "arbitrary":
        a = draw(hnp.arrays(np.float64, (n, n), elements=st.floats(-1e6, 1e6)))
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        a = rng.standard_normal((n, n))
        if kind == "integers":
            a = rng.integers(-2, 3, (n, n)).astype(np.float64)
        elif kind == "zeros":
            a = np.zeros((n, n))
        elif kind == "huge":
            a = a * 10.0 ** rng.uniform(100, 300)
        elif kind == "tiny":
            a = a * 10.0 ** rng.uniform(-300, -100)
    if symmetric if symmetric is not None else draw(st.booleans()):
        a = (a + a.T) / 2
    return a


def nonfinite_positions(x_shape):
    """(row, column, value) for a NaN or infinity planted in a matrix of the given shape."""
    n, d = x_shape
    return st.tuples(st.integers(0, n - 1), st.integers(0, d - 1), st.sampled_from([np.nan, np.inf, -np.inf]))
