"""The mini-vec2vec pipeline on the committed real pairs (MiniLM 384-d -> MPNet 768-d), small settings."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import MiniParams, fit_mini, preprocess

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"
# Sized for 800 training rows per side (the notebook's defaults assume ~26k).
SMALL = MiniParams(anchor_runs=10, refine1_iterations=30, refine1_sample=300, refine2_clusters=50)


@pytest.fixture(scope="module")
def split():
    """Disjoint training texts per side, and 400 held-out paired texts for evaluation (spec section 3)."""
    pairs = np.load(DATA)
    a, b = pairs["a"].astype(np.float32), pairs["b"].astype(np.float32)
    return a[:800], b[800:1600], a[1600:], b[1600:]


@pytest.fixture(scope="module")
def fits(split):
    """fits(t): the SMALL fit at t threads, computed on first use (the 2-thread fit is needed by a slow test only)."""
    a_train, b_train, _, _ = split
    cache = {}

    def fit(threads):
        if threads not in cache:
            cache[threads] = fit_mini(a_train, b_train, SMALL, seed=0, n_threads=threads)
        return cache[threads]

    return fit


@pytest.fixture(scope="module")
def fitted(fits):
    return fits(1)


def test_recovers_the_pairing_far_above_chance(split, fitted):
    _, _, a_eval, b_eval = split
    result = fitted
    assert result.W.shape == (384, 768)
    m = retrieval_metrics(result.map.transform(a_eval), preprocess(b_eval, result.mean_b))
    # Chance: top-1 1/400 = 0.0025, mean rank 200.5. Seeds 0-3 measured top-1 0.04-0.145, mean rank 30-95.
    assert m["top1"] > 0.025, m
    assert m["mean_rank"] < 130, m


@pytest.mark.slow  # a second full SMALL fit; test_invariants.py compares 1 and 2 threads end to end on a small fit
def test_same_seed_same_map_for_any_thread_count(fits):
    np.testing.assert_array_equal(fits(1).W, fits(2).W)


def test_report_holds_label_free_diagnostics(fitted):
    report = fitted.report
    assert len(report["qap_score_normalised"]) == SMALL.anchor_runs
    assert all(0 < s <= 1 + 1e-9 for s in report["qap_score_normalised"])
    assert len(report["refine1_objective"]) == SMALL.refine1_iterations
    assert -1 <= report["refine2_self_consistency"] <= 1
    W = fitted.W.astype(np.float64)
    assert report["orthogonality_error"] == pytest.approx(np.abs(W @ W.T - np.eye(384)).max(), rel=1e-5)
    assert set(report["seconds"]) >= {"anchors", "pseudo_pairs", "refine1", "refine2", "total"}


def test_reorthogonalize_option_gives_a_semi_orthogonal_map(split):
    a_train, b_train, _, _ = split
    params = MiniParams(anchor_runs=2, refine1_iterations=3, refine1_sample=200, refine2_clusters=20,
                        reorthogonalize=True)
    W = fit_mini(a_train, b_train, params, seed=1).W
    assert np.abs(W @ W.T - np.eye(384)).max() < 1e-4


@pytest.mark.parametrize(
    "params, match",
    [
        (MiniParams(anchor_clusters=900), "anchor_clusters=900 exceeds the smaller side's 800 rows"),
        (MiniParams(kernel="gram"), "kernel must be one of"),
        (MiniParams(qap_method="exact"), "qap_method must be one of"),
    ],
)
def test_bad_parameters(split, params, match):
    a_train, b_train, _, _ = split
    with pytest.raises(ValueError, match=match):
        fit_mini(a_train, b_train, params)


# Cheap settings for 2,000 synthetic rows: fast, and weak enough that some seeds fail, as real bad seeds do.
CHEAP = MiniParams(anchor_runs=3, anchor_subsample=1500, qap_restarts=10, refine1_iterations=10, refine1_sample=300,
                   refine2_clusters=30)


def _relative_error(W, Q):
    return float(np.linalg.norm(W - Q) / np.linalg.norm(Q))


@pytest.mark.parametrize("d_b", [12, 20])
def test_recovers_a_planted_orthogonal_map(d_b):
    from conftest import planted_pair

    x_a, x_b, Q, draw = planted_pair(np.random.default_rng(7), 12, d_b)
    result = fit_mini(x_a, x_b, CHEAP, seed=0)
    assert result.W.shape == (12, d_b)
    assert _relative_error(result.W, Q) < 0.05
    held_out = draw(300)
    cos = np.sum(result.map.transform(held_out) * preprocess(held_out @ Q, result.mean_b), axis=1)
    assert cos.mean() > 0.99


def test_seed_selection_rescues_a_failed_seed_and_is_reproducible():
    """Seed 1 alone fails on this data (measured: relative error 1.39, matching score 0.858 vs 0.975 for a good
    run); n_seeds=3 from seed 1 tries 1, 2, 3 and must keep seed 2's good map, bit for bit."""
    from conftest import planted_pair

    x_a, x_b, Q, _ = planted_pair(np.random.default_rng(7), 12, 12)
    alone = fit_mini(x_a, x_b, CHEAP, seed=1)
    assert _relative_error(alone.W, Q) > 0.5
    best = fit_mini(x_a, x_b, dataclasses.replace(CHEAP, n_seeds=3), seed=1)
    candidates = best.report["seed_selection"]["candidates"]
    assert [c["seed"] for c in candidates] == [1, 2, 3]
    assert best.seed == max(candidates, key=lambda c: c["matching_score"])["seed"]
    assert best.report["matching_score"] == max(c["matching_score"] for c in candidates)
    assert _relative_error(best.W, Q) < 0.05
    np.testing.assert_array_equal(best.W, fit_mini(x_a, x_b, CHEAP, seed=best.seed).W)


def test_beats_the_identity_baseline_by_a_wide_margin(split, fitted):
    """Identity (A's vector zero-padded to B's 768 dims, the only identity there is across dimensions) is at chance
    (measured top-5 0.0075, mean rank 195 of 400); the aligner must be far from it."""
    a_train, b_train, a_eval, b_eval = split
    result = fitted
    target = preprocess(b_eval, result.mean_b)
    identity = np.zeros_like(target)
    identity[:, :384] = preprocess(a_eval, result.mean_a)
    base = retrieval_metrics(identity, target)
    ours = retrieval_metrics(result.map.transform(a_eval), target)
    assert ours["mean_rank"] < 0.5 * base["mean_rank"], (ours, base)
    assert ours["top5"] > base["top5"] + 0.05, (ours, base)
    assert ours["mean_cos"] > base["mean_cos"] + 0.05, (ours, base)


def test_large_sides_are_fitted_on_a_sample_read_from_a_memory_map(split, tmp_path):
    a_train, b_train, _, _ = split
    np.save(tmp_path / "a.npy", a_train)
    mapped = np.load(tmp_path / "a.npy", mmap_mode="r")
    params = MiniParams(anchor_runs=2, refine1_iterations=3, refine1_sample=200, refine2_clusters=20, max_rows=500)
    from_map = fit_mini(mapped, b_train, params, seed=3)
    in_memory = fit_mini(a_train, b_train, params, seed=3)
    assert from_map.report["rows_used"] == {"a": 500, "b": 500}
    np.testing.assert_array_equal(from_map.W, in_memory.W)
    # The means are those of the sampled rows, not of all 800.
    assert not np.allclose(from_map.mean_a, a_train.mean(0), atol=1e-6)


@pytest.mark.parametrize("field, value, match", [("n_seeds", 0, r"n_seeds must be in \[1, 1000\], got 0"),
                                                      ("max_rows", 1, r"max_rows must be in \[2, \d+\], got 1")])
def test_bad_selection_parameters(split, field, value, match):
    a_train, b_train, _, _ = split
    with pytest.raises(ValueError, match=match):
        fit_mini(a_train, b_train, MiniParams(**{field: value}))


def _resident_file_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssFile:"):
                return int(line.split()[1]) * 1024
    pytest.fail("/proc/self/status has no RssFile line")


@pytest.mark.skipif(not Path("/proc/self/status").exists(),
                    reason="resident-memory accounting is read from Linux /proc")
def test_a_sampled_memory_map_does_not_become_resident(tmp_path):
    """Reading 1 row in 8 of a mapped file faults in nearly all its pages (readahead); the sampler must drop them."""
    from vec2vec_fast.mini import training_rows

    x = np.random.default_rng(0).standard_normal((160_000, 64)).astype(np.float32)  # 41 MB
    np.save(tmp_path / "x.npy", x)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    before = _resident_file_bytes()
    sample = training_rows(mapped, "X", 20_000, np.random.default_rng(1), 1)
    grown = _resident_file_bytes() - before
    assert grown < 0.2 * x.nbytes, f"{grown / 2**20:.0f} MB of the {x.nbytes / 2**20:.0f} MB file stayed resident"
    rows = np.sort(np.random.default_rng(1).choice(160_000, 20_000, replace=False))
    np.testing.assert_array_equal(sample, x[rows])
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), x)  # the file is untouched
