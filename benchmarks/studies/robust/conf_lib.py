"""The library's confidence (vec2vec_fast.confidence.score_map) on ceiling/random interpolations, Gaussian B and
planted pairs: score, null spread, status."""
import sys

import numpy as np

sys.path.insert(0, "../../../tests")
from common import PAIRS, ceiling, evaluate, load, unit  # noqa: E402
from conftest import planted_pair  # noqa: E402
from vec2vec_fast.confidence import score_map  # noqa: E402


def polar(M):
    U, _, Vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return (U @ Vt).astype(np.float32)


def show(tag, c):
    print(f"{tag:40s} score={c['score']:.4f} spread={c['null_spread']:.4f} {c['status']}", flush=True)


rng = np.random.default_rng(1)
for pair in PAIRS:
    D = load(pair)
    x, z = D["s_tr"][:2000], D["t_tr"][:2000]
    Wc = ceiling(pair)
    R = polar(rng.standard_normal(Wc.shape))
    for a in [0.0, 0.5, 0.6, 0.7, 1.0]:
        W = polar((1 - a) * Wc + a * R)
        show(f"{pair} a={a} top1={evaluate(W, pair)['top1']:.3f}", score_map(x, z, W, rng))
    for h in [300, 1000]:
        g = rng.multivariate_normal(z.mean(0), np.cov(z, rowvar=False), size=h).astype(np.float32)
        show(f"{pair} gaussianB h={h}", score_map(x[:h], unit(g - g.mean(0)), Wc, rng))
        show(f"{pair} random h={h}", score_map(x[:h], z[:h], R, rng))
for d_a, d_b in [(12, 12), (12, 20), (32, 48)]:
    for s in range(3):
        r = np.random.default_rng(s)
        a, b, Q, draw = planted_pair(r, d_a, d_b)
        x, z = unit(a - a.mean(0))[:300], unit(b - b.mean(0))[:300]
        for al in [0.0, 0.5, 1.0]:
            show(f"planted {d_a}->{d_b} s{s} a={al}", score_map(x, z, polar((1 - al) * Q + al * polar(r.standard_normal(Q.shape))), r))
        g = r.multivariate_normal(b.mean(0), np.cov(b, rowvar=False), size=300).astype(np.float32)
        show(f"planted {d_a}->{d_b} s{s} gaussianB", score_map(x, unit(g - g.mean(0)), Q, r))
