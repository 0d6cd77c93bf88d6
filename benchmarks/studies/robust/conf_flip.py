"""Confidence with a covariance-preserving surrogate: B's held-out rows reflected along random principal axes
(same mean, same covariance, same cluster tightness; only the orientation relative to A is broken).
Scores maps between the ceiling and random (polar interpolation) on the real pairs, a Gaussian-B control, and the
synthetic planted pairs of the tests."""
import sys

import numpy as np

sys.path.insert(0, "../../../tests")
from common import PAIRS, ceiling, evaluate, load, unit  # noqa: E402


def polar(M):
    U, _, Vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return (U @ Vt).astype(np.float32)


def flips(z, rng, n):
    zc = z - z.mean(0)
    _, _, Vt = np.linalg.svd(zc.astype(np.float64), full_matrices=False)
    coords = zc @ Vt.T.astype(np.float32)
    out = []
    for _ in range(n):
        s = rng.choice([-1.0, 1.0], size=Vt.shape[0]).astype(np.float32)
        out.append(unit((coords * s) @ Vt.astype(np.float32) + z.mean(0)))
    return out


def stats(mapped, z, k=10):
    sim = mapped @ z.T
    k = min(k, *sim.shape)
    topk = -np.partition(-sim, k - 1, axis=1)[:, :k]
    r_b = topk.mean(1)
    r_a = np.mean(-np.partition(-sim, k - 1, axis=0)[:k, :], axis=0)
    csls = np.max(2 * sim - r_b[:, None] - r_a[None, :], axis=1)
    return {"max": sim.max(1), "knn": r_b, "csls": csls}


def score(x, z, W, rng, n_sur=4):
    mapped = unit(x @ W)
    real = stats(mapped, z)
    fakes = [stats(mapped, f) for f in flips(z, rng, n_sur)]
    out = {}
    for key in real:
        fake = np.mean([f[key] for f in fakes], axis=0)
        d = real[key] - fake
        out[key] = float(d.mean())
        out[key + "_t"] = float(d.mean() / (d.std() / np.sqrt(len(d)) + 1e-12))
    return out


def fmt(o):
    return " ".join(f"{k}={v:.4f}" for k, v in o.items() if not k.endswith("_t")) + " | t: " + " ".join(
        f"{o[k]:.1f}" for k in o if k.endswith("_t"))


rng = np.random.default_rng(0)
for pair in PAIRS if len(sys.argv) < 2 else sys.argv[1:]:
    D = load(pair)
    x, z = D["s_tr"][:2000], D["t_tr"][:2000]
    Wc = ceiling(pair)
    R = polar(rng.standard_normal(Wc.shape))
    for a in [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 1.0]:
        W = polar((1 - a) * Wc + a * R)
        ev = evaluate(W, pair)
        print(pair, f"alpha={a} top1={ev['top1']:.3f}", fmt(score(x, z, W, rng)), flush=True)
    # PCA-to-PCA map with random signs: covariance aligned, orientation wrong
    _, _, Va = np.linalg.svd(x - x.mean(0), full_matrices=False)
    _, _, Vb = np.linalg.svd(z - z.mean(0), full_matrices=False)
    m = min(len(Va), len(Vb))
    Wp = (Va[:m].T * rng.choice([-1, 1], m)) @ Vb[:m]
    print(pair, f"pca-signs top1={evaluate(Wp.astype(np.float32), pair)['top1']:.3f}", fmt(score(x, z, Wp, rng)))
    g = rng.multivariate_normal(z.mean(0), np.cov(z, rowvar=False), size=2000).astype(np.float32)
    print(pair, "gaussian-B ceiling-map", fmt(score(x, unit(g - g.mean(0)), Wc, rng)))
    print(pair, "gaussian-B pca-map", fmt(score(x, unit(g - g.mean(0)), Wp, rng)))

from conftest import planted_pair  # noqa: E402

for d_a, d_b in [(12, 12), (12, 20), (32, 48)]:
    for s in range(3):
        r = np.random.default_rng(s)
        a, b, Q, draw = planted_pair(r, d_a, d_b)
        ma, mb = a.mean(0), b.mean(0)
        x, z = unit(a - ma), unit(b - mb)
        R = polar(r.standard_normal(Q.shape))
        for al in [0.0, 0.5, 1.0]:
            W = polar((1 - al) * Q + al * R)
            print(f"planted {d_a}->{d_b} s{s} alpha={al}", fmt(score(x, z, W, r)))
        g = r.multivariate_normal(b.mean(0), np.cov(b, rowvar=False), size=2000).astype(np.float32)
        print(f"planted {d_a}->{d_b} s{s} gaussian-B", fmt(score(x, unit(g - g.mean(0)), Q, r)))
