"""Label-free confidence scores of a map W (source -> target), computed on training rows only (no pairs):
  mnn      : fraction of mutual nearest neighbours (CSLS k=10) between n mapped source rows and n target rows
  mnn_null : the same for a random semi-orthogonal map (a chance baseline computed on the same data)
  mnn_ratio: mnn / mnn_null  (good maps >> 1; a structureless target gives ~1 for every map)
  csls     : mean forward CSLS of the matches; top1cos: mean cos of each mapped row to its nearest target row
  cycle    : (when a reverse map is given) mean cos(x, unit(unit(x W) W_rev))
score(W, X, Z) returns a dict; X, Z unit rows (centred with own training means)."""
import numpy as np
import torch
from refine_lib import induce

from common import unit


def rand_orth(dx, dz, seed):
    g = np.random.default_rng(seed).standard_normal((dx, dz))
    U, _, Vt = np.linalg.svd(g, full_matrices=False)
    return (U @ Vt).astype(np.float32)


def _mnn(X, Z, W):
    ind = induce(torch.from_numpy(unit(X @ W)), torch.from_numpy(Z), k=10)
    m = float((ind["bwd"][ind["fwd"]] == torch.arange(len(X))).float().mean())
    # raw top-1 cos: CSLS val = 2cos - r_t - r_s  -> not raw; recompute cheaply from fwd indices
    Xm = unit(X @ W)
    cos = np.einsum("ij,ij->i", Xm, Z[ind["fwd"].numpy()])
    return m, float(ind["fwd_val"].mean()), float(cos.mean())


def score(W, X, Z, n=4000, seed=0, W_rev=None, n_null=1):
    rng = np.random.default_rng(seed)
    Xs = X[rng.choice(len(X), min(n, len(X)), replace=False)]
    Zs = Z[rng.choice(len(Z), min(n, len(Z)), replace=False)]
    m, c, t = _mnn(Xs, Zs, W)
    nulls = np.array([_mnn(Xs, Zs, rand_orth(W.shape[0], W.shape[1], 1000 + i)) for i in range(n_null)]).mean(0)
    out = dict(mnn=m, csls=c, top1cos=t, mnn_null=float(nulls[0]), csls_null=float(nulls[1]),
               top1cos_null=float(nulls[2]), csls_gain=c - float(nulls[1]), top1cos_gain=t - float(nulls[2]))
    if W_rev is not None:
        back = unit(unit(Xs @ W) @ W_rev)
        out["cycle"] = float(np.einsum("ij,ij->i", back, Xs).mean())
    return out
