"""A prepared search target equals the one-shot search bit for bit; the pseudo-inverse is computed once per map;
n_threads=None follows the OpenMP limit in force (threadpoolctl, OMP_NUM_THREADS), as scikit-learn does."""

import os
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from vec2vec_fast import Aligner
from vec2vec_fast._validation import resolve_n_threads
from vec2vec_fast.knn import PreparedTarget, knn_mean


@pytest.mark.parametrize("metric", ["cosine", "ip"])
@pytest.mark.parametrize("scale", [1.0, 1e-30, 1e30])
def test_prepared_target_equals_knn_mean(rng, metric, scale):
    base = (rng.standard_normal((700, 24)) * scale).astype(np.float32)
    base[::7] *= np.float32(1e-3)  # rows of different scales
    queries = rng.standard_normal((130, 24)).astype(np.float32)
    target = PreparedTarget(base, metric=metric, n_threads=2)
    for k in (1, 5, 50):
        np.testing.assert_array_equal(target.knn_mean(queries, k), knn_mean(queries, base, k, metric=metric))
    np.testing.assert_array_equal(target.knn_mean(queries * np.float32(1e25), 3),
                                  knn_mean(queries * np.float32(1e25), base, 3, metric=metric))


def test_well_scaled_queries_are_searched_as_given(rng):
    """Refine-1's queries (mapped unit rows) must reach the search unchanged, as knn_mean passes them: rescaling them
    changes float32 near-ties, and the map drifts from the published pipeline's after tens of iterations."""
    target = PreparedTarget(rng.standard_normal((50, 8)).astype(np.float32))
    q = rng.standard_normal((20, 8)).astype(np.float32) * np.float32(0.2)
    assert target.scaled_queries(q) is q
    far = q.copy()
    far[0] *= np.float32(1e-9)  # rows 2**30 apart: normalised, as knn_mean's validation does
    assert target.scaled_queries(far) is not far


def test_refine_loop_equals_the_one_shot_search(rng):
    """Blended Procrustes steps, each searching with both paths: the same bits every step."""
    from vec2vec_fast._numerics import preprocess
    from vec2vec_fast.procrustes import procrustes

    data = np.load(Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz")
    a = preprocess(data["a"][:1000].astype(np.float32), data["a"][:1000].astype(np.float32).mean(0))
    b = preprocess(data["b"][1000:].astype(np.float32), data["b"][1000:].astype(np.float32).mean(0))
    W = np.linalg.qr(rng.standard_normal((768, 768)))[0][:384].astype(np.float32)
    target = PreparedTarget(b, n_threads=2)
    for _ in range(25):
        sample = a[rng.choice(len(a), 300, replace=False)]
        mapped = sample @ W
        one_shot = knn_mean(mapped, b, 20, metric="cosine", n_threads=2)
        np.testing.assert_array_equal(target.knn_mean(mapped, 20), one_shot)
        W = (0.5 * W + 0.5 * procrustes(sample, one_shot, n_threads=2)).astype(np.float32)


def test_prepared_target_validates_the_base_once(rng):
    with pytest.raises(ValueError, match="non-finite value nan at row 3"):
        bad = rng.standard_normal((10, 4)).astype(np.float32)
        bad[3, 1] = np.nan
        PreparedTarget(bad)
    with pytest.raises(ValueError, match="metric must be one of"):
        PreparedTarget(np.ones((3, 2), np.float32), metric="l2")
    target = PreparedTarget(np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="k=4 must be in"):
        target.knn_mean(np.ones((2, 2), np.float32), 4)


def test_pseudo_inverse_is_computed_once(rng):
    a = rng.standard_normal((200, 8)).astype(np.float32)
    b = rng.standard_normal((200, 12)).astype(np.float32)
    aligner = Aligner("procrustes").fit(a, b)
    first = aligner.map_.pseudo_inverse
    aligner.inverse_transform(b[:5])
    assert aligner.map_.pseudo_inverse is first
    np.testing.assert_allclose(first, np.linalg.pinv(aligner.W_.astype(np.float64)), atol=1e-6)


def test_n_threads_none_follows_threadpoolctl_and_the_environment(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert 1 <= resolve_n_threads(None) <= cores
    with threadpool_limits(limits=1, user_api="openmp"):
        assert resolve_n_threads(None) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert resolve_n_threads(None) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "4096")
    assert resolve_n_threads(None) <= cores, "capped at the usable cores"
    assert resolve_n_threads(-1) == cores
