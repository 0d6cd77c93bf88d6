"""retrieval_metrics against a direct computation of the spec's definition (section 1.8)."""

import numpy as np
import pytest

from vec2vec_fast.metrics import retrieval_metrics


def reference(pred, target, block):
    """Dense per block, as the reference notebook computes it."""
    ranks, cos = [], []
    for b0 in range(0, len(pred), block):
        p = pred[b0 : b0 + block].astype(np.float64)
        t = target[b0 : b0 + block].astype(np.float64)
        p /= np.linalg.norm(p, axis=1, keepdims=True)
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        s = p @ t.T
        diag = np.diag(s)
        ranks.append(1 + (s > diag[:, None] + 1e-6).sum(1))
        cos.append(diag)
    ranks, cos = np.concatenate(ranks), np.concatenate(cos)
    return {"top1": np.mean(ranks == 1), "top5": np.mean(ranks <= 5), "mean_rank": ranks.mean(),
            "mean_cos": cos.mean()}


@pytest.mark.parametrize("n, block", [(50, 8192), (3000, 1000), (2500, 700)])
def test_matches_the_dense_definition(rng, n, block):
    target = rng.standard_normal((n, 16)).astype(np.float32)
    pred = (target + 1.2 * rng.standard_normal((n, 16))).astype(np.float32)  # noisy: ranks spread out
    got = retrieval_metrics(pred, target, block=block)
    ref = reference(pred, target, block)
    assert got["n"] == n
    assert 0 < got["top1"] < 1 and got["mean_rank"] > 1
    for key in ("top1", "top5", "mean_rank", "mean_cos"):
        assert got[key] == pytest.approx(ref[key], rel=1e-3), key


def test_perfect_and_reversed_translations(rng):
    target = rng.standard_normal((200, 8)).astype(np.float32)
    perfect = retrieval_metrics(3.0 * target, target)  # scale does not matter: cosine
    assert perfect == {"top1": 1.0, "top5": 1.0, "mean_rank": 1.0, "mean_cos": pytest.approx(1.0), "n": 200}
    shuffled = retrieval_metrics(target[::-1], target)
    assert shuffled["top1"] < 0.05 and shuffled["mean_rank"] > 50


def test_rank_is_per_block():
    # Two blocks of two pairs: each query only competes with the targets of its own block.
    target = np.array([[1, 0], [0, 1], [1, 0.01], [0.01, 1]], dtype=np.float32)
    pred = target.copy()
    assert retrieval_metrics(pred, target, block=2)["top1"] == 1.0
    assert retrieval_metrics(pred, target, block=4)["top1"] == 1.0
    confusable = np.array([[1, 0.001]], dtype=np.float32).repeat(4, 0)
    assert retrieval_metrics(confusable, target, block=4)["mean_rank"] > 1.0


@pytest.mark.parametrize(
    "pred, target, kwargs, match",
    [
        (np.ones((3, 2)), np.ones((4, 2)), {}, "pred has 3 rows but target has 4"),
        (np.ones((3, 2)), np.ones((3, 5)), {}, "pred has 2 columns but target has 5"),
        (np.ones((3, 2)), np.ones((3, 2)), {"block": 0}, r"block=0 must be >= 1"),
        (np.full((3, 2), np.nan), np.ones((3, 2)), {}, "pred contains a non-finite value nan"),
    ],
)
def test_bad_input(pred, target, kwargs, match):
    with pytest.raises(ValueError, match=match):
        retrieval_metrics(pred, target, **kwargs)
