"""The committed real-pairs fixture is what it claims to be: paired rows of two real embedding spaces."""

from pathlib import Path

import numpy as np

import vec2vec_fast as v2v

DATA = Path(__file__).parent / "data"


def test_fixture_rows_are_paired_across_two_real_spaces():
    pairs = np.load(DATA / "minilm_mpnet_wordnet_2k.npz")
    a, b = pairs["a"].astype(np.float32), pairs["b"].astype(np.float32)
    sentences = (DATA / "minilm_mpnet_wordnet_2k.txt").read_text().splitlines()
    assert a.shape == (2000, 384) and b.shape == (2000, 768) and len(sentences) == 2000
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1, atol=1e-2)
    # A supervised map fitted on half the pairs finds the true partner of most held-out rows; with the rows of B
    # shuffled it would find almost none. This is the signal every aligner in this library has to recover.
    a_c, b_c = a - a[:1000].mean(0), b - b[:1000].mean(0)
    W = v2v.procrustes(a_c[:1000], b_c[:1000])
    idx, _ = v2v.knn(a_c[1000:] @ W, b_c[1000:], 1, metric="cosine")
    top1 = np.mean(idx[:, 0] == np.arange(1000))
    assert top1 > 0.9, top1
