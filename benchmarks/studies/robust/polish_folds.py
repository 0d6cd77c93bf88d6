"""The method's polish (at least 8 rounds, then until the objective gains < 1e-4, at most 32; whitened, eps 0.03) from
mini-ot's cached scored map, with 1 (plain), 5 and 10 cross-fitted folds: top-1 on the held-out pairs, the rounds run
and the objective per round.
usage (repository root): python benchmarks/studies/robust/polish_folds.py PAIR:SEED ... (logs/polish_folds.log)"""
import sys
import time

from study_pair import load
from vec2vec_fast.transport import ot_refine

for spec in sys.argv[1:]:
    pair, seed = spec.split(":")
    p = load(pair, int(seed))
    line = [f"{pair} seed {seed}: scored {p.top1(p.W0):.4f}"]
    for folds in (1, 5, 10):
        t = time.perf_counter()
        W, hist = ot_refine(p.x, p.z, p.W0, eps=0.03, max_rounds=32, sweeps=10, tol=1e-4, n_threads=2, ridge=1.0,
                            min_rounds=8, folds=folds)
        line.append(f"folds {folds}: {p.top1(W):.4f} ({len(hist)} rounds, {time.perf_counter() - t:.0f} s)")
        print("   ", folds, " ".join(f"{h['objective']:.4f}" for h in hist), flush=True)
    print("  ".join(line), flush=True)
