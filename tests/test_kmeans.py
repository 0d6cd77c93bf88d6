"""k-means against a numpy Lloyd, scikit-learn, a hand-checked case, and its own invariants."""

import numpy as np
import pytest

import vec2vec_fast as v2v
from conftest import make_blobs


def numpy_lloyd(x, centroids, n_updates):
    """Textbook Lloyd in float64 from the given centroids."""
    x64, c = x.astype(np.float64), centroids.astype(np.float64).copy()
    for _ in range(n_updates):
        labels = ((x64[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
        for j in range(len(c)):
            if np.any(labels == j):
                c[j] = x64[labels == j].mean(0)
    labels = ((x64[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
    return c, labels, ((x64 - c[labels]) ** 2).sum()


def test_given_init_hand_checked_case():
    # Two obvious groups on a line; from centroids 0 and 1 the first update gives the group means 1 and 11,
    # after which nothing changes.
    x = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]], dtype=np.float32)
    r = v2v.kmeans(x, 2, init=np.array([[0.0], [1.0]]), max_iter=10)
    assert r.centroids.ravel().tolist() == [1.0, 11.0]
    assert r.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert r.inertia == pytest.approx(4.0)
    assert r.inertia_history[0] == pytest.approx(0 + 0 + 1 + 81 + 100 + 121)
    assert r.n_iter == 2  # the second update changes nothing, the shift test stops it


def test_matches_numpy_lloyd_from_the_same_init(rng):
    x, _ = make_blobs(rng, 1500, 11, 6, spread=1.5)
    init = x[rng.choice(len(x), 6, replace=False)]
    r = v2v.kmeans(x, 6, init=init, max_iter=7, tol=-1)
    c, labels, inertia = numpy_lloyd(x, init, r.n_iter)
    np.testing.assert_allclose(r.centroids, c, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(r.labels, labels)
    assert r.inertia == pytest.approx(inertia, rel=1e-5)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_inertia_is_non_increasing(rng, init):
    x = rng.standard_normal((3000, 20)).astype(np.float32)
    r = v2v.kmeans(x, 40, init=init, max_iter=50, tol=-1, seed=3)
    h = np.array(r.inertia_history)
    assert len(h) == r.n_iter + 1 and r.n_iter > 5
    assert np.all(np.diff(h) <= 1e-6 * h[0]), np.diff(h).max()
    assert r.inertia == pytest.approx(h[-1])


def test_within_one_percent_of_scikit_learn_on_blobs(rng):
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    x, _ = make_blobs(rng, 4000, 16, 12, spread=1.0)
    ours = v2v.kmeans(x, 12, n_init=3, seed=0).inertia
    theirs = sklearn_cluster.KMeans(12, n_init=3, random_state=0).fit(x).inertia_
    assert ours <= theirs * 1.01


def test_recovers_blob_labels(rng):
    x, truth = make_blobs(rng, 2000, 8, 5, spread=0.2)
    r = v2v.kmeans(x, 5, n_init=5, seed=1)
    # Each found cluster is exactly one true blob.
    for j in range(5):
        assert len(np.unique(truth[r.labels == j])) == 1


def test_spherical_centroids_are_unit_and_assignment_is_by_cosine(rng):
    x = rng.standard_normal((1200, 10)).astype(np.float32) * rng.uniform(0.1, 10, size=(1200, 1)).astype(np.float32)
    r = v2v.kmeans(x, 7, spherical=True, seed=2, tol=-1, max_iter=300)
    assert r.n_iter < 300  # converged: labels stopped changing, so centroids are their members' mean direction
    np.testing.assert_allclose(np.linalg.norm(r.centroids, axis=1), 1.0, atol=1e-5)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = xn @ r.centroids.T
    np.testing.assert_array_equal(r.labels, cos.argmax(1))
    assert r.inertia == pytest.approx((1 - cos.max(1)).sum(), rel=1e-4)
    # Each centroid is the normalised mean direction of its members.
    for j in range(7):
        mean_dir = xn[r.labels == j].sum(0)
        np.testing.assert_allclose(r.centroids[j], mean_dir / np.linalg.norm(mean_dir), atol=1e-5)


def test_empty_cluster_is_reseeded():
    x = np.array([[0.0, 0], [0, 1], [5, 5], [5, 6], [20, 20]], dtype=np.float32)
    # The third centroid starts far from every row, so its cluster is empty after the first assignment.
    init = np.array([[0.0, 0.5], [5, 5.5], [1000, 1000]], dtype=np.float32)
    r = v2v.kmeans(x, 3, init=init, max_iter=10)
    assert sorted(np.bincount(r.labels, minlength=3).tolist()) == [1, 2, 2]
    assert np.abs(r.centroids).max() < 100


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("spherical", [False, True])
def test_same_seed_same_result_for_any_thread_count(rng, init, spherical):
    x = rng.standard_normal((2600, 30)).astype(np.float32)
    runs = [v2v.kmeans(x, 25, init=init, n_init=2, spherical=spherical, seed=11, n_threads=t) for t in (1, 2, 1)]
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].centroids, other.centroids)
        np.testing.assert_array_equal(runs[0].labels, other.labels)
        assert runs[0].inertia == other.inertia
    different = v2v.kmeans(x, 25, init=init, n_init=2, spherical=spherical, seed=12)
    assert not np.array_equal(different.centroids, runs[0].centroids)


def test_seed_from_generator_is_recorded(rng):
    x = rng.standard_normal((500, 5)).astype(np.float32)
    r = v2v.kmeans(x, 4, seed=np.random.default_rng(5))
    again = v2v.kmeans(x, 4, seed=r.seed)
    np.testing.assert_array_equal(r.centroids, again.centroids)


def test_n_init_keeps_the_best(rng):
    x = rng.standard_normal((800, 6)).astype(np.float32)
    best = v2v.kmeans(x, 15, seed=0, n_init=4)
    # Seeding i of a run is seeding 0 of no other run, so compare against the runs' own inertias via n_init=1..4.
    prefixes = [v2v.kmeans(x, 15, seed=0, n_init=i).inertia for i in range(1, 5)]
    assert best.inertia == min(prefixes) == prefixes[-1]
    assert all(a >= b for a, b in zip(prefixes, prefixes[1:]))
    assert 0 <= best.best_init < 4


@pytest.mark.parametrize("spherical", [False, True])
def test_fused_and_gathered_updates_agree(rng, spherical):
    # Small k sums centroids during the assignment pass; large k (or limit 0) gathers rows per cluster instead.
    x, _ = make_blobs(rng, 3000, 24, 9, spread=2.0)
    init = x[:9].copy()
    args = (x, 9, "array", init, 1, 20, -1.0, spherical, 0, 2)
    fused, gathered = v2v._core.kmeans(*args, 64 * 2**20), v2v._core.kmeans(*args, 0)
    np.testing.assert_allclose(fused[0], gathered[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(fused[1], gathered[1])
    if not spherical:
        c, labels, _ = numpy_lloyd(x, init, gathered[3])
        np.testing.assert_allclose(gathered[0], c, rtol=1e-4, atol=1e-4)


def test_k_equals_n_gives_zero_inertia(rng):
    x = rng.standard_normal((30, 4)).astype(np.float32)
    r = v2v.kmeans(x, 30, seed=0)
    assert r.inertia == 0.0  # distances to the winning centroid are computed directly, not by expansion
    assert sorted(r.labels.tolist()) == list(range(30))


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_more_clusters_than_distinct_rows(init):
    # k-means++ runs out of potential (every row sits on a centroid) and empty clusters cannot be filled by new rows.
    x = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32), 10, axis=0)
    r = v2v.kmeans(x, 5, init=init, seed=0)
    assert r.inertia == 0.0
    assert r.labels.min() >= 0 and r.labels.max() < 5
    np.testing.assert_array_equal(r.centroids[r.labels], x)
