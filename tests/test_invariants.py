"""Invariants: the same bits at 1 and 2 threads, the same bytes in separate processes, memory that grows as O(n),
and model files that appear atomically.

The per-kernel suites already compare 1 and 2 threads on one fixed input each; here every kernel (and the rescaled,
weighted, exact and explicit-init paths they do not reach) is compared on generated inputs whose sizes cross the
kernels' block boundaries, and the end-to-end Aligner is compared as a whole.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import vec2vec_fast as v2v
from strategies import budget, matrices
from vec2vec_fast import Aligner

BIG_KINDS = ("gaussian", "integers", "duplicates", "zero_rows", "huge", "tiny", "mixed")


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def at_one_and_two_threads(call):
    """call(n_threads) at 1 and 2 threads: every returned array (or field) has the same bits."""
    one, two = call(1), call(2)
    if hasattr(one, "__dataclass_fields__"):
        for name in one.__dataclass_fields__:
            same_bits(getattr(one, name), getattr(two, name))
    elif isinstance(one, tuple):
        for a, b in zip(one, two):
            same_bits(a, b)
    else:
        same_bits(one, two)


# ------------------------------------------------------------------------------------------------- threads: kernels
@pytest.mark.slow  # test_kmeans.py compares 1 and 2 threads on fixed inputs in the default run
@settings(max_examples=budget(12))
@given(data=st.data(), spherical=st.booleans(), init=st.sampled_from(["k-means++", "random", "array"]))
def test_kmeans_bits_do_not_depend_on_threads(data, spherical, init):
    x = data.draw(matrices(rows=st.integers(513, 1500), cols=st.integers(1, 24), kinds=BIG_KINDS), label="X")
    k = data.draw(st.integers(1, min(len(x), 60)), label="n_clusters")
    if init == "array":
        init = np.asarray(x)[:k].copy()
    at_one_and_two_threads(lambda t: v2v.kmeans(x, k, init=init, spherical=spherical, max_iter=20, seed=3,
                                                n_threads=t))


def test_kmeans_gathered_update_bits_do_not_depend_on_threads(rng):
    """The update path for large k (per-cluster gathers instead of per-block sums), forced through the core."""
    x = rng.standard_normal((1500, 16)).astype(np.float32)
    empty = np.empty((0, 16), dtype=np.float32)
    runs = [v2v._core.kmeans(x, 40, "k-means++", empty, 1, 20, 1e-4, spherical, 9, t, 0.0)
            for spherical in (False, True) for t in (1, 2)]
    for one, two in (runs[:2], runs[2:]):
        for a, b in zip(one, two):
            same_bits(a, b)


@settings(max_examples=budget(12))
@given(data=st.data(), metric=st.sampled_from(["ip", "cosine", "l2"]))
def test_knn_bits_do_not_depend_on_threads(data, metric):
    base = data.draw(matrices(rows=st.integers(1025, 2500), cols=st.integers(1, 24), kinds=BIG_KINDS), label="base")
    queries = data.draw(matrices(rows=st.integers(257, 600), cols=st.just(base.shape[1]), kinds=BIG_KINDS),
                        label="queries")
    k = data.draw(st.integers(1, min(len(base), 30)), label="k")
    at_one_and_two_threads(lambda t: v2v.knn(queries, base, k, metric=metric, n_threads=t))
    at_one_and_two_threads(lambda t: v2v.knn_mean(queries, base, k, metric=metric, n_threads=t))


@settings(max_examples=budget(12))
@given(data=st.data(), exact=st.booleans(), weighted=st.booleans())
def test_procrustes_bits_do_not_depend_on_threads(data, exact, weighted):
    X = data.draw(matrices(rows=st.integers(1, 2000), cols=st.integers(2, 40), kinds=BIG_KINDS), label="X")
    Y = data.draw(matrices(shape=(len(X), data.draw(st.integers(1, 40))), kinds=BIG_KINDS), label="Y")
    w = np.random.default_rng(len(X)).random(len(X)) + 0.1 if weighted else None
    at_one_and_two_threads(lambda t: v2v.procrustes(X, Y, weights=w, exact=exact, n_threads=t))
    x32, y32 = np.ascontiguousarray(X, np.float32), np.ascontiguousarray(Y, np.float32)
    no_weights = np.empty(0, dtype=np.float32)
    at_one_and_two_threads(lambda t: v2v._core.cross_covariance(x32, y32, no_weights, t))


@settings(max_examples=budget(10))
@given(data=st.data(), method=st.sampled_from(["2opt", "faq", "faq+2opt"]), maximize=st.booleans())
def test_qap_bits_do_not_depend_on_threads(data, method, maximize):
    n = data.draw(st.integers(20, 32), label="n")  # restarts * n^3 >= 2e6: the restarts really use two threads
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32), label="seed"))
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    A = A * 10.0 ** data.draw(st.sampled_from([0, 250, -250]), label="scale")
    restarts = data.draw(st.integers(80, 120), label="n_restarts")
    at_one_and_two_threads(lambda t: v2v.qap(A, B, method=method, n_restarts=restarts, maximize=maximize, seed=1,
                                             n_threads=t))


@settings(max_examples=budget(10))
@given(data=st.data())
def test_finite_scan_finds_the_same_first_value_at_any_thread_count(data):
    n = data.draw(st.integers(4097, 13_000), label="rows")  # 4,096-row blocks
    x = np.zeros((n, 3), dtype=np.float32)
    for _ in range(data.draw(st.integers(0, 3), label="bad values")):
        x[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, 2))] = data.draw(
            st.sampled_from([np.nan, np.inf, -np.inf]))
    x[data.draw(st.integers(0, n - 1)), 0] = 7.0
    one, two = v2v._core.scan_finite(x, 1), v2v._core.scan_finite(x, 2)
    assert one == two
    bad = np.argwhere(~np.isfinite(x))
    assert one[:2] == (tuple(bad[0]) if len(bad) else (-1, -1))
    if not len(bad):
        assert one[2:] == (7.0, 7.0)  # largest |x|, and the smallest non-zero row's largest


# ---------------------------------------------------------------------------------------------- threads: end to end
TINY = {"anchor_runs": 2, "anchor_clusters": 8, "refine1_iterations": 3, "refine1_sample": 300, "refine2_clusters": 20,
        "neighbors": 10, "refine1_neighbors": 10, "qap_restarts": 40}


@pytest.fixture(scope="module")
def unpaired():
    rng = np.random.default_rng(8)
    centres = rng.standard_normal((12, 24))
    a = (centres[rng.integers(0, 12, 1200)] + 0.3 * rng.standard_normal((1200, 24))).astype(np.float32)
    q, _ = np.linalg.qr(rng.standard_normal((32, 32)))
    b = (centres[rng.integers(0, 12, 1300)] + 0.3 * rng.standard_normal((1300, 24))) @ q[:24]
    return a, b.astype(np.float32)


@pytest.mark.parametrize("method", ["mini", "procrustes"])
def test_aligner_end_to_end_bits_do_not_depend_on_threads(unpaired, method):
    a, b = unpaired
    b = b[: len(a)] if method == "procrustes" else b
    params = TINY if method == "mini" else {}
    fits = [Aligner(method, seed=4, n_threads=t, **params).fit(a, b) for t in (1, 2)]
    for name in ("W_", "mean_a_", "mean_b_"):
        same_bits(getattr(fits[0], name), getattr(fits[1], name))
    assert fits[0].scale_a_ == fits[1].scale_a_ and fits[0].scale_b_ == fits[1].scale_b_
    same_bits(fits[0].transform(a), fits[1].transform(a))
    same_bits(fits[0].inverse_transform(b), fits[1].inverse_transform(b))


# ------------------------------------------------------------------------------------------ seeds across processes
DIGEST = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import vec2vec_fast as v2v
    from vec2vec_fast import Aligner
    seed, threads = int(sys.argv[1]), int(sys.argv[2])
    rng = np.random.default_rng(0)  # the data is fixed; only the seed argument varies
    x = rng.standard_normal((900, 16)).astype(np.float32)
    y = (x @ np.linalg.qr(rng.standard_normal((16, 16)))[0]).astype(np.float32)
    K = rng.standard_normal((25, 25))
    h = hashlib.sha256()
    def add(*arrays):
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
    r = v2v.kmeans(x, 12, seed=seed, n_threads=threads); add(r.centroids, r.labels, r.inertia)
    r = v2v.kmeans(x, 12, init="random", spherical=True, n_init=3, seed=seed, n_threads=threads); add(r.centroids)
    r = v2v.qap(K, K.T, method="faq+2opt", n_restarts=20, seed=seed, n_threads=threads); add(r.perm, r.scores)
    add(*v2v.knn(x[:100], x, 5, metric="cosine", n_threads=threads))
    add(v2v.procrustes(x, y, n_threads=threads))
    mini = Aligner("mini", seed=seed, n_threads=threads, anchor_runs=2, anchor_clusters=6, refine1_iterations=2,
                   refine1_sample=200, refine2_clusters=10, neighbors=8, refine1_neighbors=8).fit(x, y[::-1])
    add(mini.W_, mini.transform(x))
    print(h.hexdigest())
""")


@pytest.mark.slow  # three fresh interpreters
def test_same_seed_same_bytes_in_separate_processes():
    """Two fresh interpreters (different hash seeds, 1 and 2 threads) give the same digest of every randomized
    kernel and of a full mini fit; another seed gives another digest."""
    def digest(seed, threads, hashseed):
        env = dict(os.environ, PYTHONHASHSEED=str(hashseed), OMP_NUM_THREADS=str(threads))
        proc = subprocess.run([sys.executable, "-c", DIGEST, str(seed), str(threads)], capture_output=True, text=True,
                              timeout=300, env=env, check=True)
        return proc.stdout.strip()

    first, second = digest(11, 1, 1), digest(11, 2, 2)
    assert len(first) == 64 and first == second
    assert digest(12, 2, 3) != first


# --------------------------------------------------------------------------------------------------- memory growth
PEAK = textwrap.dedent("""
    import json, sys, tracemalloc
    import numpy as np
    from vec2vec_fast import Aligner, knn
    from vec2vec_fast.metrics import retrieval_metrics
    n, d = int(sys.argv[1]), 32
    params = dict(anchor_runs=2, anchor_clusters=10, anchor_subsample=n, refine1_iterations=3, refine1_sample=n // 4,
                  refine2_clusters=50, neighbors=10, refine1_neighbors=10, qap_restarts=10)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, d))
    a = (centres[rng.integers(0, 40, n)] + 0.3 * rng.standard_normal((n, d))).astype(np.float32)
    b = (centres[rng.integers(0, 40, n)] + 0.3 * rng.standard_normal((n, d))).astype(np.float32)
    small = dict(params, anchor_subsample=200, refine1_sample=50)
    Aligner("mini", **small).fit(a[:200], b[:200])  # warm-up: imports, thread pools, first-use allocations

    def status(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak RSS (VmHWM) to the current RSS: earlier peaks cannot hide growth
    base = status("VmRSS")
    tracemalloc.start()
    aligner = Aligner("mini", **params).fit(a, b)
    y = aligner.transform(a)
    metrics = retrieval_metrics(y, aligner.transform(a), block=n)  # one block of n rows: chunked 1,024 at a time
    idx, _ = knn(y, y, 10)
    Aligner("procrustes").fit(a, b)
    python_peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"rss_growth": status("VmHWM") - base, "python_peak": python_peak, "data": a.nbytes}))
""")


@pytest.mark.slow  # two subprocesses, the larger one a 16,000-row pipeline
def test_pipeline_memory_grows_linearly_in_n():
    """Peak memory of the whole pipeline (mini fit, transform, retrieval metrics over one n-row block, an n x n kNN
    search, a Procrustes fit) at n and 4n rows: O(n) growth is about 4x, an n x n float32 matrix alone would add
    64 MB at n = 4,000 and 1 GB at 16,000 (16x)."""
    def measure(n):
        # Under AddressSanitizer (tools/sanitize.sh) freed memory is quarantined, not reused: turn that off so the
        # peak is the program's own.
        asan = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        proc = subprocess.run([sys.executable, "-c", PEAK, str(n)], capture_output=True, text=True, timeout=600,
                              check=True, env=dict(os.environ, OMP_NUM_THREADS="2", ASAN_OPTIONS=asan))
        return json.loads(proc.stdout.strip().splitlines()[-1])

    small, large = measure(4000), measure(16_000)
    print("memory growth at n=4,000 and 16,000:", small, large)
    # 4x the rows: O(n) memory grows about 4x, O(n^2) 16x. Python-side allocations (numpy arrays included, traced)
    # and the whole-process peak (C++ included) above the warm-up baseline, each with slack for allocator noise.
    assert large["python_peak"] <= 6 * small["python_peak"], (small, large)
    assert large["rss_growth"] <= 6 * max(small["rss_growth"], 8 * 2**20), (small, large)
    assert large["rss_growth"] < 16_000**2 * 4 / 4, (small, large)  # a quarter of one n x n float32 matrix


# ---------------------------------------------------------------------------------------------------- atomic writes
class Boom(Exception):
    pass


@pytest.mark.parametrize("failure", [Boom, KeyboardInterrupt, OSError])
@pytest.mark.parametrize("existing", [False, True])
def test_a_failed_save_leaves_no_partial_file(tmp_path, monkeypatch, unpaired, failure, existing):
    """Writing fails halfway (an error, Ctrl-C, a full disk): the destination is absent or still the old model,
    and no temporary file is left behind."""
    a, b = unpaired
    aligner = Aligner("procrustes").fit(a, b[: len(a)])
    path = tmp_path / "model.v2v.npz"
    if existing:
        old = Aligner("procrustes").fit(b[: len(a), :24], a).save(path)
        old_bytes = old.read_bytes()
    real_savez = np.savez

    def half_written(f, **arrays):
        real_savez(f, **arrays)
        f.truncate(f.tell() // 2)  # some bytes are on disk, the archive is incomplete
        raise failure("write failed")

    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(failure):
        aligner.save(path, overwrite=True)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["model.v2v.npz"] if existing else [])
    if existing:
        assert path.read_bytes() == old_bytes
        assert Aligner.load(path).W_.shape == (24, 24)
    # And a save that succeeds is complete and loadable.
    aligner.save(path, overwrite=True)
    same_bits(Aligner.load(path).W_, aligner.W_)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.v2v.npz"]


def test_save_into_a_missing_directory_leaves_nothing(tmp_path, unpaired):
    a, b = unpaired
    with pytest.raises(OSError):
        Aligner("procrustes").fit(a, b[: len(a)]).save(tmp_path / "missing" / "model.v2v.npz")
    assert list(tmp_path.iterdir()) == []
