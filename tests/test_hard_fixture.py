"""The committed hard cross-family fixture: 2,000 real Wikipedia sentences embedded by all-MiniLM-L6-v2 (384-d) and the
Universal Sentence Encoder multilingual v3 (512-d, a different architecture, tokenizer and training set). With 1,000
and 600 unpaired rows (the issue's small input) mini-vec2vec lands at chance without a word; the default must say
that it failed. The full-size real pairs are in test_real_pairs.py."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast import Aligner, AlignmentFailedWarning

DATA = Path(__file__).parent / "data" / "minilm_use_wiki_2k"


@pytest.fixture(scope="module")
def pair():
    f = np.load(DATA.with_suffix(".npz"))
    return f["a"].astype(np.float32), f["b"].astype(np.float32)


def top1(aligner, a_eval, b_eval):
    sims = aligner.transform(a_eval) @ aligner.output_frame(b_eval).T
    return float(np.mean(np.argmax(sims, axis=1) == np.arange(len(a_eval))))


def test_fixture_is_two_real_spaces_of_the_same_sentences(pair):
    a, b = pair
    assert a.shape == (2000, 384) and b.shape == (2000, 512)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1, atol=2e-3)  # each model normalises its output
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1, atol=2e-3)
    texts = [json.loads(line) for line in DATA.with_suffix(".jsonl").read_text().splitlines()]
    assert [t["i"] for t in texts] == list(range(2000)) and all(t["ref"] for t in texts)
    # Same sentences: the two spaces' similarity structures agree (row i of both embeds sentence i) ...
    sa, sb = a[:300] @ a[:300].T, b[:300] @ b[:300].T
    iu = np.triu_indices(300, 1)
    assert np.corrcoef(sa[iu], sb[iu])[0, 1] > 0.5
    # ... and much less once the rows are shuffled.
    perm = np.random.default_rng(0).permutation(300)
    assert abs(np.corrcoef(sa[iu], (sb[perm][:, perm])[iu])[0, 1]) < 0.1


def test_the_pair_aligns_with_pairs_but_mini_fails_silently_without(pair):
    a, b = pair
    ceiling = Aligner("procrustes").fit(a[:1600], b[:1600])
    assert top1(ceiling, a[1600:], b[1600:]) > 0.95  # measured 0.9875
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # mini says nothing
        mini = Aligner("mini", seed=0).fit(a[:1000], b[1000:1600])
    assert top1(mini, a[1600:], b[1600:]) < 0.05  # measured 0.0175 (seeds 1, 2: 0.010, 0.005)


@pytest.mark.slow
def test_the_default_says_it_failed(pair):
    a, b = pair
    with pytest.warns(AlignmentFailedWarning):
        aligner = Aligner(seed=0).fit(a[:1000], b[1000:1600])
    assert aligner.report_["status"] == "failed"
    assert aligner.report_["confidence"]["score"] < 0.01  # measured 0.0087
    assert top1(aligner, a[1600:], b[1600:]) < 0.1  # what it would have given (measured 0.0275)
