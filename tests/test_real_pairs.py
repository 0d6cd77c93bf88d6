"""mini-ot on the two full-size real cross-family pairs of ../shared/data, with the papers' protocol: disjoint
training halves, held-out true pairs. CI runs with ../shared beside the checkout; elsewhere these tests skip and say
why.

- MiniLM -> the Universal Sentence Encoder (Wikipedia, 384 -> 512; 13,977 unpaired rows a side, 8,192 eval pairs):
  the default, whose first candidates agree there, so the fit does not explore (228 s beside another fit, 2 cores).
- MiniLM -> multilingual-e5-small (384 -> 384; 7,952 rows a side, 4,096 eval pairs): the first candidates agree only
  in part, so the fit explores. The default explores for 2,000 s and more on a loaded machine, too long for CI, so the
  test fits it with fewer anchor runs and candidates; the default's numbers on this pair come from
  benchmarks/bench_quality.py (README, "Robustness on cross-family pairs")."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast import Aligner, AlignmentFailedWarning

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PAIR, EXPLORING_PAIR = DATA / "minilm_use_wiki", DATA / "minilm_e5small_wiki"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (PAIR / "A.npy").exists() or not (EXPLORING_PAIR / "A.npy").exists(),
                                 reason=f"needs the real pairs in {DATA}")]
# Cheaper than the default, still exploring: the first candidates with 30 anchor runs (not 300) and no quick pair, up
# to three candidates, no reverse or stochastic ones, 4 polish rounds (not 16), two bags, a chain of two. With four
# candidates and 8 rounds the test took 276 s beside another fit (top-1 0.908); this way, 150 s for the fit.
EXPLORING_CHEAPLY = {"quick_anchor_runs": 0, "anchor_runs": 30, "explore_candidates": 3, "reverse_candidates": 0,
                     "stochastic_candidates": 0, "polish_rounds": 4, "polish_bags": 2, "polish_chain": 2}


def split(pair: Path, eval_rows: int):
    """../shared/data's split: the last ``eval_rows`` rows are the eval pairs, A trains on the first half of the rest
    and B on the second."""
    a, b = np.load(pair / "A.npy").astype(np.float32), np.load(pair / "B.npy").astype(np.float32)
    n = len(a)
    h = (n - eval_rows) // 2
    return a[:h], b[h:2 * h], a[n - eval_rows:], b[n - eval_rows:]


@pytest.fixture(scope="module")
def protocol():
    return split(PAIR, 8192)  # 8,192 eval rows at 3 x 8,192 rows or more (this pair has 36,146)


@pytest.fixture(scope="module")
def exploring_protocol():
    return split(EXPLORING_PAIR, 4096)  # 4,096 below that (this pair has 20,000)


def top1(aligner, a_eval, b_eval):
    hits = 0
    target = aligner.output_frame(b_eval)
    for i in range(0, len(a_eval), 1024):
        sims = aligner.transform(a_eval[i:i + 1024]) @ target.T
        hits += int(np.sum(np.argmax(sims, axis=1) == np.arange(i, i + len(sims))))
    return hits / len(a_eval)


def test_the_default_beats_mini_by_far_and_vouches_for_its_map(protocol):
    a_train, b_train, a_eval, b_eval = protocol
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlignmentFailedWarning)
        aligner = Aligner(seed=0).fit(a_train, b_train)
    mini = Aligner("mini", seed=0).fit(a_train, b_train)
    # Measured (this split, seed 0, stop 50): mini-ot 0.892 (ok, score 0.092; 228 s beside another fit), mini 0.768,
    # the supervised ceiling 0.945.
    assert top1(aligner, a_eval, b_eval) > 0.86
    assert top1(mini, a_eval, b_eval) < 0.80
    assert aligner.report_["status"] == "ok" and aligner.report_["confidence"]["score"] > 0.04


def test_b_replaced_by_noise_of_its_mean_and_covariance_is_flagged(protocol):
    a_train, b_train, _, _ = protocol
    b64 = b_train.astype(np.float64)
    noise = np.random.default_rng(0).multivariate_normal(b64.mean(0), np.cov(b64, rowvar=False), size=len(b64))
    with pytest.warns(AlignmentFailedWarning):
        aligner = Aligner(seed=0).fit(a_train, noise.astype(np.float32))
    assert aligner.report_["status"] == "failed"  # measured: score 0.0001 (440 s beside another fit)


def test_an_exploring_fit_keeps_the_polish_that_ends_highest(exploring_protocol):
    a_train, b_train, a_eval, b_eval = exploring_protocol
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlignmentFailedWarning)
        aligner = Aligner(seed=0, **EXPLORING_CHEAPLY).fit(a_train, b_train)
    report = aligner.report_
    exploration = report["exploration"]
    # Measured (seed 0, stop 51): the first two agree at 0.816, so a third candidate is fitted; all three agree with
    # the best-scored one and are polished (objectives 0.3308, 0.3285, 0.3285), and the first is kept.
    assert exploration["agreement"] < 0.95 and len(report["candidates"]) == 3
    polished = [p for p in exploration["polished"] if p["applied"]]
    assert len(polished) >= 2
    best = max(polished, key=lambda p: p["objective"])
    assert exploration["kept_seed"] == best["seed"] == report["chosen_mini_seed"]
    assert report["polish"]["bags"]["count"] == 2  # the kept polish, bagged over a second fold order
    assert report["status"] == "ok"
    mini = Aligner("mini", seed=0).fit(a_train, b_train)
    # Measured: 0.888 (the default: 0.925 on this seed), mini 0.758 (this seed), the ceiling 0.988.
    assert top1(aligner, a_eval, b_eval) > 0.86
    assert top1(aligner, a_eval, b_eval) > top1(mini, a_eval, b_eval) + 0.05
