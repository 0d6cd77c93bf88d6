"""Shared fixtures: a seeded generator per test, never global seeding."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def make_blobs(rng, n, d, centers, spread=0.3):
    """Well-separated Gaussian blobs: (X float32, true labels)."""
    means = rng.standard_normal((centers, d)) * 4.0
    labels = rng.integers(0, centers, size=n)
    x = means[labels] + spread * rng.standard_normal((n, d))
    return x.astype(np.float32), labels
