"""Calibration of the label-free confidence scores: for each directed pair, maps of graded quality
(W_t = polar((1-t) W_ceiling + t R), R random semi-orthogonal; t=1 is a failed/chance map) plus every fitted map
found on disk (mini_W, ot_W, gw_W, pipe_W), get top-1 (labels, for reference only) and the label-free scores.
Negative control: target replaced by Gaussian noise with the target's training mean and covariance; scores of the
same maps (and of the pipeline fitted on noise, if pipe_W/<pair>_noise*.npy exists) must flag failure.
Usage: python conf_sweep.py pair [pair ...]  -> conf.json"""
import glob
import os
import sys

import numpy as np
from confidence import rand_orth, score

from common import *

res = load_json("conf.json", {})


def noise_like(pair):
    D = load(pair)
    raw = D["t_tr_raw"].astype(np.float64)
    mu, C = raw.mean(0), np.cov(raw, rowvar=False)
    g = np.random.default_rng(7).multivariate_normal(mu, C, size=len(raw))
    return unit(g - g.mean(0)).astype(np.float32)


for pair in sys.argv[1:]:
    D = load(pair)
    X, Z = D["s_tr"], D["t_tr"]
    Zn = noise_like(pair)
    Wc = ceiling(pair)
    R = rand_orth(*Wc.shape, seed=99)
    maps = {}
    for t in [0.0, 0.6, 0.9, 1.0]:
        maps[f"interp{t}"] = procrustes(np.eye(Wc.shape[0], dtype=np.float32), ((1 - t) * Wc + t * R).astype(np.float32))
    for f in sorted(glob.glob(f"{OUT}/*_W/{pair}_*.npy")):
        if "noise" not in f and "ot0.05" not in f:
            maps[os.path.relpath(f, OUT)] = np.load(f)
    for name, W in maps.items():
        key = f"{pair}|{name}"
        if key in res:
            continue
        r = dict(**evaluate(W, pair), **score(W, X, Z), noise=score(W, X, Zn))
        res[key] = r; save_json("conf.json", res)
        print(key, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k != "noise"},
              "noise:", {k: round(v, 3) for k, v in r["noise"].items()}, flush=True)
