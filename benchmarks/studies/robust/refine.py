"""Self-learning refinement from an initial map. Usage:
  python refine.py OUT.json pair init_key cfg_name [cfg_name ...]
init_key: mini_s0 | mini_s1 | ceiling | file:<path.npy>. Config names defined in CONFIGS below.
Each result: top-1/mean rank after every recorded round, seconds, label-free diagnostics (final)."""
import sys
import time

import numpy as np
import torch
from refine_lib import dictionary, fit_map, induce

from common import *

CONFIGS = {
    # name: dict(rows, k, mode, kind, iters, stoch, ridge)
    "muse_orth_mutual_8k": dict(rows=8000, mode="mutual", kind="orth"),
    "orth_union_8k": dict(rows=8000, mode="union", kind="orth"),
    "orth_union_all": dict(rows=None, mode="union", kind="orth"),
    "orth_fwd_8k": dict(rows=8000, mode="fwd", kind="orth"),
    "ridge_union_8k": dict(rows=8000, mode="union", kind="ridge"),
    "ridge_mutual_8k": dict(rows=8000, mode="mutual", kind="ridge"),
    "vecmap_union_8k": dict(rows=8000, mode="union", kind="vecmap"),
    "vecmap1s_union_8k": dict(rows=8000, mode="union", kind="vecmap_onesided"),
    "vecmap_union_stoch_8k": dict(rows=8000, mode="union", kind="vecmap", stoch=True),
    "orth_union_stoch_8k": dict(rows=8000, mode="union", kind="orth", stoch=True),
    "vecmap_union_all": dict(rows=None, mode="union", kind="vecmap"),
}


def run(pair, W0, cfg, seed=0, max_iters=6, k=10, tol=1e-3, log=True):
    D = load(pair)
    rng = np.random.default_rng(seed)
    X, Z = D["s_tr"], D["t_tr"]
    if cfg.get("rows"):
        X = X[rng.choice(len(X), min(cfg["rows"], len(X)), replace=False)]
        Z = Z[rng.choice(len(Z), min(cfg["rows"], len(Z)), replace=False)]
    Xt, Zt = torch.from_numpy(X), torch.from_numpy(Z)
    gen = torch.Generator().manual_seed(seed)
    Wx, Wz = W0, None
    hist = []
    best_obj, p = -np.inf, (0.1 if cfg.get("stoch") else 1.0)
    since, t0 = 0, time.time()
    for it in range(max_iters):
        Xm = torch.from_numpy(unit(X @ Wx))
        Zm = torch.from_numpy(unit(Z @ Wz)) if Wz is not None else Zt
        ind = induce(Xm, Zm, k=k, keep_p=p, gen=gen)
        src, trg = dictionary(ind, cfg["mode"])
        obj = float(ind["fwd_val"].mean()) if p == 1.0 else float("nan")
        mutual = float((ind["bwd"][ind["fwd"]] == torch.arange(len(X))).float().mean())
        m = fit_map(X[src.numpy()], Z[trg.numpy()], kind=cfg["kind"], ridge=cfg.get("ridge", 1e-2))
        Wx, Wz = m["Wx"], m["Wz"]
        h = dict(it=it, p=p, obj=obj, mutual_frac=mutual, dict_size=int(len(src)))
        if log and (it % 4 == 0 or it == max_iters - 1):
            h.update(evaluate(Wx, pair, Wz))
        hist.append(h)
        if log:
            print(pair, it, h, round(time.time() - t0, 1), flush=True)
        if p < 1.0:
            if it % 3 == 2:
                p = min(1.0, 2 * p)
            continue
        if obj > best_obj + tol:
            best_obj, since = obj, 0
        else:
            since += 1
            if since >= 2:
                break
    sec = time.time() - t0
    final = evaluate(Wx, pair, Wz)
    return dict(Wx=Wx, Wz=Wz, hist=hist, seconds=sec, final=final, final_obj=hist[-1]["obj"],
                final_mutual=hist[-1]["mutual_frac"], iters=len(hist))


def get_init(pair, key):
    if key == "ceiling":
        return ceiling(pair)
    if key.startswith("file:"):
        return np.load(key[5:])
    return np.load(f"{OUT}/mini_W/{pair}_{key.split('_')[1]}.npy")


if __name__ == "__main__":
    outname, pair, init = sys.argv[1:4]
    res = load_json(outname, {})
    for name in sys.argv[4:]:
        key = f"{pair}|{init}|{name}"
        if key in res:
            continue
        r = run(pair, get_init(pair, init), CONFIGS[name])
        res[key] = {k: v for k, v in r.items() if k not in ("Wx", "Wz")}
        save_json(outname, res)
        print("RESULT", key, r["final"], round(r["seconds"], 1), "iters", r["iters"], flush=True)
