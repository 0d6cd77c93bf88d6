"""Gaussian-noise stand-in for a target side (same training mean and covariance)."""
import numpy as np

from common import load, unit


def noise_like(pair):
    D = load(pair)
    raw = D["t_tr_raw"].astype(np.float64)
    mu, C = raw.mean(0), np.cov(raw, rowvar=False)
    g = np.random.default_rng(7).multivariate_normal(mu, C, size=len(raw))
    return unit(g - g.mean(0)).astype(np.float32)


