"""mini's pseudo-pair search in relative space, exact (the notebook's) and bilinear (the same neighbours without the
n x anchors relative representations), and the anchor-run defaults of mini-ot's candidates."""

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast import Aligner
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.knn import knn_mean
from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import MiniParams, _bilinear_relative_knn_mean, fit_mini, preprocess

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"


def exact(a, b, unit_a, unit_b, k):
    """The notebook's form: cosine neighbours of the rows' relative representations."""
    return knn_mean(a @ unit_a.T, b @ unit_b.T, k, values=b, metric="cosine", n_threads=1)


def random_case(rng, n_a=300, n_b=400, d_a=12, d_b=16, anchors=60):
    a, b = rng.standard_normal((n_a, d_a)).astype(np.float32), rng.standard_normal((n_b, d_b)).astype(np.float32)
    unit_a = unit_rows(rng.standard_normal((anchors, d_a)).astype(np.float32))
    unit_b = unit_rows(rng.standard_normal((anchors, d_b)).astype(np.float32))
    return a, b, unit_a, unit_b


@pytest.mark.parametrize("k", [1, 7, 50])
def test_bilinear_search_finds_the_exact_neighbours(k):
    a, b, unit_a, unit_b = random_case(np.random.default_rng(k))
    got = _bilinear_relative_knn_mean(a, b, unit_a, unit_b, k, 2)
    np.testing.assert_allclose(got, exact(a, b, unit_a, unit_b, k), atol=1e-5)


def test_bilinear_search_scores_a_row_orthogonal_to_every_anchor_as_the_exact_one_does():
    """Anchors spanning only the first 8 of B's 16 dimensions: B rows in the other 8 have no relative
    representation. The exact cosine compares them as zero vectors (score 0, below any positive match); so must the
    bilinear form, without dividing by their zero norm."""
    rng = np.random.default_rng(5)
    a, b, unit_a, unit_b = random_case(rng)
    unit_b[:, 8:] = 0.0
    unit_b = unit_rows(unit_b)
    b[:40, :8] = 0.0
    with np.errstate(all="raise"):
        got = _bilinear_relative_knn_mean(a, b, unit_a, unit_b, 5, 1)
    np.testing.assert_allclose(got, exact(a, b, unit_a, unit_b, 5), atol=1e-5)


def test_bilinear_search_memory_does_not_grow_with_the_anchors():
    """4,000 anchors a side: the relative representations of 3,000 rows a side take 48 MB each; the bilinear form
    holds d x d products and one copy of B."""
    a, b, unit_a, unit_b = random_case(np.random.default_rng(2), n_a=3000, n_b=3000, anchors=4000)
    tracemalloc.start()
    try:
        _bilinear_relative_knn_mean(a, b, unit_a, unit_b, 10, 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, peak


def test_fit_mini_with_the_bilinear_search_finds_the_exact_fits_map():
    pairs = np.load(DATA)
    a, b = pairs["a"].astype(np.float32), pairs["b"].astype(np.float32)
    params = MiniParams(anchor_runs=10, refine1_iterations=30, refine1_sample=300, refine2_clusters=50)
    fits = [fit_mini(a[:800], b[800:1600], MiniParams(**{**params.__dict__, "relative_search": form}), seed=0,
                     n_threads=1) for form in ("exact", "bilinear")]
    mapped = [unit_rows(fit.map.transform(a[1600:])) for fit in fits]
    assert float(np.mean(np.sum(mapped[0] * mapped[1], axis=1))) > 0.999
    tops = [retrieval_metrics(m, preprocess(b[1600:], fits[0].mean_b))["top1"] for m in mapped]
    assert abs(tops[0] - tops[1]) <= 0.005, tops


def test_mini_keeps_the_notebook_defaults_and_mini_ot_candidates_run_300_rough_bilinear_anchor_runs(monkeypatch):
    from vec2vec_fast.methods import mini_ot

    assert (MiniParams().anchor_runs, MiniParams().anchor_kmeans_iter, MiniParams().relative_search) == (30, 300,
                                                                                                         "exact")
    assert Aligner("mini").get_params()["anchor_runs"] == 30
    seen = []

    class Stop(Exception):
        pass

    def recording_fit(a_fit, b_fit, params, **kw):
        seen.append((params.anchor_runs, params.anchor_kmeans_iter, params.relative_search))
        raise Stop

    monkeypatch.setattr(mini_ot, "fit_mini", recording_fit)
    x = np.random.default_rng(0).standard_normal((200, 8)).astype(np.float32)
    notebook = {"anchor_runs": 30, "anchor_kmeans_iter": 300, "relative_search": "exact"}
    # The default's first fit is a quick candidate (30 rough runs, set aside unless the quick pair agrees); without
    # the quick step the first is a 300-run one; with the notebook's 30 runs there is no quicker step to try.
    for params, expected in (({}, (30, 20, "bilinear")), ({"quick_anchor_runs": 0}, (300, 20, "bilinear")),
                             (notebook, (30, 300, "exact"))):
        with pytest.raises(Stop):
            Aligner(**params).fit(x, x)
        assert seen.pop() == expected


def test_anchor_kmeans_iter_caps_every_anchor_run_and_nothing_else(monkeypatch):
    from vec2vec_fast import mini

    kmeans, seen = mini.kmeans, []

    def recording_kmeans(x, k, **kw):
        result = kmeans(x, k, **kw)
        seen.append((k, kw.get("max_iter", 300), result.n_iter))
        return result

    monkeypatch.setattr(mini, "kmeans", recording_kmeans)
    pairs = np.load(DATA)
    a, b = pairs["a"][:600].astype(np.float32), pairs["b"][600:1200].astype(np.float32)
    fit_mini(a, b, MiniParams(anchor_runs=3, anchor_kmeans_iter=2, refine1_iterations=2, refine1_sample=100,
                              refine2_clusters=10), seed=0, n_threads=1)
    anchors, refine2 = seen[:6], seen[6:]
    assert [(k, cap) for k, cap, _ in anchors] == [(20, 2)] * 6 and all(n <= 2 for _, _, n in anchors)
    assert [(k, cap) for k, cap, _ in refine2] == [(10, 300), (10, 300)]
