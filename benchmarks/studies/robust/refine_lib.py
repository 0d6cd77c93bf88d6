"""Refinement building blocks (torch, CPU, blocked: never materialises more than block x n similarities).

induce(): CSLS retrieval between mapped source rows Xm and target rows Z, forward/backward argmax, optional
stochastic dropout of similarities (VecMap), returns dictionary pairs and diagnostics.
fit_map(): orthogonal Procrustes / ridge least squares / VecMap whiten-orth-reweight-dewhiten on dictionary pairs.
"""
import numpy as np
import torch

BLOCK = 2048


def _topk_cols_merge(run, blk, k):
    if run is None:
        return blk.topk(k, dim=0).values
    return torch.cat([run, blk], 0).topk(k, dim=0).values


def induce(Xm, Z, k=10, keep_p=1.0, gen=None, csls=True):
    """Xm (n,d) mapped source (unit rows), Z (m,d) target (unit rows), torch float32.
    Returns fwd (n,) target index per source row, fwd_val (n,) its CSLS, bwd (m,) source index per target row,
    bwd_val (m,), r_t (n,), r_s (m,) (mean cos of k nearest across)."""
    n, m = len(Xm), len(Z)
    r_t = torch.empty(n)
    colk = None
    if csls:
        for i in range(0, n, BLOCK):
            S = Xm[i:i + BLOCK] @ Z.T
            r_t[i:i + BLOCK] = S.topk(k, dim=1).values.mean(1)
            colk = _topk_cols_merge(colk, S.topk(min(k, len(S)), dim=0).values, k)
        r_s = colk.mean(0)
    else:
        r_t.zero_(); r_s = torch.zeros(m)
    fwd = torch.empty(n, dtype=torch.long); fwd_val = torch.empty(n)
    bwd_val = torch.full((m,), -float("inf")); bwd = torch.zeros(m, dtype=torch.long)
    for i in range(0, n, BLOCK):
        S = Xm[i:i + BLOCK] @ Z.T
        if csls:
            S.mul_(2).sub_(r_t[i:i + BLOCK, None]).sub_(r_s[None, :])
        if keep_p < 1.0:
            mask = torch.rand(S.shape, generator=gen) >= keep_p
            S.masked_fill_(mask, -float("inf"))
        v, j = S.max(1)
        fwd[i:i + BLOCK] = j; fwd_val[i:i + BLOCK] = v
        cv, cj = S.max(0)
        upd = cv > bwd_val
        bwd_val[upd] = cv[upd]; bwd[upd] = cj[upd] + i
    return dict(fwd=fwd, fwd_val=fwd_val, bwd=bwd, bwd_val=bwd_val, r_t=r_t, r_s=r_s)


def dictionary(ind, mode="mutual"):
    """mode: 'mutual' (mutual NN), 'union' (forward pairs + backward pairs, VecMap 'union'), 'fwd'."""
    fwd, bwd = ind["fwd"], ind["bwd"]
    n = len(fwd)
    src = torch.arange(n)
    if mode == "fwd":
        return src, fwd
    if mode == "mutual":
        ok = bwd[fwd] == src
        return src[ok], fwd[ok]
    if mode == "union":
        m = len(bwd)
        return torch.cat([src, bwd]), torch.cat([fwd, torch.arange(m)])
    raise ValueError(mode)


def whiten_tf(X):
    C = X.T @ X
    s, V = np.linalg.eigh(C.astype(np.float64))
    s = np.maximum(s, 1e-8 * s.max())
    return (V @ np.diag(s ** -0.5) @ V.T), (V @ np.diag(s ** 0.5) @ V.T)


def fit_map(Xd, Zd, kind="orth", ridge=1e-2, w=None):
    """Xd, Zd numpy paired rows. Returns dict with 'Wx' (dx,r) and 'Wz' (dz,r) applied to each side before cosine
    (one-sided maps have Wz = None)."""
    Xd = Xd.astype(np.float64); Zd = Zd.astype(np.float64)
    if w is not None:
        Xw, Zw = Xd * np.sqrt(w)[:, None], Zd * np.sqrt(w)[:, None]
    else:
        Xw, Zw = Xd, Zd
    if kind == "orth":
        U, _, Vt = np.linalg.svd(Xw.T @ Zw, full_matrices=False)
        return dict(Wx=(U @ Vt).astype(np.float32), Wz=None)
    if kind == "ridge":
        dx = Xw.shape[1]
        lam = ridge * np.trace(Xw.T @ Xw) / dx
        W = np.linalg.solve(Xw.T @ Xw + lam * np.eye(dx), Xw.T @ Zw)
        return dict(Wx=W.astype(np.float32), Wz=None)
    if kind.startswith("vecmap"):
        # VecMap (Artetxe 2018) unsupervised defaults: whiten, orth, reweight 0.5 both, dewhiten src/trg
        wx1, wx1i = whiten_tf(Xw); wz1, wz1i = whiten_tf(Zw)
        xw, zw = Xw @ wx1, Zw @ wz1
        U, s, Vt = np.linalg.svd(xw.T @ zw, full_matrices=False)
        wx2, wz2 = U, Vt.T
        re = 0.5
        Wx = wx1 @ wx2 @ np.diag(s ** re) @ (wx2.T @ wx1i @ wx2)
        Wz = wz1 @ wz2 @ np.diag(s ** re) @ (wz2.T @ wz1i @ wz2)
        if kind == "vecmap_onesided":  # express as one map into the target frame: Wx Wz^+
            return dict(Wx=(Wx @ np.linalg.pinv(Wz)).astype(np.float32), Wz=None)
        return dict(Wx=Wx.astype(np.float32), Wz=Wz.astype(np.float32))
    raise ValueError(kind)
