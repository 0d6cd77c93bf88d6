"""Is the polished map's error in directions a retrieval could do without? Projects A's rows (or the mapped rows)
onto their top-k principal axes, or weighs the axes by a power of their variance, and compares the supervised map's
top-1 with a polished map's (the scored map, then 16 plain polish rounds: study_pair.polish).
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/truncate_map.py PAIR
(logs/truncate_map_*.log)"""
import sys

import numpy as np
import study_pair as sp


def report(what, side, S, ceiling, polished, top1):
    def apply(W):
        return S @ W if side == "A" else W @ S
    print(f"  {what}: ceiling {top1(apply(ceiling)):.4f} polished {top1(apply(polished)):.4f}", flush=True)


pair = sys.argv[1]
p = sp.load(pair)
Wp = sp.polish(p, p.W0, 16)
print(pair, "ceiling", p.top1(p.ceiling), "scored", p.top1(p.W0), "polished", p.top1(Wp), flush=True)
for side, X in (("A", p.x), ("B", p.z)):
    w, V = np.linalg.eigh(X.T @ X / len(X))
    w, V = w[::-1], V[:, ::-1]
    for k in (32, 64, 128, 192, 256, 320):
        report(f"project {side} onto top {k}", side, V[:, :k] @ V[:, :k].T, p.ceiling, Wp, p.top1)
    for gamma in (0.25, 0.5):
        report(f"weight {side} by variance^{gamma}", side, V @ np.diag((w / w.max()) ** gamma) @ V.T, p.ceiling, Wp,
               p.top1)
