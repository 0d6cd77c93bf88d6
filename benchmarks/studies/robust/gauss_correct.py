"""After the orthogonal map, a label-free linear correction: the Monge map between centred Gaussians with the mapped
A rows' covariance and B's (T = S^-1/2 (S^1/2 C S^1/2)^1/2 S^-1/2), so that mapped rows have B's second moments.
Evaluated on the ceiling map and on mini-ot's fitted map. Usage: gauss_correct.py DATA_DIR PAIR SEED
"""
import sys
from pathlib import Path

import numpy as np

from study_pair import protocol
from vec2vec_fast import Aligner
from vec2vec_fast._numerics import preprocess
from vec2vec_fast.procrustes import procrustes


def sqrtm(c, power=0.5, floor=1e-8):
    w, v = np.linalg.eigh(c)
    w = np.maximum(w, floor * w.max())
    return (v * w ** power) @ v.T


def monge(x_mapped, z, shrink=0.0):
    s = np.cov(x_mapped.T.astype(np.float64))
    c = np.cov(z.T.astype(np.float64))
    s = (1 - shrink) * s + shrink * np.trace(s) / len(s) * np.eye(len(s))
    c = (1 - shrink) * c + shrink * np.trace(c) / len(c) * np.eye(len(c))
    r = sqrtm(s)
    ri = sqrtm(s, -0.5)
    return (ri @ sqrtm(r @ c @ r) @ ri).astype(np.float32)


def main():
    pair, seed = sys.argv[2], int(sys.argv[3])
    p = protocol(sys.argv[1], pair)
    a_raw, b_raw, h1, h2, a, b, top1 = p.a_raw, p.b_raw, p.h1, p.h2, p.a, p.b, p.top1
    ceiling = procrustes(a, preprocess(b_raw[h1], p.mean_b))
    cache = Path(f"/tmp/gc_{pair}_{seed}.npz")
    if not cache.exists():
        al = Aligner(seed=seed).fit(a_raw[h1], b_raw[h2])
        np.savez(cache, W=al.W_)
    W = np.load(cache)["W"]
    for name, M in (("ceiling", ceiling), ("mini-ot", W)):
        row = [f"{name}: top-1 {top1(M):.4f}"]
        for shrink in (0.0, 0.1, 0.3):
            T = monge(a @ M, b, shrink)
            row.append(f"Monge shrink {shrink}: {top1(M @ T):.4f}")
        print("  ".join(row), flush=True)


if __name__ == "__main__":
    main()
