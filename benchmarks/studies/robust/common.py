"""Shared data loading, protocol split, preprocessing, evaluation, and small linear-algebra helpers."""
import json
import os

import numpy as np
import torch

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
# The real pairs beside the repository (../shared/data, see its README); results and maps are written here.
DATA = os.environ.get("V2V_PAIRS_DIR", os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))
OUT = os.environ.get("V2V_STUDY_OUT", HERE)
PAIRS = ["use_AB", "use_BA", "e5_AB", "e5_BA"]
FOLDER = {"use": "minilm_use_wiki", "e5": "minilm_e5small_wiki"}


def unit(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32)


_cache = {}


def load(pair):
    """Returns dict: s_tr (source half1, prepped), t_tr (target half2, prepped), s_ev, t_ev (eval, prepped with
    training means), t_tr1 (target half1 prepped with target training mean; ONLY for the supervised ceiling),
    raw s_tr_raw/t_tr_raw for Aligner."""
    if pair in _cache:
        return _cache[pair]
    ds, d = pair.split("_")
    A = np.load(f"{DATA}/{FOLDER[ds]}/A.npy").astype(np.float32)
    B = np.load(f"{DATA}/{FOLDER[ds]}/B.npy").astype(np.float32)
    if d == "BA":
        A, B = B, A
    n = len(A)
    E = 8192 if n >= 3 * 8192 else 4096
    rest = n - E
    h = rest // 2
    s_raw, t_raw = A[:h], B[h:rest]
    ms, mt = s_raw.mean(0), t_raw.mean(0)
    out = dict(s_tr=unit(s_raw - ms), t_tr=unit(t_raw - mt), s_ev=unit(A[rest:] - ms), t_ev=unit(B[rest:] - mt),
               t_tr1=unit(B[:h] - mt), s_tr_raw=s_raw, t_tr_raw=t_raw, mean_s=ms, mean_t=mt, E=E)
    _cache[pair] = out
    return out


def evaluate(W, pair, Wz=None):
    """top-1 and 1-based mean rank of each mapped source eval row among all E target eval rows (cosine).
    Wz: optional map applied to the target rows too (two-sided VecMap maps into a shared space)."""
    D = load(pair)
    q = torch.from_numpy(unit(D["s_ev"] @ W))
    t = torch.from_numpy(unit(D["t_ev"] @ Wz) if Wz is not None else D["t_ev"])
    ranks = []
    for i in range(0, len(q), 2048):
        s = q[i:i + 2048] @ t.T
        diag = s[torch.arange(len(s)), torch.arange(i, i + len(s))]
        ranks.append((s > diag[:, None]).sum(1) + 1)
    r = torch.cat(ranks).double()
    return dict(top1=float((r == 1).double().mean()), mean_rank=float(r.mean()))


def procrustes(X, Y, w=None):
    """Semi-orthogonal W (dx, dy) maximising tr(W^T X^T diag(w) Y)."""
    M = (X * w[:, None]).T @ Y if w is not None else X.T @ Y
    U, _, Vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return (U @ Vt).astype(np.float32)


def ceiling(pair):
    D = load(pair)
    return procrustes(D["s_tr"], D["t_tr1"])


def save_json(name, obj):
    path = f"{OUT}/{name}"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def load_json(name, default=None):
    path = f"{OUT}/{name}"
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return default
