"""Every bad input raises the documented error, naming the bad value."""

import numpy as np
import pytest

import vec2vec_fast as v2v


@pytest.fixture
def x(rng):
    return rng.standard_normal((20, 4)).astype(np.float32)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (np.zeros(5, dtype=np.float32), ValueError, r"2-D .*shape \(5,\)"),
        (np.zeros((2, 3, 4), dtype=np.float32), ValueError, r"2-D .*shape \(2, 3, 4\)"),
        (np.zeros((0, 4), dtype=np.float32), ValueError, r"non-empty.*\(0, 4\)"),
        (np.zeros((4, 0), dtype=np.float32), ValueError, r"non-empty.*\(4, 0\)"),
        (np.array([["a", "b"]]), TypeError, r"real-valued.*<U1"),
        (np.zeros((3, 2), dtype=bool), TypeError, r"real-valued.*bool"),
        (np.zeros((3, 2), dtype=np.complex64), TypeError, r"real-valued.*complex64"),
    ],
)
def test_bad_arrays(bad, error, match, x):
    with pytest.raises(error, match=match):
        v2v.kmeans(bad, 1)
    with pytest.raises(error, match=match):
        v2v.knn(bad, x, 1)
    with pytest.raises(error, match=match):
        v2v.knn(x, bad, 1)


@pytest.mark.parametrize("value, shown", [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_non_finite_values_are_located(x, value, shown):
    x[7, 2] = value
    with pytest.raises(ValueError, match=rf"X contains a non-finite value {shown} at row 7, column 2"):
        v2v.kmeans(x, 2)
    with pytest.raises(ValueError, match=rf"base contains a non-finite value {shown} at row 7, column 2"):
        v2v.knn(np.ones((1, 4)), x, 2)
    with pytest.raises(ValueError, match=r"queries contains .* at row 7, column 2"):
        v2v.knn(x, np.ones((3, 4)), 2)


def test_non_finite_in_float64_input_is_found_after_conversion(x):
    big = x.astype(np.float64)
    big[3, 1] = 1e300  # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"queries has 1e\+300 at row 3, column 1, out of float32 range"):
        v2v.knn(big, x, 1)


def test_mismatched_dimensions(x):
    with pytest.raises(ValueError, match="queries has 3 columns but base has 4"):
        v2v.knn(np.ones((2, 3)), x, 1)
    with pytest.raises(ValueError, match="values has 5 rows but base has 20"):
        v2v.knn_mean(x, x, 1, values=np.ones((5, 2)))


@pytest.mark.parametrize("k, error, match", [(0, ValueError, r"k=0 must be \[1, 20\]"),
                                             (21, ValueError, r"k=21 must be \[1, 20\]"),
                                             (2.0, TypeError, "k must be an integer, got 2.0")])
def test_bad_k(x, k, error, match):
    with pytest.raises(error, match=match):
        v2v.knn(x, x, k)


def test_bad_metric(x):
    with pytest.raises(ValueError, match=r"metric must be one of .* got 'euclid'"):
        v2v.knn(x, x, 1, metric="euclid")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_clusters": 0}, ValueError, r"n_clusters=0 must be \[1, 20\]"),
        ({"n_clusters": 21}, ValueError, r"n_clusters=21 must be \[1, 20\]"),
        ({"n_clusters": 2, "n_init": 0}, ValueError, "n_init=0 must be >= 1"),
        ({"n_clusters": 2, "max_iter": 0}, ValueError, "max_iter=0 must be >= 1"),
        ({"n_clusters": 2, "tol": float("nan")}, ValueError, "tol must be a finite number, got nan"),
        ({"n_clusters": 2, "init": "kmeans++"}, ValueError, r"init must be one of .* got 'kmeans\+\+'"),
        ({"n_clusters": 2, "init": np.ones((3, 4))}, ValueError, r"init has shape \(3, 4\), expected .* \(2, 4\)"),
        ({"n_clusters": 2, "init": np.ones((2, 5))}, ValueError, r"init has shape \(2, 5\)"),
        ({"n_clusters": 2, "init": np.full((2, 4), np.nan)}, ValueError, "init contains a non-finite value nan"),
        ({"n_clusters": 2, "init": np.ones((2, 4)), "n_init": 3}, ValueError, "n_init=3 has no effect"),
        ({"n_clusters": 2, "seed": -1}, ValueError, r"seed=-1 must be in \[0, 2\*\*64\)"),
        ({"n_clusters": 2, "seed": "abc"}, TypeError, "seed must be an int, a numpy Generator or None, got 'abc'"),
        ({"n_clusters": 2, "n_threads": 0}, ValueError, "n_threads=0 is not allowed"),
        ({"n_clusters": 2, "n_threads": 1.5}, TypeError, "n_threads must be an integer or None, got 1.5"),
    ],
)
def test_bad_kmeans_arguments(x, kwargs, error, match):
    with pytest.raises(error, match=match):
        v2v.kmeans(x, **kwargs)


def test_core_refuses_silent_conversion(x):
    # The private module never converts: a float64 or strided array is a TypeError, not a hidden copy.
    with pytest.raises(TypeError):
        v2v._core.knn(x.astype(np.float64), x, 1, "ip", 1)
    with pytest.raises(TypeError):
        v2v._core.knn(np.asfortranarray(x), x, 1, "ip", 1)


def test_core_rechecks_its_invariants(x):
    with pytest.raises(ValueError, match="k=0 must be in"):
        v2v._core.knn(x, x, 0, "ip", 1)
    with pytest.raises(ValueError, match="queries have 3 columns, base has 4"):
        v2v._core.knn(np.ones((2, 3), dtype=np.float32), x, 1, "ip", 1)
    with pytest.raises(ValueError, match="metric must be"):
        v2v._core.knn(x, x, 1, "dot", 1)


def test_misaligned_buffers_are_copied_aligned_before_cpp_reads_them(x):
    """Unpickled arrays (e.g. shipped to Dask workers) can start at an odd byte; C++ must never read a float there
    (UBSan flagged it). The result must equal the aligned input's."""
    raw = bytearray(x.nbytes + 1)
    odd = np.frombuffer(raw, dtype=np.float32, offset=1, count=x.size).reshape(x.shape)
    odd[...] = x
    assert not odd.flags.aligned
    np.testing.assert_array_equal(v2v.knn(odd, odd, 3)[0], v2v.knn(x, x, 3)[0])
    np.testing.assert_array_equal(v2v.procrustes(odd, odd), v2v.procrustes(x, x))
