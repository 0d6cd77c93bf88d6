"""Ctrl-C stops long kernels from inside C++, and the GIL is free while they compute."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import vec2vec_fast as v2v


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


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
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


def test_gil_is_released_during_compute(big):
    inside = threading.Event()
    done = threading.Event()

    def work():
        inside.set()
        v2v.knn(big[:20_000], big, 10)
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
