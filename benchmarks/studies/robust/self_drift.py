"""Does the polish drift where the two sides are the same model? A's training rows (half 1) against A's half-2 rows
(other sentences, same model) turned by a seeded random rotation R: the true map is R exactly, so any drift of the
polish from R is the finite sample's alone, not the other model's. Plain whitened polish rounds (eps 0.03, ridge 1,
as fixed_point.py) from R and from R turned by a small random rotation, top-1 on A's held-out rows against the same
rows turned by R, after 1, 2, 4, 8, 16, 32 rounds, and the distance of the map from R.
usage (repository root): python benchmarks/studies/robust/self_drift.py DATA PAIR [TURN]   (logs/self_drift_*.log)"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast._numerics import preprocess  # noqa: E402
from vec2vec_fast.transport import ot_refine  # noqa: E402

data, pair = Path(sys.argv[1]), sys.argv[2]
turn = float(sys.argv[3]) if len(sys.argv) > 3 else 0.3
a_raw, _ = bq.load_pair(pair, data, False)
h1, h2, ev = bq.split(len(a_raw), False, None)
d = a_raw.shape[1]
rng = np.random.default_rng(0)
R = np.linalg.qr(rng.standard_normal((d, d)))[0].astype(np.float32)
mean_a = a_raw[h1].mean(0)
x = preprocess(a_raw[h1], mean_a)
z = preprocess(a_raw[h2], a_raw[h2].mean(0)) @ R
ev_a = bq.unit(a_raw[ev] - mean_a)
ev_b = bq.unit(a_raw[ev] - a_raw[h2].mean(0)) @ R


def near(W, angle):
    """W turned by a seeded random rotation of about ``angle`` radians per plane (the polish's start away from R)."""
    g = np.random.default_rng(1).standard_normal((d, d))
    skew = (g - g.T) / np.sqrt(2 * d)
    u, s, vt = np.linalg.svd(np.eye(d) + angle * skew)
    return (W @ (u @ vt)).astype(np.float32)


maps = {"R": R, f"R turned {turn}": near(R, turn)}
print(pair, "A side only,", len(x), "rows a side,", d, "d", flush=True)
for name, W in maps.items():
    print(f"  start {name}: top-1 {bq.quality(W, ev_a, ev_b)['top1']:.4f}, |W - R| / sqrt(d) "
          f"{np.linalg.norm(W - R) / np.sqrt(d):.4f}", flush=True)
done = 0
for total in (1, 2, 4, 8, 16, 32):
    line = []
    for name in maps:
        maps[name], hist = ot_refine(x, z, maps[name], eps=0.03, max_rounds=total - done, sweeps=10, tol=-1.0,
                                     n_threads=1, ridge=1.0)
        W = maps[name]
        line.append(f"{name}: {bq.quality(W, ev_a, ev_b)['top1']:.4f} (|W - R| {np.linalg.norm(W - R) / np.sqrt(d):.4f},"
                    f" obj {hist[-1]['objective']:.5f})")
    done = total
    print(f"  {total:2d} rounds: " + "  ".join(line), flush=True)
