"""Were eps 0.03 and ridge 1 (chosen for the plain polish) still the best for the cross-fitted one? 16 cross-fitted
rounds with momentum 0.5 (accel.py) from mini-ot's cached scored map, for each eps and ridge given.
usage (repository root): python benchmarks/studies/robust/eps_crossfit.py PAIR:SEED ... (logs/eps_crossfit.log)"""
import sys

from accel import rounds
from study_pair import load

for spec in sys.argv[1:]:
    pair, seed = spec.split(":")
    p = load(pair, int(seed))
    print(f"{pair} seed {seed}: scored {p.top1(p.W0):.4f}", flush=True)
    for eps, ridge in ((0.02, 1.0), (0.05, 1.0), (0.03, 0.3), (0.03, 3.0)):
        out = rounds(p, 0.5, n_rounds=16, eps=eps, ridge=ridge, show=(8, 16))
        print(f"  eps {eps} ridge {ridge}: " + "  ".join(f"{r}:{t1:.4f}/{o:.4f}" for r, t1, o, _ in out), flush=True)
