"""method="mini-ot": mini-vec2vec refined by optimal transport, with a label-free confidence that flags a failed fit."""

import warnings

import numpy as np
import pytest

from conftest import planted_pair
from vec2vec_fast import Aligner
from vec2vec_fast.errors import AlignmentFailedWarning

SMALL = {"anchor_runs": 3, "anchor_subsample": 1500, "refine1_iterations": 10, "refine1_sample": 300,
         "refine2_clusters": 30, "ot_rows": 800, "ot_rounds": 3, "holdout": 300}


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(11)
    a, b, Q, draw = planted_pair(rng, 12, 20, n=2000, clusters=30)
    return a, b, Q, draw


@pytest.fixture(scope="module")
def fitted(planted):
    a, b, _, _ = planted
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlignmentFailedWarning)  # a planted map must not be flagged
        return Aligner("mini-ot", seed=2, n_seeds=3, **SMALL).fit(a, b)


def test_recovers_a_planted_map_and_is_confident(planted, fitted):
    _, _, Q, _ = planted
    W = fitted.W_
    assert np.linalg.norm(W - Q) / np.linalg.norm(Q) < 0.05
    assert fitted.report_["status"] == "ok"
    assert fitted.report_["confidence"]["structure_gain"] >= 0.02
    assert len(fitted.report_["ot_refinement"]) == 3 and fitted.report_["confidence"]["rows"] == [300, 300]


def test_noise_instead_of_b_is_flagged(planted):
    a, b, _, _ = planted
    rng = np.random.default_rng(5)
    noise = rng.multivariate_normal(b.mean(0), np.cov(b.astype(np.float64), rowvar=False), size=len(b))
    with pytest.warns(AlignmentFailedWarning, match="did not find B's structure"):
        aligner = Aligner("mini-ot", seed=2, **SMALL).fit(a, noise.astype(np.float32))
    assert aligner.report_["status"] == "failed"
    assert aligner.report_["confidence"]["structure_gain"] < 0.01


def test_same_bits_for_any_thread_count_and_after_save(tmp_path, planted, fitted):
    a, b, _, _ = planted
    one = Aligner("mini-ot", seed=2, n_seeds=3, n_threads=1, **SMALL).fit(a, b)
    np.testing.assert_array_equal(one.W_, fitted.W_)
    loaded = Aligner.load(fitted.save(tmp_path / "m.npz"))
    np.testing.assert_array_equal(loaded.transform(a[:50]), fitted.transform(a[:50]))
    assert loaded.report_["status"] == "ok" and loaded.get_params()["ot_eps"] == 0.03


@pytest.mark.parametrize("params, error, match", [
    ({"ot_eps": 0.0}, ValueError, r"ot_eps must be > 0"),
    ({"ot_rows": 1}, ValueError, r"ot_rows must be in \[2, 40000\]"),
    ({"holdout": -1}, ValueError, "holdout must be in"),
])
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        Aligner("mini-ot", **params)
