"""Negative control: the recommended refinement (OT eps 0.03, 8000 rows, 5 rounds, from mini's map of the real
pair) run against a target replaced by Gaussian noise with the target's training mean and covariance; then the
label-free scores of the result on that noise target. Usage: python noise_pipe.py pair -> conf_noise.json"""
import os
import sys
import time

import numpy as np
from conf_sweep_noise import noise_like
from confidence import score
from refine_ot import ot_refine

from common import *

pair = sys.argv[1]
D = load(pair)
Zn = noise_like(pair)
rng = np.random.default_rng(0)
X = D["s_tr"][rng.choice(len(D["s_tr"]), min(8000, len(D["s_tr"])), replace=False)]
Z = Zn[rng.choice(len(Zn), min(8000, len(Zn)), replace=False)]
t = time.time()
W, hist = ot_refine(X, Z, np.load(f"{OUT}/mini_W/{pair}_s0.npy"), (0.03,), log=True)
sec = time.time() - t
os.makedirs(f"{OUT}/pipe_W", exist_ok=True)
np.save(f"{OUT}/pipe_W/{pair}_noise.npy", W)
res = load_json("conf_noise.json", {})
res[pair] = dict(score_on_noise=score(W, D["s_tr"], Zn), hist=hist, seconds=sec)
save_json("conf_noise.json", res)
print(pair, res[pair]["score_on_noise"], flush=True)
