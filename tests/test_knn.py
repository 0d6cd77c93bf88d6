"""knn / knn_mean against a numpy brute force, on odd sizes, for every metric."""

import numpy as np
import pytest

import vec2vec_fast as v2v


def brute_force(q, b, k, metric):
    q64, b64 = q.astype(np.float64), b.astype(np.float64)
    if metric == "cosine":
        q64 = q64 / np.maximum(np.linalg.norm(q64, axis=1, keepdims=True), 1e-300)
        b64 = b64 / np.maximum(np.linalg.norm(b64, axis=1, keepdims=True), 1e-300)
    if metric == "l2":
        key = -(((q64[:, None, :] - b64[None, :, :]) ** 2).sum(-1))
    else:
        key = q64 @ b64.T
    # Best first, ties to the lower index: a stable sort on the negated key.
    order = np.argsort(-key, axis=1, kind="stable")[:, :k]
    scores = np.take_along_axis(key, order, axis=1)
    return order, (-scores if metric == "l2" else scores)


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
@pytest.mark.parametrize("m,n,d,k", [(1, 1, 1, 1), (7, 1029, 13, 5), (300, 2100, 33, 17), (513, 1500, 65, 1500)])
def test_integer_data_matches_brute_force_exactly(rng, metric, m, n, d, k):
    # Small integers make every product exact in float32, and many scores tie: this checks the tie rule too.
    q = rng.integers(-3, 4, size=(m, d)).astype(np.float32)
    b = rng.integers(-3, 4, size=(n, d)).astype(np.float32)
    if metric == "cosine":
        q[q.sum(1) == 0] += 1  # keep rows non-zero; cosine is not exact anyway, see the next test
        b[np.abs(b).sum(1) == 0] += 1
    idx, scores = v2v.knn(q, b, k, metric=metric)
    ref_idx, ref_scores = brute_force(q, b, k, metric)
    assert idx.shape == (m, k) and idx.dtype == np.int64
    assert scores.shape == (m, k) and scores.dtype == np.float32
    if metric == "cosine":
        np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    else:
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_array_equal(scores, ref_scores)


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_gaussian_data_matches_brute_force(rng, metric):
    q = rng.standard_normal((333, 97)).astype(np.float32)
    b = rng.standard_normal((2501, 97)).astype(np.float32)
    idx, scores = v2v.knn(q, b, 9, metric=metric)
    ref_idx, ref_scores = brute_force(q, b, 9, metric)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-4)
    # Indices agree except where float32 rounding reorders a near-tie.
    assert (idx == ref_idx).mean() > 0.999


def test_ties_go_to_the_lower_index():
    base = np.ones((10, 4), dtype=np.float32)
    idx, scores = v2v.knn(np.ones((2, 4), dtype=np.float32), base, 4)
    assert idx.tolist() == [[0, 1, 2, 3]] * 2
    assert scores.tolist() == [[4.0] * 4] * 2


def test_cosine_zero_row_scores_zero():
    base = np.array([[0, 0], [1, 0], [0, 1]], dtype=np.float32)
    idx, scores = v2v.knn(np.array([[0, 0]], dtype=np.float32), base, 3, metric="cosine")
    assert idx.tolist() == [[0, 1, 2]] and scores.tolist() == [[0, 0, 0]]


def test_float64_and_strided_input_give_the_same_answer(rng):
    q = rng.standard_normal((40, 16))
    b = rng.standard_normal((300, 32))[:, ::2]  # non-contiguous float64
    idx, scores = v2v.knn(q, b, 5)
    idx32, scores32 = v2v.knn(q.astype(np.float32), np.ascontiguousarray(b, dtype=np.float32), 5)
    np.testing.assert_array_equal(idx, idx32)
    np.testing.assert_array_equal(scores, scores32)


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_knn_mean_equals_the_gather_mean(rng, metric):
    q = rng.standard_normal((301, 24)).astype(np.float32)
    b = rng.standard_normal((1100, 24)).astype(np.float32)
    values = rng.standard_normal((1100, 7)).astype(np.float32)
    idx, _ = v2v.knn(q, b, 6, metric=metric)
    means = v2v.knn_mean(q, b, 6, values=values, metric=metric)
    assert means.shape == (301, 7)
    np.testing.assert_allclose(means, values[idx].mean(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v2v.knn_mean(q, b, 6, metric=metric), b[idx].mean(axis=1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_thread_count_does_not_change_results(rng, metric):
    q = rng.standard_normal((700, 50)).astype(np.float32)
    b = rng.standard_normal((3000, 50)).astype(np.float32)
    one = v2v.knn(q, b, 8, metric=metric, n_threads=1)
    two = v2v.knn(q, b, 8, metric=metric, n_threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(
        v2v.knn_mean(q, b, 8, metric=metric, n_threads=1), v2v.knn_mean(q, b, 8, metric=metric, n_threads=2)
    )
