"""Structure gain of maps on the negative control: for a map W fitted against Gaussian noise N1 (target's mean and
covariance), score(W; N1) - score(W; N2) with N2 a fresh Gaussian draw of the same law. Compare with real maps:
score(W; Z) - score(W; N1) (conf.json: top-level minus 'noise'). Usage: python noise_score.py pair"""
import sys

import conf_sweep_noise
import numpy as np
from conf_sweep_noise import noise_like
from confidence import score

from common import *

pair = sys.argv[1]
D = load(pair)
W = np.load(f"{OUT}/pipe_W/{pair}_noise.npy")
N1 = noise_like(pair)
src = open(conf_sweep_noise.__file__).read()
ns = {}
exec(src.replace("default_rng(7)", "default_rng(8)"), ns)
N2 = ns["noise_like"](pair)
s1, s2 = score(W, D["s_tr"], N1), score(W, D["s_tr"], N2)
res = load_json("conf_noise.json", {})
res.setdefault(pair, {})["v2"] = dict(on_fit_noise=s1, on_fresh_noise=s2,
                                      top1cos_structure_gain=s1["top1cos"] - s2["top1cos"],
                                      csls_structure_gain=s1["csls"] - s2["csls"])
save_json("conf_noise.json", res)
print(pair, res[pair]["v2"], flush=True)
