"""Property tests of every kernel against a float64 numpy/scipy reference, on generated inputs of every awkward kind.

Each generated case either returns a result that matches the reference (within float32 rounding, ties resolved
either way) or raises the documented error. None may return NaN from finite input. Shapes include 1 row, 1 column
and k = n; values include duplicates, all-equal rows, zero rows, integers with exact ties, and magnitudes from
float32-subnormal to the largest finite float32 (float64 kernels: 1e-300 to 1e300); inputs come as float32 or
float64, C order, Fortran order, strided or negatively strided.
"""

import itertools

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from hypothesis import given, settings, strategies as st

import vec2vec_fast as v2v
from strategies import budget, matrices, nonfinite_positions, square_matrices

FLOAT32_MAX = float(np.finfo(np.float32).max)
TINY = 2.0**-149 * 64  # a few float32 subnormal steps: the absolute floor of any float32 comparison
threads = st.sampled_from([1, 2])


def as64(x):
    """What the float32 kernels see, in float64: the reference works on the same (rounded) numbers."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def unit_rows64(x):
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def assert_no_nan(*arrays):
    for a in arrays:
        assert not np.isnan(np.asarray(a, dtype=np.float64)).any(), f"NaN in a result from finite input: {a}"


# ---------------------------------------------------------------------------------------------------------- kNN
def knn_reference(q, b, metric):
    """float64 scores (m, n), higher is better for "ip"/"cosine", lower for "l2", and a per-entry error bound."""
    q, b = as64(q), as64(b)
    d = q.shape[1]
    qn, bn = np.linalg.norm(q, axis=1), np.linalg.norm(b, axis=1)
    if metric == "ip":
        return q @ b.T, 1e-5 * (d + 4) * np.outer(qn, bn) + TINY
    if metric == "cosine":
        return unit_rows64(q) @ unit_rows64(b).T, np.full((len(q), len(b)), 1e-5 * (d + 4))
    dist = ((q[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return dist, 1e-5 * (d + 4) * np.add.outer(qn, bn) ** 2 + TINY


@settings(max_examples=budget(60))
@given(data=st.data(), metric=st.sampled_from(["ip", "cosine", "l2"]), n_threads=threads)
def test_knn_matches_brute_force(data, metric, n_threads):
    base = data.draw(matrices(), label="base")
    queries = data.draw(matrices(cols=st.just(base.shape[1])), label="queries")
    n = base.shape[0]
    k = data.draw(st.one_of(st.just(n), st.integers(1, n)), label="k")
    idx, scores = v2v.knn(queries, base, k, metric=metric, n_threads=n_threads)

    assert idx.shape == scores.shape == (queries.shape[0], k) and idx.dtype == np.int64 and scores.dtype == np.float32
    assert_no_nan(scores)
    ref, tol = knn_reference(queries, base, metric)
    sign = -1.0 if metric == "l2" else 1.0  # keys: higher is better
    for i in range(len(idx)):
        row = idx[i]
        assert ((row >= 0) & (row < n)).all() and len(set(row.tolist())) == k
        # Each score is the reference score of its index, up to float32 rounding (a true value beyond float32's
        # range comes back as the infinity of its sign).
        expected = ref[i, row]
        big = np.abs(expected) > FLOAT32_MAX * (1 + 1e-6)
        np.testing.assert_array_equal(scores[i, big], np.sign(expected[big]) * np.inf)
        fits = ~big & np.isfinite(scores[i])  # a true value within rounding of float32's largest may round to inf
        assert (np.abs(scores[i, fits] - expected[fits]) <= tol[i, row][fits]).all(), (scores[i], expected)
        assert (np.abs(expected[~fits & ~big]) >= FLOAT32_MAX * (1 - 1e-5)).all()
        # The k kept are the k best: none is worse than the reference's k-th best by more than the error bound.
        kth = np.sort(sign * ref[i])[::-1][k - 1]
        assert (sign * expected >= kth - tol[i].max()).all()
        # Best first; equal scores in index order (ip and cosine report their ranking keys exactly, unless a score
        # scaled back from a rescaled search rounded into float32's subnormal or infinite range).
        keyed = sign * scores[i].astype(np.float64)
        assert (keyed[1:] <= keyed[:-1]).all()
        if metric != "l2":
            exact = np.abs(scores[i]) >= np.finfo(np.float32).tiny
            tied = (scores[i, 1:] == scores[i, :-1]) & exact[1:] & np.isfinite(scores[i, 1:])
            assert (row[1:][tied] > row[:-1][tied]).all()
    if metric == "cosine":
        assert (np.abs(scores) <= 1 + 1e-5).all()
    else:
        assert (metric == "ip") or (scores >= 0).all()


@settings(max_examples=budget(30))
@given(data=st.data(), metric=st.sampled_from(["ip", "cosine", "l2"]), n_threads=threads)
def test_knn_mean_is_the_mean_of_the_neighbours_values(data, metric, n_threads):
    base = data.draw(matrices(), label="base")
    queries = data.draw(matrices(cols=st.just(base.shape[1])), label="queries")
    values = data.draw(st.one_of(st.none(), matrices(shape=(base.shape[0], data.draw(st.integers(1, 5))))),
                       label="values")
    k = data.draw(st.integers(1, base.shape[0]), label="k")
    got = v2v.knn_mean(queries, base, k, values=values, metric=metric, n_threads=n_threads)
    idx, _ = v2v.knn(queries, base, k, metric=metric, n_threads=n_threads)
    vals = as64(base if values is None else values)
    expected = vals[idx].mean(axis=1)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert_no_nan(got)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=TINY)


# ------------------------------------------------------------------------------------------------------ k-means
@settings(max_examples=budget(60))
@given(data=st.data(), spherical=st.booleans(), init=st.sampled_from(["k-means++", "random", "array"]),
       n_threads=threads, seed=st.integers(0, 2**64 - 1))
def test_kmeans_is_a_lloyd_fixed_point(data, spherical, init, n_threads, seed):
    x = data.draw(matrices(rows=st.integers(1, 40)), label="X")
    n, d = x.shape
    k = data.draw(st.one_of(st.just(n), st.integers(1, n)), label="n_clusters")
    n_init = 1
    if init == "array":
        init = data.draw(st.one_of(matrices(shape=(k, d)),
                                   st.permutations(range(n)).map(lambda p: np.asarray(x)[list(p)[:k]].copy())),
                         label="init")
    else:
        n_init = data.draw(st.integers(1, 3), label="n_init")
    converge = data.draw(st.booleans(), label="tol=-1")  # tol=-1: iterate until no label changes
    try:
        res = v2v.kmeans(x, k, init=init, n_init=n_init, max_iter=300, tol=-1.0 if converge else 1e-4,
                         spherical=spherical, seed=seed, n_threads=n_threads)
    except ValueError as err:  # documented: a Euclidean init ~2**60 times larger than the data
        x_max, init_max = np.abs(as64(x)).max(), np.abs(as64(init)).max()
        assert "too far from X" in str(err) and not spherical and init_max > 2.0**58 * x_max, err
        return

    c, labels = res.centroids, res.labels
    assert c.shape == (k, d) and c.dtype == np.float32 and labels.shape == (n,) and labels.dtype == np.int64
    assert ((labels >= 0) & (labels < k)).all()
    assert_no_nan(c, res.inertia, res.inertia_history)
    assert np.isfinite(c).all() and np.isfinite(res.inertia) and res.inertia >= 0
    assert res.seed == seed and 0 <= res.best_init < n_init and 1 <= res.n_iter <= 300
    x64, c64 = as64(x), c.astype(np.float64)
    xn = np.linalg.norm(x64, axis=1)
    scale = max(xn.max(), np.linalg.norm(c64, axis=1).max())
    if spherical:
        cn = np.linalg.norm(c64, axis=1)
        assert (np.isclose(cn, 1, atol=1e-5) | (cn == 0)).all(), cn  # unit, or zero when a cluster sums to zero
        cos = unit_rows64(x64) @ unit_rows64(c64).T
        dist, tol = 1 - cos, np.full(n, 1e-5 * (d + 4))
    else:
        dist = ((x64[:, None, :] - c64[None]) ** 2).sum(-1)
        tol = 1e-5 * (d + 4) * (xn + scale) ** 2 + TINY
    own = dist[np.arange(n), labels]
    # Every row is assigned to its nearest centroid, and the inertia is the sum of those distances.
    assert (own <= dist.min(axis=1) + tol).all(), (own, dist.min(axis=1))
    assert abs(res.inertia - own.sum()) <= tol.sum() + 1e-12 * res.inertia
    history = np.asarray(res.inertia_history)
    assert len(history) == res.n_iter + 1 and history[-1] == res.inertia
    assert (np.diff(history) <= tol.sum()).all(), history  # Lloyd never increases the inertia
    if converge and res.n_iter < 300:
        # Converged: each non-empty cluster's centroid is its rows' mean (spherical: their normalised sum).
        for j in np.unique(labels):
            rows = x64[labels == j]
            if spherical:
                total = unit_rows64(rows).sum(0)
                expected = total / np.linalg.norm(total) if np.linalg.norm(total) > 1e-6 else None
                if expected is not None:
                    assert np.abs(c64[j] - expected).max() <= 1e-4, (c64[j], expected)
            else:
                assert np.abs(c64[j] - rows.mean(0)).max() <= 1e-5 * (d + 4) * scale + TINY
        if k == n and not spherical:
            assert res.inertia <= tol.sum()


# --------------------------------------------------------------------------------------------------- Procrustes
@settings(max_examples=budget(60))
@given(data=st.data(), exact=st.booleans(), n_threads=threads)
def test_procrustes_maximises_the_trace(data, exact, n_threads):
    X = data.draw(matrices(), label="X")
    n, dx = X.shape
    dy = data.draw(st.integers(1, 8), label="d_y")
    Y = data.draw(matrices(shape=(n, dy)), label="Y")
    w = data.draw(st.one_of(st.none(), st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 1e-20, 1e20]), min_size=n,
                                                 max_size=n).map(np.asarray)), label="weights")
    if w is not None and not w.any():
        with pytest.raises(ValueError, match="weights are all zero"):
            v2v.procrustes(X, Y, weights=w, exact=exact, n_threads=n_threads)
        return
    W = v2v.procrustes(X, Y, weights=w, exact=exact, n_threads=n_threads)

    assert W.shape == (dx, dy) and W.dtype == np.float32
    assert_no_nan(W)
    gram = W.T.astype(np.float64) @ W if dx >= dy else W.astype(np.float64) @ W.T
    assert np.abs(gram - np.eye(len(gram))).max() <= 1e-5 * (max(dx, dy) + 4), gram
    x64, y64 = as64(X), as64(Y)
    w64 = np.ones(n) if w is None else np.asarray(w, np.float32).astype(np.float64)
    M = x64.T @ (w64[:, None] * y64)
    # U V^T maximises trace(W^T M) (= the nuclear norm of M); with d_x <= d_y that is the least-squares map.
    bound = 1e-4 * (max(dx, dy) + 4) * (w64 * np.linalg.norm(x64, axis=1) * np.linalg.norm(y64, axis=1)).sum()
    nuclear = np.linalg.svd(M, compute_uv=False).sum()
    if not exact or dx <= dy:
        assert np.sum(W * M) >= nuclear - bound - TINY, (np.sum(W * M), nuclear)
    # Squared errors also carry the rounding of |x W|^2 and |y|^2 (a float32 W is orthogonal to ~1e-7).
    rounding = 1e-6 * (max(dx, dy) + 4) * (w64 * ((x64**2).sum(1) + (y64**2).sum(1))).sum()
    if dx == dy and w is None:
        R, _ = scipy.linalg.orthogonal_procrustes(x64, y64)
        ours, ref = np.linalg.norm(x64 @ W - y64), np.linalg.norm(x64 @ R - y64)
        assert ours**2 <= ref**2 + 2 * bound + rounding + TINY, (ours, ref)
    if exact and dx > dy:
        # The exact iteration never does worse than the U V^T start on the weighted squared error.
        start = v2v.procrustes(X, Y, weights=w, n_threads=n_threads).astype(np.float64)

        def err(V):
            return (w64 * ((x64 @ V - y64) ** 2).sum(1)).sum()

        assert err(W.astype(np.float64)) <= err(start) + 2 * bound + rounding + TINY


@settings(max_examples=budget(40))
@given(data=st.data())
def test_orthogonalize_is_the_nearest_semi_orthogonal_matrix(data):
    r = data.draw(st.integers(1, 8), label="rows")
    c = data.draw(st.integers(1, 8), label="cols")
    M = data.draw(square_matrices(max(r, c)), label="M")[:r, :c]
    if data.draw(st.sampled_from(["C", "F"]), label="order") == "F":
        M = np.asfortranarray(M)
    W = v2v.orthogonalize(M)
    assert W.shape == (r, c) and W.dtype == np.float32
    assert_no_nan(W)
    gram = W.T.astype(np.float64) @ W if r >= c else W.astype(np.float64) @ W.T
    assert np.abs(gram - np.eye(len(gram))).max() <= 1e-5 * (max(r, c) + 4)
    scale = np.abs(M).max()
    if scale > 0:
        Ms = M / scale  # the polar factor is scale-free; this keeps the reference's sums finite
        assert np.sum(W * Ms) >= np.linalg.svd(Ms, compute_uv=False).sum() * (1 - 1e-5) - 1e-6


# --------------------------------------------------------------------------------------------- linear assignment
@settings(max_examples=budget(80))
@given(data=st.data(), maximize=st.booleans())
def test_linear_sum_assignment_matches_scipy(data, maximize):
    r = data.draw(st.integers(0, 7), label="rows")
    c = data.draw(st.integers(0, 7), label="cols")
    cost = data.draw(square_matrices(max(r, c, 1), symmetric=False), label="cost")[:r, :c].copy()
    forbid = data.draw(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=6), label="forbidden")
    for i, j in forbid:
        if i < r and j < c:
            cost[i, j] = -np.inf if maximize else np.inf
    layout = data.draw(st.sampled_from(["C", "F", "int"]), label="layout")
    if layout == "F":
        cost = np.asfortranarray(cost)
    elif layout == "int":
        cost = np.where(np.isfinite(cost), np.round(np.clip(cost, -5, 5)), cost)
    try:
        ref_rows, ref_cols = scipy.optimize.linear_sum_assignment(cost, maximize=maximize)
    except ValueError:
        with pytest.raises(ValueError, match="infeasible"):
            v2v.linear_sum_assignment(cost, maximize=maximize)
        return
    rows, cols = v2v.linear_sum_assignment(cost, maximize=maximize)
    assert rows.dtype == cols.dtype == np.int64 and len(rows) == len(cols) == min(r, c)
    assert (np.diff(rows) > 0).all() and len(set(cols.tolist())) == len(cols)
    ours, ref = cost[rows, cols], cost[ref_rows, ref_cols]
    assert np.isfinite(ours).all()
    scale = np.abs(ref).sum() if len(ref) else 0.0
    if np.isfinite(scale):
        assert abs(ours.sum() - ref.sum()) <= 1e-12 * scale * (r + c), (ours.sum(), ref.sum())
    else:  # totals beyond float64: compare them at a power-of-two scale (exact)
        s = 2.0 ** -np.frexp(np.abs(ref).max())[1]
        assert abs((ours * s).sum() - (ref * s).sum()) <= 1e-12 * np.abs(ref * s).sum() * (r + c)


@settings(max_examples=budget(20))
@given(data=st.data(), maximize=st.booleans())
def test_linear_sum_assignment_refuses_nan_and_the_wrong_infinity(data, maximize):
    n = data.draw(st.integers(1, 5))
    cost = data.draw(square_matrices(n, symmetric=False))
    i, j = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
    cost[i, j] = data.draw(st.sampled_from([np.nan, np.inf if maximize else -np.inf]))
    with pytest.raises(ValueError, match=rf"{i}, (column )?{j}"):
        v2v.linear_sum_assignment(cost, maximize=maximize)


# ---------------------------------------------------------------------------------------------------------- QAP
def exponent(a):
    """e with max|a| * 2**-e in [0.5, 1): rescaling by 2**-e is exact, so ranks computed after it are exact."""
    m = np.abs(a).max()
    return 0 if m == 0 else int(np.frexp(m)[1])


@settings(max_examples=budget(60))
@given(data=st.data(), method=st.sampled_from(["2opt", "faq", "faq+2opt"]), maximize=st.booleans(),
       n_threads=threads, seed=st.integers(0, 2**64 - 1))
def test_qap_returns_a_consistent_local_optimum(data, method, maximize, n_threads, seed):
    n = data.draw(st.integers(1, 7), label="n")
    A = data.draw(square_matrices(n), label="A")
    B = data.draw(square_matrices(n), label="B")
    restarts = data.draw(st.integers(1, 6), label="n_restarts")
    init = data.draw(st.one_of(st.none(), st.permutations(range(n)).map(np.asarray)), label="init")
    res = v2v.qap(A, B, method=method, n_restarts=restarts, maximize=maximize, seed=seed, n_threads=n_threads,
                  init=init)

    perm = res.perm
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(n))
    assert res.scores.shape == (restarts,) and 0 <= res.best_restart < restarts and res.seed == seed
    assert_no_nan(res.score, res.scores)
    # Ranks and gains are checked at a power-of-two scale, where float64 sums cannot overflow or underflow.
    ea, eb = exponent(A), exponent(B)
    As, Bs = np.ldexp(A, -ea), np.ldexp(B, -eb)
    sign = 1.0 if maximize else -1.0

    def score(p):
        return float((As * Bs[np.ix_(p, p)]).sum())

    own = score(perm)
    tol = 1e-9 * np.linalg.norm(As) * np.linalg.norm(Bs) + 1e-300
    best = res.scores.argmax() if maximize else res.scores.argmin()
    assert res.scores[best] == res.scores[res.best_restart]  # the first restart reaching the best score
    if ea == eb == 0:  # (scaled back, restarts beyond float64 tie at infinity or zero, not in the search)
        assert (res.scores[: res.best_restart] != res.scores[res.best_restart]).all()
    # The score is the permutation's score, scaled back (an infinity when the true score is beyond float64).
    with np.errstate(over="ignore", under="ignore"):
        reported, atol = np.ldexp(own, ea + eb), np.ldexp(tol, ea + eb) + 2.0**-1074
    if np.isinf(res.score) or np.isinf(reported):
        assert res.score == reported
    else:
        assert abs(res.score - reported) <= 1e-9 * abs(reported) + atol, (res.score, reported)
    if method != "faq":
        # 2-opt stops only where no exchange of two positions improves the score.
        for i, j in itertools.combinations(range(n), 2):
            swapped = perm.copy()
            swapped[[i, j]] = swapped[[j, i]]
            assert sign * (score(swapped) - own) <= tol, (i, j)
    if init is not None and method == "2opt" and restarts == 1:
        assert sign * (own - score(init)) >= -tol  # local search from the given start never ends below it


@settings(max_examples=budget(40))
@given(data=st.data())
def test_qap_score_matches_the_definition_or_refuses_a_bad_permutation(data):
    n = data.draw(st.integers(1, 6))
    A, B = data.draw(square_matrices(n)), data.draw(square_matrices(n))
    perm = data.draw(st.one_of(
        st.permutations(range(n)).map(np.asarray),
        st.lists(st.integers(-n - 1, n + 1), min_size=0, max_size=n + 1).map(np.asarray),
        st.permutations(range(n)).map(lambda p: np.asarray(p, dtype=np.float64)),
    ), label="perm")
    valid = perm.dtype.kind in "iu" and sorted(perm.tolist()) == list(range(n))
    if not valid:
        with pytest.raises((ValueError, TypeError), match="perm"):
            v2v.qap_score(A, B, perm)
        return
    ea, eb = exponent(A), exponent(B)
    As, Bs = np.ldexp(A, -ea), np.ldexp(B, -eb)
    expected = sum(As[i, j] * Bs[perm[i], perm[j]] for i in range(n) for j in range(n))
    got = v2v.qap_score(A, B, perm)
    assert not np.isnan(got)
    with np.errstate(over="ignore", under="ignore"):
        scaled, true = np.ldexp(got, -(ea + eb)), np.ldexp(expected, ea + eb)
    if np.isinf(true):  # beyond float64: the infinity of its sign
        assert got == true
    else:
        assert np.isclose(scaled, expected, rtol=1e-9, atol=1e-300) or abs(got - true) <= 2.0**-1074 * n * n


# ---------------------------------------------------------------------------------------------- retrieval metrics
@settings(max_examples=budget(40))
@given(data=st.data())
def test_retrieval_metrics_match_the_dense_definition(data):
    pred = data.draw(matrices(), label="pred")
    target = data.draw(matrices(shape=pred.shape), label="target")
    n = pred.shape[0]
    block = data.draw(st.integers(1, n + 2), label="block")
    got = v2v.metrics.retrieval_metrics(pred, target, block=block)

    assert_no_nan(list(got.values()))
    p, t = unit_rows64(as64(pred)), unit_rows64(as64(target))
    low, high, cos = [], [], []
    tol = 1e-5 * (pred.shape[1] + 4)
    for b0 in range(0, n, block):
        s = p[b0 : b0 + block] @ t[b0 : b0 + block].T
        own = np.diag(s)
        # Near-ties may rank either way in float32: the rank lies between these two.
        low += list(1 + (s > own[:, None] + tol).sum(1))
        high += list(1 + (s > own[:, None] - tol).sum(1) - 1)
        cos += list(own)
    low, high = np.asarray(low), np.maximum(np.asarray(high), 1)
    assert got["n"] == n
    assert low.mean() - 1e-9 <= got["mean_rank"] <= high.mean() + 1e-9
    assert (high == 1).mean() - 1e-9 <= got["top1"] <= (low == 1).mean() + 1e-9
    assert (high <= 5).mean() - 1e-9 <= got["top5"] <= (low <= 5).mean() + 1e-9
    assert abs(got["mean_cos"] - np.mean(cos)) <= tol


# ------------------------------------------------------------------------------------- non-finite and range errors
FLOAT32_KERNELS = {
    "kmeans": lambda x: v2v.kmeans(x, 1),
    "kmeans init": lambda x: v2v.kmeans(np.ones_like(x, dtype=np.float32), len(x), init=x),
    "knn queries": lambda x: v2v.knn(x, np.ones((2, x.shape[1])), 1),
    "knn base": lambda x: v2v.knn(np.ones((2, x.shape[1])), x, 1),
    "knn_mean values": lambda x: v2v.knn_mean(np.ones((1, 2)), np.ones((len(x), 2)), 1, values=x),
    "procrustes X": lambda x: v2v.procrustes(x, np.ones(x.shape)),
    "procrustes Y": lambda x: v2v.procrustes(np.ones(x.shape), x),
    "retrieval_metrics": lambda x: v2v.metrics.retrieval_metrics(x, np.ones(x.shape)),
}


@settings(max_examples=budget(60))
@given(data=st.data(), kernel=st.sampled_from(sorted(FLOAT32_KERNELS)))
def test_non_finite_or_out_of_range_input_is_a_located_value_error(data, kernel):
    x = np.array(data.draw(matrices(dtypes=(np.float64,), layouts=("C",)), label="x"))
    r, c, value = data.draw(nonfinite_positions(x.shape), label="bad value")
    if data.draw(st.booleans(), label="finite but beyond float32"):
        value = float(np.sign(value) or 1.0) * 1e39
    x[r, c] = value
    layout = data.draw(st.sampled_from(["C", "F", "strided"]), label="layout")
    x = {"C": x, "F": np.asfortranarray(x), "strided": np.repeat(x, 2, axis=1)[:, ::2]}[layout]
    with pytest.raises(ValueError, match=rf"at row {r}, column {c}"):
        FLOAT32_KERNELS[kernel](x)


@settings(max_examples=budget(30))
@given(data=st.data(), which=st.sampled_from(["A", "B", "orthogonalize", "weights"]))
def test_non_finite_float64_input_is_a_value_error(data, which):
    n = data.draw(st.integers(1, 5))
    M = data.draw(square_matrices(n))
    r, c, value = data.draw(nonfinite_positions((n, n)))
    M[r, c] = value
    with pytest.raises(ValueError, match="non-finite|finite"):
        if which == "A":
            v2v.qap(M, np.eye(n))
        elif which == "B":
            v2v.qap(np.eye(n), M)
        elif which == "orthogonalize":
            v2v.orthogonalize(M)
        else:
            v2v.procrustes(np.ones((n, 2)), np.ones((n, 2)), weights=M[r])
