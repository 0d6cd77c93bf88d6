"""Procrustes against scipy, planted semi-orthogonal maps, weights, and the polar factor."""

import numpy as np
import pytest

import vec2vec_fast as v2v

scipy_linalg = pytest.importorskip("scipy.linalg")


def random_semi_orthogonal(rng, rows, cols):
    q, _ = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    return q if rows >= cols else q.T


@pytest.mark.parametrize("n, d", [(50, 3), (500, 64), (3000, 257)])
def test_square_equals_scipy(rng, n, d):
    X = rng.standard_normal((n, d)).astype(np.float32)
    Y = (X @ random_semi_orthogonal(rng, d, d) + 0.5 * rng.standard_normal((n, d))).astype(np.float32)
    W = v2v.procrustes(X, Y)
    ref, _ = scipy_linalg.orthogonal_procrustes(X.astype(np.float64), Y.astype(np.float64))
    assert W.shape == (d, d) and W.dtype == np.float32
    np.testing.assert_allclose(W, ref, atol=2e-5)


@pytest.mark.parametrize("dx, dy", [(40, 90), (90, 40), pytest.param(384, 768, marks=pytest.mark.slow)])
def test_recovers_a_planted_semi_orthogonal_map(rng, dx, dy):
    Q = random_semi_orthogonal(rng, dx, dy)
    X = rng.standard_normal((2000, dx)).astype(np.float32)
    Y = (X @ Q + 0.01 * rng.standard_normal((2000, dy))).astype(np.float32)
    # The closed form is exact for d_x <= d_y; for d_x > d_y the exact least-squares map needs the iteration.
    W = v2v.procrustes(X, Y, exact=True)
    assert W.shape == (dx, dy)
    np.testing.assert_allclose(W, Q, atol=2e-3)
    gram = W.T @ W if dx >= dy else W @ W.T
    assert np.abs(gram - np.eye(min(dx, dy))).max() < 1e-4


@pytest.mark.parametrize("d", [384, 768, pytest.param(1024, marks=pytest.mark.slow)])
def test_orthogonal_to_float32_precision_at_embedding_sizes(rng, d):
    X = rng.standard_normal((3 * d, d)).astype(np.float32)
    Y = rng.standard_normal((3 * d, d)).astype(np.float32)  # unrelated: a badly conditioned cross-covariance
    W = v2v.procrustes(X, Y)
    assert np.linalg.norm(W.T.astype(np.float64) @ W - np.eye(d), ord=2) < 1e-4


def test_exact_lowers_the_error_when_dx_exceeds_dy(rng):
    # Anisotropic X: the closed form maximises trace(W^T X^T Y) but is not the least-squares map.
    dx, dy = 60, 25
    X = (rng.standard_normal((1500, dx)) * np.linspace(0.2, 3.0, dx)).astype(np.float32)
    Q = random_semi_orthogonal(rng, dx, dy)
    Y = (X @ Q + 0.3 * rng.standard_normal((1500, dy))).astype(np.float32)
    closed, exact = v2v.procrustes(X, Y), v2v.procrustes(X, Y, exact=True)

    def error(W):
        return np.linalg.norm(X @ W - Y)

    assert error(exact) < error(closed) * 0.99
    assert np.abs(exact.T @ exact - np.eye(dy)).max() < 1e-5
    # No orthonormal-column map with a lower error nearby: random small rotations of the optimum only make it worse.
    for _ in range(20):
        S = rng.standard_normal((dx, dx)) * 1e-3
        R = np.linalg.qr(np.eye(dx) + S - S.T)[0]
        assert error(R @ exact) >= error(exact) - 1e-4


def test_integer_weights_equal_repeated_rows(rng):
    X = rng.standard_normal((300, 20)).astype(np.float32)
    Y = rng.standard_normal((300, 20)).astype(np.float32)
    w = rng.integers(0, 4, size=300)
    weighted = v2v.procrustes(X, Y, weights=w.astype(np.float32))
    repeated = v2v.procrustes(np.repeat(X, w, axis=0), np.repeat(Y, w, axis=0))
    np.testing.assert_allclose(weighted, repeated, atol=1e-5)


def test_zero_weight_rows_are_ignored(rng):
    Q = random_semi_orthogonal(rng, 30, 30)
    X = rng.standard_normal((400, 30)).astype(np.float32)
    Y = (X @ Q).astype(np.float32)
    Y[:100] = 1000 * rng.standard_normal((100, 30))  # corrupted pairs
    w = np.ones(400, dtype=np.float32)
    w[:100] = 0
    np.testing.assert_allclose(v2v.procrustes(X, Y, weights=w), Q, atol=1e-4)
    assert np.abs(v2v.procrustes(X, Y) - Q).max() > 0.1


def test_thread_count_does_not_change_the_result(rng):
    X = rng.standard_normal((5000, 300)).astype(np.float32)
    Y = rng.standard_normal((5000, 300)).astype(np.float32)
    np.testing.assert_array_equal(v2v.procrustes(X, Y, n_threads=1), v2v.procrustes(X, Y, n_threads=2))


def test_orthogonalize_is_the_polar_factor(rng):
    for shape in [(50, 50), (30, 70), (70, 30)]:
        M = rng.standard_normal(shape)
        u, _, vt = np.linalg.svd(M, full_matrices=False)
        np.testing.assert_allclose(v2v.orthogonalize(M), u @ vt, atol=1e-6)
    Q = random_semi_orthogonal(rng, 64, 64)
    blended = 0.5 * Q + 0.5 * (Q + 0.01 * rng.standard_normal((64, 64)))  # what Refine-1's smoothing produces
    fixed = v2v.orthogonalize(blended)
    assert np.abs(fixed.T @ fixed - np.eye(64)).max() < 1e-5
    np.testing.assert_allclose(v2v.orthogonalize(Q), Q, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"Y": np.ones((9, 4))}, ValueError, "X has 10 rows but Y has 9"),
        ({"weights": np.ones(9)}, ValueError, r"weights has shape \(9,\), expected \(10,\)"),
        ({"weights": -np.ones(10)}, ValueError, r"weights must be finite and >= 0, got -1.0 at index 0"),
        ({"weights": np.full(10, np.nan)}, ValueError, "weights must be finite and >= 0, got nan"),
        ({"weights": np.array(["a"] * 10)}, TypeError, "weights must be real-valued"),
        ({"weights": np.zeros(10)}, ValueError, "weights are all zero"),
        ({"Y": np.full((10, 4), np.inf)}, ValueError, "Y contains a non-finite value inf at row 0, column 0"),
    ],
)
def test_bad_input(kwargs, error, match):
    args = {"X": np.ones((10, 4)), "Y": np.ones((10, 4))}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        v2v.procrustes(args.pop("X"), args.pop("Y"), **args)


def test_orthogonalize_bad_input():
    with pytest.raises(ValueError, match="W contains a non-finite value nan"):
        v2v.orthogonalize(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="W must be 2-D"):
        v2v.orthogonalize(np.ones(3))
