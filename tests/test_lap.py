"""linear_sum_assignment reaches scipy's optimum on square and rectangular problems, in both senses."""

import numpy as np
import pytest

import vec2vec_fast as v2v

scipy_optimize = pytest.importorskip("scipy.optimize")


def assert_valid(rows, cols, shape):
    n = min(shape)
    assert rows.dtype == np.int64 and cols.dtype == np.int64
    assert len(rows) == len(cols) == n
    assert np.all(np.diff(rows) > 0), "rows sorted, unique"
    assert len(np.unique(cols)) == n and cols.min() >= 0 and cols.max() < shape[1]


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (9, 9), (64, 64), (5, 13), (13, 5), (1, 7), (40, 100), (100, 40)])
@pytest.mark.parametrize("maximize", [False, True])
def test_reaches_scipys_optimum(rng, shape, maximize):
    for _trial in range(3):
        cost = rng.standard_normal(shape) * 10 ** rng.uniform(-2, 3)
        rows, cols = v2v.linear_sum_assignment(cost, maximize=maximize)
        assert_valid(rows, cols, shape)
        ref_rows, ref_cols = scipy_optimize.linear_sum_assignment(cost, maximize=maximize)
        assert cost[rows, cols].sum() == pytest.approx(cost[ref_rows, ref_cols].sum(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("shape", [(30, 30), (20, 35)])
def test_integer_costs_with_many_ties(rng, shape):
    cost = rng.integers(0, 4, size=shape).astype(float)
    rows, cols = v2v.linear_sum_assignment(cost)
    assert_valid(rows, cols, shape)
    ref_rows, ref_cols = scipy_optimize.linear_sum_assignment(cost)
    assert cost[rows, cols].sum() == cost[ref_rows, ref_cols].sum()


def test_forbidden_pairs_are_avoided():
    cost = np.array([[np.inf, 1.0, 5.0], [2.0, np.inf, 1.0], [1.0, 3.0, np.inf]])
    rows, cols = v2v.linear_sum_assignment(cost)
    assert cols.tolist() == [1, 2, 0]
    rows, cols = v2v.linear_sum_assignment(-cost, maximize=True)
    assert cols.tolist() == [1, 2, 0]


def test_infeasible_raises():
    cost = np.array([[np.inf, np.inf], [1.0, 2.0]])
    with pytest.raises(ValueError, match="infeasible"):
        v2v.linear_sum_assignment(cost)


def test_empty_matches_scipy():
    rows, cols = v2v.linear_sum_assignment(np.zeros((0, 3)))
    assert rows.shape == cols.shape == (0,)


@pytest.mark.parametrize(
    "cost, kwargs, error, match",
    [
        (np.array([[1.0, np.nan]]), {}, ValueError, r"cost contains NaN at row 0, column 1"),
        (np.array([[1.0, -np.inf]]), {}, ValueError, r"cost\[0, 1\] = -inf is not allowed"),
        (np.array([[1.0, np.inf]]), {"maximize": True}, ValueError, r"cost\[0, 1\] = inf is not allowed"),
        (np.ones(3), {}, ValueError, r"cost must be 2-D, got shape \(3,\)"),
        (np.array([["a"]]), {}, TypeError, "cost must be a real-valued array"),
    ],
)
def test_bad_input(cost, kwargs, error, match):
    with pytest.raises(error, match=match):
        v2v.linear_sum_assignment(cost, **kwargs)
