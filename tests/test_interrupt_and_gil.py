"""Ctrl-C stops long kernels from inside C++, and the GIL is free while they compute."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import vec2vec_fast as v2v

POSIX = pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")

# The tests here send SIGINT to this process: each gets Python's KeyboardInterrupt handler for its duration, also when
# pytest was started with SIGINT ignored (a background job, nohup, some CI runners): see conftest.py.
pytestmark = pytest.mark.usefixtures("sigint_raises_keyboard_interrupt")


def long_kmeans(x):
    # Random data, tol disabled: hundreds of 0.05 s iterations, far longer than the test waits.
    return v2v.kmeans(x, 500, init="random", max_iter=100_000, tol=-1, seed=0)


def long_knn(x):
    return v2v.knn(x, x, 10)


def long_qap(x):
    # Thousands of 2-opt restarts at n = 120: minutes of work, spread over both threads.
    kernel = x[:120, :32].astype(np.float64) @ x[:120, :32].T.astype(np.float64)
    return v2v.qap(kernel, kernel[::-1, ::-1], method="2opt", n_restarts=20_000, seed=0)


@pytest.fixture
def big(rng):
    return rng.standard_normal((60_000, 64)).astype(np.float32)


@POSIX
@pytest.mark.parametrize("job, wrapper", [(long_kmeans, "kmeans.py"), (long_knn, "knn.py"), (long_qap, "qap.py")])
def test_ctrl_c_interrupts_inside_the_kernel(big, job, wrapper):
    timer = threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as excinfo:
            job(big)
    finally:
        timer.cancel()
    elapsed = time.perf_counter() - start
    # Raised from the wrapper's call into C++, not after the kernel returned.
    assert os.path.basename(str(excinfo.traceback[-1].path)) == wrapper
    assert elapsed < 5.0, f"took {elapsed:.1f} s to honour Ctrl-C"
    # The process is still usable.
    assert v2v.kmeans(big[:100], 3, seed=0).labels.shape == (100,)


# --------------------------------------------------------------------------- the full alignment (issue 7, item 4)
def interrupt_after(delay, job):
    """Run job() and send SIGINT to this process after `delay` seconds. Returns (pytest excinfo, latency), the
    latency being the time from the signal to the KeyboardInterrupt reaching this frame."""
    sent = []

    def send():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(delay, send)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as excinfo:
            job()
        caught = time.perf_counter()
    finally:
        timer.cancel()
    assert sent, "the job ended before the signal was sent: make it longer"
    return excinfo, caught - sent[0]


@pytest.fixture(scope="module")
def unpaired():
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((50, 64))
    a = centres[rng.integers(0, 50, 30_000)] + 0.3 * rng.standard_normal((30_000, 64))
    b = centres[rng.integers(0, 50, 30_000)] + 0.3 * rng.standard_normal((30_000, 64))
    return a.astype(np.float32), b.astype(np.float32)


def aligner_mini(a, b):
    # The notebook's defaults at 30,000 rows a side: tens of seconds of anchors, pseudo-pairs and refinement.
    return v2v.Aligner("mini", seed=0).fit(a, b)


def fit_mini_several_seeds(a, b):
    from vec2vec_fast.mini import MiniParams, fit_mini

    return fit_mini(a, b, MiniParams(n_seeds=3), seed=0)


def aligner_procrustes(a, b):
    # Paired Procrustes on 30,000 x 64 is quick, so it is repeated: the signal lands in or between kernel calls.
    for _ in range(10_000):
        v2v.Aligner("procrustes").fit(a, b)


def transport_refinement(a, b):
    # mini-ot's Wasserstein-Procrustes rounds (row blocks on a thread pool) on 8,000 rows a side, far more rounds
    # than the signal leaves time for.
    from vec2vec_fast._numerics import unit_rows
    from vec2vec_fast.transport import ot_refine

    x, z = unit_rows(a[:8000]), unit_rows(b[:8000])
    # tol=-1: no round stops it early
    ot_refine(x, z, np.eye(64, dtype=np.float32), eps=0.03, max_rounds=1000, sweeps=50, tol=-1.0, n_threads=2)


@POSIX
@pytest.mark.parametrize("job, delay", [
    (transport_refinement, 1.0),
    (aligner_mini, 0.3),    # during the anchor stage (k-means and QAP runs)
    (aligner_mini, 2.5),    # later stages: pseudo-pairs, Procrustes, Refine-1
    (fit_mini_several_seeds, 1.0),
    (aligner_procrustes, 0.5),
])
def test_ctrl_c_stops_a_full_alignment(unpaired, job, delay):
    from threadpoolctl import threadpool_info

    blas_before = [(p["internal_api"], p["num_threads"]) for p in threadpool_info()]
    a, b = unpaired
    _, latency = interrupt_after(delay, lambda: job(a, b))
    print(f"{job.__name__} interrupted after {delay} s: KeyboardInterrupt {latency * 1e3:.0f} ms after the signal")
    # The issue asks for control back within a second; 2 s leaves room for a loaded 2-core CI machine.
    assert latency < 2.0, f"took {latency:.2f} s to honour Ctrl-C"
    # The process is usable: thread pools are as before (mini pins BLAS to 1 thread only inside the fit) and a new
    # fit gives exactly what a fit in an untouched process gives (no state left behind by the interrupted one).
    assert [(p["internal_api"], p["num_threads"]) for p in threadpool_info()] == blas_before
    small = dict(anchor_runs=2, anchor_clusters=8, refine1_iterations=2, refine1_sample=200, refine2_clusters=10)
    first = v2v.Aligner("mini", seed=1, **small).fit(a[:1000], b[:1000])
    again = v2v.Aligner("mini", seed=1, **small).fit(a[:1000], b[:1000])
    assert first.W_.tobytes() == again.W_.tobytes() and np.isfinite(first.W_).all()


# 2,000 queries: about a second of search, already thousands of ticks; the 20,000-query case runs 10x longer.
@pytest.mark.parametrize("queries", [2_000, pytest.param(20_000, marks=pytest.mark.slow)])
def test_gil_is_released_during_compute(big, queries):
    inside = threading.Event()
    done = threading.Event()

    def work():
        inside.set()
        v2v.knn(big[:queries], big, 10)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    inside.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    worker.join()
    # With the GIL held for the whole call, this loop could barely run while the worker computed.
    assert ticks > 1000


# --------------------------------------------------------------------------- separate processes: the command line
# A child inherits an ignored SIGINT from a parent started in the background, and Python keeps it ignored; a command
# typed in a terminal gets the default action, so the child code sets up that case itself.
CLI_CHILD = textwrap.dedent("""
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, however pytest was started
    from vec2vec_fast.cli import main
    print("ready", flush=True)
    sys.exit(main(sys.argv[1:]))
""")


@POSIX
def test_ctrl_c_stops_the_command_line_with_status_130(tmp_path, unpaired):
    from vec2vec_fast.cli import EXIT_INTERRUPTED

    a, b = unpaired
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    # The notebook's defaults at 30,000 rows a side: tens of seconds, far longer than the wait below.
    child = subprocess.Popen([sys.executable, "-c", CLI_CHILD, "align", str(tmp_path / "a.npy"),
                              str(tmp_path / "b.npy"), "-o", str(tmp_path / "model.npz"), "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # into the fit (the command reads both files first)
        assert child.poll() is None, child.communicate()
        child.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        _, err = child.communicate(timeout=60)
        latency = time.perf_counter() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == EXIT_INTERRUPTED, err
    assert err.strip() == "vec2vec-fast: interrupted", err
    assert latency < 5.0, f"took {latency:.1f} s to exit after Ctrl-C"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy", "b.npy"]  # no model, no temporary file


SIGINT_DISPOSITION = textwrap.dedent("""
    import importlib, pkgutil, signal
    import numpy as np

    def handler():
        h = signal.getsignal(signal.SIGINT)  # SIG_IGN, SIG_DFL, None or a function
        return {signal.SIG_IGN: "SIG_IGN", signal.SIG_DFL: "SIG_DFL"}.get(h) or getattr(h, "__name__", repr(h))

    before = handler()
    import vec2vec_fast
    for module in pkgutil.walk_packages(vec2vec_fast.__path__, "vec2vec_fast."):
        if not module.name.endswith(".__main__"):  # every submodule: the GAN (torch), cluster helpers (dask), CLI
            importlib.import_module(module.name)
    x = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    vec2vec_fast.Aligner("mini", anchor_runs=1, refine1_iterations=1, refine1_sample=50, refine2_clusters=5).fit(x, x)
    print(before, "->", handler())
""")


@POSIX
@pytest.mark.slow  # two interpreters that import everything, torch and dask included
def test_the_library_leaves_the_sigint_handler_alone():
    """Importing and using the library changes nothing about Ctrl-C: started normally, Python's handler stays;
    started with SIGINT ignored (a background job), it stays ignored, as for any Python program."""
    def start(action):
        # A launcher sets the disposition and execs the check, which inherits it as from a shell (no preexec_fn:
        # it is unsafe in a process with threads).
        launcher = (f"import os, signal, sys; signal.signal(signal.SIGINT, signal.{action}); "
                    f"os.execv(sys.executable, [sys.executable, '-c', sys.argv[1]])")
        return subprocess.Popen([sys.executable, "-c", launcher, SIGINT_DISPOSITION], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    children = {"default": start("SIG_DFL"), "ignored": start("SIG_IGN")}
    outputs = {}
    for name, child in children.items():
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        outputs[name] = out.strip().splitlines()[-1]
    expected = {"default": "default_int_handler -> default_int_handler", "ignored": "SIG_IGN -> SIG_IGN"}
    assert outputs == expected, outputs
