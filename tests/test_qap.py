"""QAP: planted permutations, never worse than scipy from the same start, seeds and threads, bad input."""

import numpy as np
import pytest

import vec2vec_fast as v2v

scipy_optimize = pytest.importorskip("scipy.optimize")


def planted(rng, n, noise=0.01, centred=False):
    """A symmetric A and B = A permuted plus noise, with the permutation that undoes it."""
    A = rng.standard_normal((n, n))
    A = A + A.T
    if centred:
        H = np.eye(n) - 1.0 / n
        A = H @ A @ H
    shuffle = rng.permutation(n)
    B = A[np.ix_(shuffle, shuffle)] + noise * rng.standard_normal((n, n))
    truth = np.argsort(shuffle)  # B[truth[i], truth[j]] ~ A[i, j]
    return A, B, truth


@pytest.mark.parametrize("method", ["2opt", "faq", "faq+2opt"])
@pytest.mark.parametrize("n", [10, 20, 35, 50])
def test_recovers_a_planted_permutation(rng, method, n):
    A, B, truth = planted(rng, n)
    res = v2v.qap(A, B, method=method, seed=1)
    np.testing.assert_array_equal(res.perm, truth)
    assert res.score == pytest.approx(v2v.qap_score(A, B, truth))


def test_random_start_faq_handles_centred_kernels(rng):
    # Centred kernels have zero row sums: FAQ's gradient at the barycenter is exactly zero (spec 4.3, 8.2).
    A, B, truth = planted(rng, 20, centred=True)
    np.testing.assert_allclose(A.sum(1), 0, atol=1e-12)
    P = np.full((20, 20), 1 / 20)
    np.testing.assert_allclose(A @ P @ B.T + A.T @ P @ B, 0, atol=1e-10)
    res = v2v.qap(A, B, method="faq", seed=0)
    np.testing.assert_array_equal(res.perm, truth)


@pytest.mark.parametrize("n", [8, 20, 30])
@pytest.mark.parametrize("maximize", [True, False])
def test_2opt_never_below_scipy_from_the_same_start(rng, n, maximize):
    for _trial in range(5):
        A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))  # not symmetric: the general delta formula
        start = rng.permutation(n)
        ours = v2v.qap(A, B, method="2opt", n_restarts=1, maximize=maximize, init=start)
        guess = np.column_stack([np.arange(n), start])
        theirs = scipy_optimize.quadratic_assignment(
            A, B, method="2opt", options={"partial_guess": guess, "maximize": maximize})
        scale = 1e-9 * np.abs(A).sum() * np.abs(B).max()
        if maximize:
            assert ours.score >= theirs.fun - scale
        else:
            assert ours.score <= theirs.fun + scale


@pytest.mark.parametrize("n", [10, 25])
@pytest.mark.parametrize("maximize", [True, False])
def test_faq_never_below_scipy_from_the_same_start(rng, n, maximize):
    for _trial in range(5):
        A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
        K = rng.uniform(size=(n, n))
        for _ in range(500):  # a doubly stochastic start
            K /= K.sum(1, keepdims=True)
            K /= K.sum(0, keepdims=True)
        for method in ("faq", "faq+2opt"):
            ours = v2v.qap(A, B, method=method, n_restarts=1, maximize=maximize, init=K)
            theirs = scipy_optimize.quadratic_assignment(A, B, method="faq",
                                                         options={"P0": K, "maximize": maximize})
            scale = 1e-9 * np.abs(A).sum() * np.abs(B).max()
            if maximize:
                assert ours.score >= theirs.fun - scale
            else:
                assert ours.score <= theirs.fun + scale


@pytest.mark.parametrize("method", ["2opt", "faq", "faq+2opt"])
def test_same_seed_same_result_at_one_and_two_threads(rng, method):
    # Large enough (restarts * n^3 >= 2e6) that the restarts really run on two threads.
    A, B = rng.standard_normal((40, 40)), rng.standard_normal((40, 40))
    one = v2v.qap(A, B, method=method, n_restarts=40, seed=5, n_threads=1)
    two = v2v.qap(A, B, method=method, n_restarts=40, seed=5, n_threads=2)
    np.testing.assert_array_equal(one.perm, two.perm)
    np.testing.assert_array_equal(one.scores, two.scores)
    assert one.best_restart == two.best_restart
    other = v2v.qap(A, B, method=method, n_restarts=40, seed=6)
    assert not np.array_equal(other.scores, one.scores)


def test_result_fields_are_consistent(rng):
    A, B = rng.standard_normal((15, 15)), rng.standard_normal((15, 15))
    res = v2v.qap(A, B, n_restarts=12, seed=3)
    assert res.scores.shape == (12,)
    assert res.score == pytest.approx(res.scores.max())
    assert res.best_restart == int(np.argmax(res.scores))
    assert res.score == pytest.approx(v2v.qap_score(A, B, res.perm))
    assert sorted(res.perm.tolist()) == list(range(15))
    low = v2v.qap(A, B, n_restarts=12, seed=3, maximize=False)
    assert low.score == pytest.approx(low.scores.min()) and low.score < res.score


def test_restarts_beat_a_single_run_on_average(rng):
    A, B = rng.standard_normal((40, 40)), rng.standard_normal((40, 40))
    many = v2v.qap(A, B, n_restarts=30, seed=0)
    assert many.score >= many.scores[0]
    assert many.score >= np.median(many.scores)


def test_single_node():
    res = v2v.qap([[2.0]], [[3.0]])
    assert res.perm.tolist() == [0] and res.score == 6.0


@pytest.mark.parametrize(
    "A, B, kwargs, error, match",
    [
        (np.ones((3, 4)), np.ones((3, 4)), {}, ValueError, r"must be square, got A \(3, 4\)"),
        (np.ones((3, 3)), np.ones((4, 4)), {}, ValueError, r"same size, got A \(3, 3\) and B \(4, 4\)"),
        (np.zeros((0, 0)), np.zeros((0, 0)), {}, ValueError, "non-empty"),
        (np.full((2, 2), np.nan), np.ones((2, 2)), {}, ValueError, "A contains a non-finite value nan at row 0"),
        (np.ones((2, 2)), np.full((2, 2), np.inf), {}, ValueError, "B contains a non-finite value inf"),
        (np.ones((3, 3)), np.ones((3, 3)), {"method": "3opt"}, ValueError, "method must be one of"),
        (np.ones((3, 3)), np.ones((3, 3)), {"n_restarts": 0}, ValueError, "n_restarts=0 must be >= 1"),
        (np.ones((3, 3)), np.ones((3, 3)), {"init": [0, 0, 1]}, ValueError, "init must be a permutation of 0..2"),
        (np.ones((3, 3)), np.ones((3, 3)), {"init": np.eye(3)}, ValueError, "method='2opt' starts from a perm"),
        (np.ones((3, 3)), np.ones((3, 3)), {"init": np.ones((3, 3)), "method": "faq"}, ValueError,
         "doubly stochastic"),
        (np.ones((3, 3)), np.ones((3, 3)), {"faq_tol": -1.0}, ValueError, "faq_tol must be"),
    ],
)
def test_bad_input(A, B, kwargs, error, match):
    with pytest.raises(error, match=match):
        v2v.qap(A, B, **kwargs)
