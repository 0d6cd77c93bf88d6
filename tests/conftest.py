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
