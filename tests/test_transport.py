"""The transport refinement's Procrustes step (vec2vec_fast.transport): the ridge-whitened polar factor, and rounds
that recover a planted rotation with the same bits at any thread count."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import make_blobs
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.procrustes import procrustes
from vec2vec_fast.transport import _ridge_whitened, ot_refine, sinkhorn_targets


def random_rotation(rng, d):
    return np.linalg.qr(rng.standard_normal((d, d)))[0]


def test_whitened_polar_factor_undoes_target_smoothing():
    # Targets smoothed on the B side (T = X W* M, M symmetric positive, as a plan's barycentres are) pull the plain
    # polar factor off W* when A's variances differ; the polar factor of the regression of T on X is W* itself.
    rng = np.random.default_rng(0)
    d = 16
    x = rng.standard_normal((4000, d)) * np.geomspace(0.1, 3.0, d)
    W_true = random_rotation(rng, d)
    Q = random_rotation(rng, d)
    M = Q @ np.diag(np.linspace(0.2, 1.0, d)) @ Q.T
    targets = (x @ W_true @ M).astype(np.float32)
    x = x.astype(np.float32)
    plain = procrustes(x, targets)
    whitened = procrustes(_ridge_whitened(x, 1e-9), targets)
    assert np.linalg.norm(plain - W_true) > 0.1
    assert np.linalg.norm(whitened - W_true) < 1e-3


def planted_rotation():
    """(x, z, start, W_true): 1,500 unit rows of 40 blobs in 24 dimensions, the same points rotated by W_true and
    shuffled (the plan must find the pairs), and a start well away from the truth: W_true composed with the Cayley
    rotation (I - S)⁻¹ (I + S) of a small skew S. float32."""
    rng = np.random.default_rng(1)
    d, n = 24, 1500
    x, _ = make_blobs(rng, n, d, 40, spread=1.0)
    x = x.astype(np.float64) / np.linalg.norm(x, axis=1, keepdims=True)
    W_true = random_rotation(rng, d)
    z = (x @ W_true)[rng.permutation(n)]
    skew = rng.standard_normal((d, d)) * 0.05
    skew -= skew.T
    start = (np.linalg.solve(np.eye(d) - skew, np.eye(d) + skew) @ W_true).astype(np.float32)
    return x.astype(np.float32), z.astype(np.float32), start, W_true


def test_ridge_rounds_recover_a_planted_rotation_with_the_same_bits_at_any_thread_count():
    x32, z32, start, W_true = planted_rotation()
    kw = dict(eps=0.03, max_rounds=8, sweeps=10, tol=-1.0, ridge=1.0)
    W2, history = ot_refine(x32, z32, start, n_threads=2, **kw)
    W1, _ = ot_refine(x32, z32, start, n_threads=1, **kw)
    np.testing.assert_array_equal(W1, W2)
    assert len(history) == 8
    assert np.linalg.norm(start - W_true) > 1.0
    assert np.linalg.norm(W2 - W_true) < 0.1


def test_rounds_wait_for_min_rounds_before_the_stopping_rule():
    rng = np.random.default_rng(2)
    x, _ = make_blobs(rng, 600, 12, 10, spread=1.0)
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    z = x @ random_rotation(rng, 12).astype(np.float32)
    kw = dict(eps=0.03, max_rounds=20, sweeps=5, tol=1.0, n_threads=1)  # no round can gain 1.0: stop at the minimum
    assert len(ot_refine(x, z, np.eye(12, dtype=np.float32), **kw)[1]) == 4
    assert len(ot_refine(x, z, np.eye(12, dtype=np.float32), min_rounds=7, **kw)[1]) == 7
    assert len(ot_refine(x, z, np.eye(12, dtype=np.float32), min_rounds=30, **kw)[1]) == 20  # max_rounds caps it


def polar(m):
    u, _, vt = np.linalg.svd(m, full_matrices=False)
    return u @ vt


def reference_rounds(x, z, start, *, folds, rounds, momentum, eps):
    """Cross-fitted ridge-whitened rounds in plain numpy: row i is in fold i % folds. The first round places every
    row with the start map; later rounds place fold k's rows with the polar factor of the other folds' (extrapolated)
    cross-covariance (one fold: all rows with the map); the map is that of all rows. Momentum extrapolates each
    fold's cross-covariance by that share of its change since the previous round."""
    fold = np.arange(len(x)) % folds
    x_fit = _ridge_whitened(x, 1.0).astype(np.float64)
    maps, v, previous = [start.astype(np.float64)] * folds, np.ones(len(z)), None
    with ThreadPoolExecutor(1) as pool:
        for _ in range(rounds):
            mapped = np.empty((len(x), x.shape[1]), np.float32)
            for k in range(folds):
                mapped[fold == k] = unit_rows((x[fold == k] @ maps[k]).astype(np.float32))
            order = np.argsort(fold, kind="stable")  # sinkhorn's warm start v belongs to z: row order of x is free
            targets = np.empty_like(mapped)
            targets[order], v, _ = sinkhorn_targets(pool, mapped[order], z, eps, 10, v)
            parts = [x_fit[fold == k].T @ targets[fold == k].astype(np.float64) for k in range(folds)]
            used = parts if previous is None else [p + momentum * (p - q) for p, q in zip(parts, previous)]
            previous = parts
            maps = [polar(sum(used) - part) for part in used] if folds > 1 else [polar(sum(used))]
    return polar(sum(used))


def two_clouds(seed):
    """Unit rows of two clustered clouds in 10 dimensions, the second rotated, and a random start map."""
    rng = np.random.default_rng(seed)
    x, _ = make_blobs(rng, 900, 10, 12, spread=1.0)
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    z = (make_blobs(rng, 900, 10, 12, spread=1.0)[0] @ random_rotation(rng, 10)).astype(np.float32)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    return x, z, random_rotation(rng, 10).astype(np.float32)


def test_cross_fitted_rounds_place_each_fold_by_the_map_of_the_other_folds():
    x, z, start = two_clouds(3)
    kw = dict(eps=0.05, max_rounds=2, sweeps=10, tol=-1.0, ridge=1.0)
    W, history = ot_refine(x, z, start, n_threads=2, folds=3, **kw)
    expected = reference_rounds(x, z, start, folds=3, rounds=2, momentum=0.0, eps=0.05)
    np.testing.assert_allclose(W, expected, atol=2e-4)
    plain, _ = ot_refine(x, z, start, n_threads=2, **kw)
    assert np.abs(plain - W).max() > 2e-3  # 10x the tolerance above: the test tells cross-fitted from plain rounds
    assert len(history) == 2
    W1, _ = ot_refine(x, z, start, n_threads=1, folds=3, **kw)
    np.testing.assert_array_equal(W1, W)  # the same bits at any thread count
    np.testing.assert_array_equal(ot_refine(x, z, start, n_threads=2, folds=1, **kw)[0], plain)


def test_a_fold_seed_deals_the_rows_into_other_folds():
    from vec2vec_fast.transport import _folds

    order, slices = _folds(10, 3)
    assert [order[s].tolist() for s in slices] == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]  # round-robin
    order, slices = _folds(10, 3, (1, 9, 1))
    folds = [sorted(order[s].tolist()) for s in slices]
    assert sorted(sum(folds, [])) == list(range(10)) and [len(f) for f in folds] == [4, 3, 3]
    assert folds != [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
    np.testing.assert_array_equal(_folds(10, 3, (1, 9, 1))[0], order)  # seeded
    x, z, start = two_clouds(3)
    kw = dict(eps=0.05, max_rounds=2, sweeps=10, tol=-1.0, ridge=1.0, folds=3)
    # A fold seed is a permutation of the rows under round-robin folds.
    perm = np.random.default_rng(5).permutation(len(x))
    seeded = ot_refine(x, z, start, n_threads=2, fold_seed=5, **kw)[0]
    np.testing.assert_allclose(seeded, ot_refine(x[perm], z, start, n_threads=2, **kw)[0], atol=1e-5)
    assert np.abs(seeded - ot_refine(x, z, start, n_threads=2, **kw)[0]).max() > 1e-3
    np.testing.assert_array_equal(ot_refine(x, z, start, n_threads=1, fold_seed=5, **kw)[0], seeded)


def test_momentum_extrapolates_each_folds_cross_covariance():
    x, z, start = two_clouds(4)
    kw = dict(eps=0.05, max_rounds=3, sweeps=10, tol=-1.0, ridge=1.0)
    W, history = ot_refine(x, z, start, n_threads=2, folds=3, momentum=0.5, **kw)
    expected = reference_rounds(x, z, start, folds=3, rounds=3, momentum=0.5, eps=0.05)
    np.testing.assert_allclose(W, expected, atol=2e-4)
    without = ot_refine(x, z, start, n_threads=2, folds=3, **kw)[0]
    assert np.abs(without - W).max() > 2e-3  # 10x the tolerance: the test tells momentum from none
    np.testing.assert_array_equal(ot_refine(x, z, start, n_threads=1, folds=3, momentum=0.5, **kw)[0], W)
    # Plain rounds take it too (one fold): round 3's map is the polar factor of the extrapolated cross-covariance.
    plain = ot_refine(x, z, start, n_threads=2, momentum=0.5, **kw)[0]
    np.testing.assert_allclose(plain, reference_rounds(x, z, start, folds=1, rounds=3, momentum=0.5, eps=0.05),
                               atol=2e-4)


def test_a_thinned_kernel_keeps_each_entry_with_the_given_share_drawn_from_its_seed():
    from vec2vec_fast.transport import BLOCK_ROWS, _Kernel

    rng = np.random.default_rng(5)
    mapped = unit_rows(rng.standard_normal((BLOCK_ROWS + 300, 8)).astype(np.float32))  # two blocks
    z = unit_rows(rng.standard_normal((900, 8)).astype(np.float32))

    def kernel(workers, keep, seed):
        with ThreadPoolExecutor(workers) as pool:
            return np.concatenate(_Kernel(pool, mapped, z, 0.5, keep, seed).parts)

    full = kernel(1, 1.0, None)
    thinned = kernel(1, 0.3, (7,))
    kept = thinned > 0
    assert np.all(full > 0) and abs(kept.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(thinned[kept], full[kept])  # kept entries are the kernel's own
    np.testing.assert_array_equal(kernel(2, 0.3, (7,)), thinned)  # the same mask at any thread count
    assert np.mean((kernel(1, 0.3, (8,)) > 0) == kept) < 0.7  # another seed, another mask
    # Each row's mask is its own: the second block does not repeat the first.
    assert np.mean(kept[:300] == kept[BLOCK_ROWS:]) < 0.7


def escape_problem():
    """A planted 32-d rotation and a start that holds it only in part (the polar factor of 0.2 Q + 0.8 R, R a random
    rotation: top-1 0.002), from which the plain rounds stop at a wrong fixed point (measured: top-1 0.047)."""
    from conftest import planted_mixture

    rng = np.random.default_rng(4)
    draw, Q = planted_mixture(rng, 32, 32, spread=1.0)
    a, b, a_eval = draw(3000), draw(3000) @ Q, draw(1000)
    x, z = unit_rows(a - a.mean(0)), unit_rows(b - b.mean(0))
    R = random_rotation(np.random.default_rng(100), 32)
    u, _, vt = np.linalg.svd(0.2 * Q + 0.8 * R)
    return x, z, (u @ vt).astype(np.float32), a_eval - a.mean(0), a_eval @ Q - b.mean(0)


def paired_top1(W, a, b):
    return float(np.mean(np.argmax(unit_rows(a @ W) @ unit_rows(b).T, axis=1) == np.arange(len(a))))


def test_stochastic_rounds_leave_a_wrong_fixed_point_that_plain_rounds_stop_at():
    from vec2vec_fast.transport import stochastic_refine

    x, z, start, a_eval, b_eval = escape_problem()
    plain = ot_refine(x, z, start, eps=0.03, max_rounds=12, sweeps=10, tol=1e-4, n_threads=1)[0]
    W, history = stochastic_refine(x, z, start, eps=0.03, stage_rounds=30, keep=0.1, sweeps=10, seed=(1,),
                                   n_threads=1)
    W = ot_refine(x, z, W, eps=0.03, max_rounds=12, sweeps=10, tol=1e-4, n_threads=1)[0]
    assert paired_top1(start, a_eval, b_eval) < 0.05 and paired_top1(plain, a_eval, b_eval) < 0.2
    assert paired_top1(W, a_eval, b_eval) > 0.8
    # One record per share kept, doubling from 0.1 and stopping below 1 (the plain rounds are the last stage).
    assert [h["keep"] for h in history] == [0.1, 0.2, 0.4, 0.8]


def test_stochastic_rounds_have_the_same_bits_at_any_thread_count_and_follow_their_seed():
    from vec2vec_fast.transport import stochastic_refine

    x, z, start, _, _ = escape_problem()
    x, z = x[:800], z[:800]

    def run(seed, threads, keep=0.25):
        return stochastic_refine(x, z, start, eps=0.03, stage_rounds=3, keep=keep, sweeps=10, seed=seed,
                                 n_threads=threads)

    W1, history = run((2,), 1)
    np.testing.assert_array_equal(run((2,), 2)[0], W1)
    assert not np.array_equal(run((3,), 1)[0], W1)
    assert [h["keep"] for h in history] == [0.25, 0.5]
    # Nothing to thin: the start comes back untouched.
    W_same, none = run((2,), 1, keep=1.0)
    assert none == [] and np.array_equal(W_same, start)


def test_one_group_is_the_plain_plan_bit_for_bit():
    from vec2vec_fast.transport import grouped_targets

    x, z, start = two_clouds(6)
    mapped = unit_rows(x @ start)
    with ThreadPoolExecutor(2) as pool:
        plain = sinkhorn_targets(pool, mapped, z, 0.05, 10, np.ones(len(z)))
        one = grouped_targets(pool, mapped, z, 0.05, 10, np.ones(len(z)), 1, (3, 1))
    np.testing.assert_array_equal(one[0], plain[0])
    np.testing.assert_array_equal(one[1], plain[1])
    assert one[2] == plain[2]
    kw = dict(eps=0.05, max_rounds=3, sweeps=10, tol=-1.0, ridge=1.0, folds=3, momentum=0.5, n_threads=2)
    # group_rows at least the larger side's rows: one plan, whatever the seed, the same bits as without it
    np.testing.assert_array_equal(ot_refine(x, z, start, group_rows=900, group_seed=(1,), **kw)[0],
                                  ot_refine(x, z, start, **kw)[0])


def test_grouped_plans_match_each_a_group_to_its_own_b_group():
    from vec2vec_fast.transport import grouped_targets

    rng = np.random.default_rng(7)
    mapped = unit_rows(rng.standard_normal((900, 10)).astype(np.float32))
    z = unit_rows(rng.standard_normal((700, 10)).astype(np.float32))
    v = rng.uniform(0.5, 2.0, len(z))
    v_given = v.copy()
    with ThreadPoolExecutor(2) as pool:
        targets, v_out, objective = grouped_targets(pool, mapped, z, 0.05, 10, v, 3, (4, 2))
        deal = np.random.default_rng((4, 2))
        groups_a = np.array_split(deal.permutation(900), 3)
        groups_b = np.array_split(deal.permutation(700), 3)
        expected_objective = 0.0
        for rows_a, rows_b in zip(groups_a, groups_b):
            rows_a, rows_b = np.sort(rows_a), np.sort(rows_b)
            t, v_group, obj = sinkhorn_targets(pool, mapped[rows_a], z[rows_b], 0.05, 10, v[rows_b])
            np.testing.assert_allclose(targets[rows_a], t, atol=1e-6)
            np.testing.assert_allclose(v_out[rows_b], v_group, rtol=1e-6)
            expected_objective += obj * len(rows_a) / 900
    assert objective == pytest.approx(expected_objective, abs=1e-6)
    assert sorted(np.concatenate(groups_a).tolist()) == list(range(900))  # every row has a target, in one group
    np.testing.assert_array_equal(v, v_given)  # the caller's warm start is not written over


def test_grouped_rounds_recover_a_planted_rotation_with_the_same_bits_at_any_thread_count():
    x32, z32, start, W_true = planted_rotation()
    kw = dict(eps=0.03, max_rounds=8, sweeps=10, tol=-1.0, ridge=1.0, folds=5, momentum=0.5, group_rows=500)
    W2, history = ot_refine(x32, z32, start, n_threads=2, group_seed=(0, 13), **kw)
    W1, _ = ot_refine(x32, z32, start, n_threads=1, group_seed=(0, 13), **kw)
    np.testing.assert_array_equal(W1, W2)
    assert len(history) == 8
    # Three groups of 500 a side hold a third of each row's partners, yet the rounds find the rotation.
    assert np.linalg.norm(start - W_true) > 1.0
    assert np.linalg.norm(W2 - W_true) < 0.3
    other = ot_refine(x32, z32, start, n_threads=2, group_seed=(1, 13), **kw)[0]
    assert np.abs(other - W2).max() > 1e-6  # the seed deals the groups


def test_groups_without_a_seed_name_the_rows():
    x, z, start = two_clouds(3)
    with pytest.raises(ValueError, match=r"group_rows=400 splits 900 / 900 rows into 3 groups a side"):
        ot_refine(x, z, start, eps=0.05, max_rounds=1, sweeps=5, tol=-1.0, n_threads=1, group_rows=400)
    # More groups than the smaller side has rows: as many groups as it has, each with a row on both sides.
    W, _ = ot_refine(x, z[:3], start, eps=0.05, max_rounds=1, sweeps=5, tol=-1.0, n_threads=1, group_rows=2,
                     group_seed=(1,))
    assert np.isfinite(W).all()
    with pytest.raises(ValueError, match="group_rows must be at least 1, got 0"):
        ot_refine(x, z, start, eps=0.05, max_rounds=1, sweeps=5, tol=-1.0, n_threads=1, group_rows=0,
                  group_seed=(1,))
