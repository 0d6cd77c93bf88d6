"""Where does the polish's fixed point differ from the ceiling map? In A's principal basis (training rows), the
hybrid polar(V_k V_kᵀ W_ceiling + (I - V_k V_kᵀ) W_polish) takes the ceiling on the top-k directions and the
polish on the rest; its top-1 on the held-out pairs shows which directions hold the damaging error.
usage (repository root): python benchmarks/studies/robust/error_dirs.py PAIR (logs/error_dirs_*.log)"""
import sys

import numpy as np

from study_pair import load, polar, polish

pair = sys.argv[1]
p = load(pair)
W_fp = polish(p, p.W0, 16)
x64 = p.x.astype(np.float64)
evals, V = np.linalg.eigh(x64.T @ x64 / len(x64))
V = V[:, ::-1]
evals = evals[::-1]
Wc, Wf = p.ceiling.astype(np.float64), W_fp.astype(np.float64)
print(pair, f"ceiling {p.top1(p.ceiling):.4f} polish16 {p.top1(W_fp):.4f}", flush=True)
for k in (8, 16, 32, 64, 128, 192, 256, 320):
    P = V[:, :k] @ V[:, :k].T
    top = polar(P @ Wc + (np.eye(len(P)) - P) @ Wf)
    bottom = polar(P @ Wf + (np.eye(len(P)) - P) @ Wc)
    share = evals[:k].sum() / evals.sum()
    err = np.linalg.norm(V[:, :k].T @ (Wf - Wc)) ** 2 / np.linalg.norm(Wf - Wc) ** 2
    print(f"  k {k:3d} (variance {share:.2f}, error share {err:.2f}): ceiling on top-k {p.top1(top):.4f}"
          f"  ceiling on the rest {p.top1(bottom):.4f}", flush=True)
