"""Shared fixtures: a seeded generator per test, never global seeding."""

import signal
import threading

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture
def one_torch_thread():
    """torch on one thread for the test, restored afterwards (tiny GAN models only lose to thread overhead)."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def sigint_raises_keyboard_interrupt():
    """SIGINT raises KeyboardInterrupt during the test, however pytest was started; the previous handler afterwards.

    A process started in the background (`cmd &`, nohup, some CI runners and job schedulers) inherits SIGINT as
    ignored, and Python then leaves it ignored (it installs its KeyboardInterrupt handler only over the default
    action), so a test that sends itself SIGINT must install the handler it relies on."""
    if not hasattr(signal, "SIGINT") or threading.current_thread() is not threading.main_thread():
        pytest.skip("needs SIGINT and the main thread")
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        # None: a handler not installed from Python, which cannot be put back; the default action is the closest.
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


def make_blobs(rng, n, d, centers, spread=0.3):
    """Well-separated Gaussian blobs: (X float32, true labels)."""
    means = rng.standard_normal((centers, d)) * 4.0
    labels = rng.integers(0, centers, size=n)
    x = means[labels] + spread * rng.standard_normal((n, d))
    return x.astype(np.float32), labels


def planted_pair(rng, d_a, d_b, n=2000, clusters=30, noise=0.2):
    """Unpaired clustered samples X_a (n, d_a) and X_b = (another draw) @ Q, with Q (d_a, d_b) orthonormal rows.

    Unequal cluster weights make the centroid geometry unique, so Q is identifiable from unpaired data."""
    centres = rng.standard_normal((clusters, d_a))
    weights = rng.dirichlet(np.full(clusters, 5.0))
    q, _ = np.linalg.qr(rng.standard_normal((d_b, d_b)))
    Q = q[:d_a].astype(np.float32)

    def draw(m):
        labels = rng.choice(clusters, m, p=weights)
        return (centres[labels] + noise * rng.standard_normal((m, d_a))).astype(np.float32)

    return draw(n), draw(n) @ Q, Q, draw


def planted_mixture(rng, d_a, d_b, clusters=40, spread=1.0):
    """(draw, Q): draw(m) samples m rows of an overlapping Gaussian mixture in d_a dims whose clusters each have their
    own random anisotropic covariance; Q (d_a, d_b) has orthonormal rows. Unpaired B rows are draw(m) @ Q.

    Unlike :func:`planted_pair` (tight isotropic clusters: only the centres are identifiable), these rows have
    structure at every scale, as real embeddings do, so a map can be scored by paired top-1 on fresh draws. Larger
    ``spread`` blurs the clusters together until the map can no longer be found from a few thousand rows."""
    centres = rng.standard_normal((clusters, d_a))
    shapes = (rng.standard_normal((clusters, d_a, d_a)) * (spread / np.sqrt(d_a))
              * rng.uniform(0.3, 1.5, (clusters, 1, d_a)))
    weights = rng.dirichlet(np.full(clusters, 5.0))
    q, _ = np.linalg.qr(rng.standard_normal((d_b, d_b)))
    Q = q[:d_a].astype(np.float32)

    def draw(m):
        labels = rng.choice(clusters, m, p=weights)
        noise = rng.standard_normal((m, d_a))
        return (centres[labels] + np.einsum("nd,nde->ne", noise, shapes[labels])).astype(np.float32)

    return draw, Q


# --- hypothesis profiles (property and fuzz tests) --------------------------------------------------------------
# "ci" (default): reproducible (derandomize: the same cases on every run), no deadline (2 shared cores make per-case
# timings noisy), sized so the whole property and fuzz suite stays well under a minute. "thorough": many more cases,
# random each run, for a one-off deep check: HYPOTHESIS_PROFILE=thorough pytest tests/test_properties_*.py
# tests/test_fuzz_*.py --hypothesis-show-statistics. No example database in either, so nothing is written into the
# working tree (a failure prints the falsifying example and, in "thorough", its @reproduce_failure blob).
import os as _os
import tempfile as _tempfile

from hypothesis import HealthCheck as _HealthCheck, Phase as _Phase, settings as _settings
from hypothesis.configuration import set_hypothesis_home_dir as _set_hypothesis_home_dir

# Hypothesis caches Unicode tables for text() strategies in ./.hypothesis: keep them out of the working tree.
_set_hypothesis_home_dir(_os.path.join(_tempfile.gettempdir(), "vec2vec_fast-hypothesis"))

_settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, database=None, print_blob=False,
    phases=[_Phase.explicit, _Phase.reuse, _Phase.generate, _Phase.target, _Phase.shrink],  # no "explain": slow
    suppress_health_check=[_HealthCheck.too_slow, _HealthCheck.data_too_large],
)
_settings.register_profile(
    "thorough", max_examples=1000, deadline=None, database=None, print_blob=True,
    suppress_health_check=[_HealthCheck.too_slow, _HealthCheck.data_too_large],
)
_settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Hypothesis seeds numpy's global RNG around every example (np.random.seed, then restores the state), and numpy cannot
# forget that it was seeded. From then on scipy.optimize.quadratic_assignment called without an explicit `rng` (as in
# test_qap.py) warns "The NumPy global RNG was seeded by calling `np.random.seed`", an error under
# filterwarnings=error, in whichever test runs after any property test. The warning is about the test harness, not
# about this library (which never touches the global RNG), so it alone is silenced.
import warnings as _warnings


@pytest.fixture(autouse=True)
def _numpy_global_rng_seeded_by_hypothesis():
    with _warnings.catch_warnings():
        _warnings.filterwarnings("ignore", message="The NumPy global RNG was seeded by calling `np.random.seed`",
                                 category=FutureWarning)
        yield
