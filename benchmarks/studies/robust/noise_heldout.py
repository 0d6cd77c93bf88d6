"""Negative control scored on HELD-OUT noise rows (rows of the Gaussian target not used by the OT fit) against a
fresh Gaussian draw: removes the fit-sample overlap that inflates conf_noise.json's v2 gain. Also scores the real
OT-refined map on the real target's held-out rows for comparison. Usage: python noise_heldout.py pair"""
import sys

import conf_sweep_noise
import numpy as np
from conf_sweep_noise import noise_like
from confidence import score

from common import *

pair = sys.argv[1]
D = load(pair)
Zn = noise_like(pair)
rng = np.random.default_rng(0)
rng.choice(len(D["s_tr"]), min(8000, len(D["s_tr"])), replace=False)
used = rng.choice(len(Zn), min(8000, len(Zn)), replace=False)
held = np.setdiff1d(np.arange(len(Zn)), used)
ns = {}; exec(open(conf_sweep_noise.__file__).read().replace("default_rng(7)", "default_rng(8)"), ns)
N2 = ns["noise_like"](pair)
W = np.load(f"{OUT}/pipe_W/{pair}_noise.npy")
s_held = score(W, D["s_tr"], Zn[held], n=len(held))
s_fresh = score(W, D["s_tr"], N2[:len(held)], n=len(held))
Wr = np.load(f"{OUT}/ot_W/{pair}_mini_s0_ot0.03_n8000_s0.npy")
r_held = score(Wr, D["s_tr"], D["t_tr"][held], n=len(held))
r_gauss = score(Wr, D["s_tr"], Zn[held], n=len(held))
out = dict(n_held=int(len(held)), noise_fit_csls_sg_heldout=s_held["csls"] - s_fresh["csls"],
           real_ot_csls_sg_heldout=r_held["csls"] - r_gauss["csls"], noise_held=s_held, noise_fresh=s_fresh,
           real_held=r_held, real_vs_gauss=r_gauss)
res = load_json("conf_noise.json", {}); res.setdefault(pair, {})["heldout"] = out; save_json("conf_noise.json", res)
print(pair, {k: v for k, v in out.items() if not isinstance(v, dict)}, flush=True)
