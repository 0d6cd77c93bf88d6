"""Can a coarser plan move a map out of a lower basin? On MiniLM -> e5 some seeds' polish converges near top-1 0.88
and others near 0.92, with a higher objective. Polish schedules from mini-ot's scored map (ridge-whitened step, all
training rows): 16 rounds at eps 0.03 against a few rounds at a larger eps first, then 0.03.
usage (repository root): python benchmarks/studies/robust/basin.py PAIR SEED [SEED ...]"""
import sys
import time

from study_pair import load
from vec2vec_fast.transport import ot_refine

SCHEDULES = {"0.03x16": [(0.03, 16)], "0.045x4": [(0.045, 4), (0.03, 12)], "0.06x4": [(0.06, 4), (0.03, 12)],
             "0.1x4": [(0.1, 4), (0.03, 12)]}
pair = sys.argv[1]
for seed in map(int, sys.argv[2:]):
    p = load(pair, seed)
    print(f"{pair} seed {seed}: scored {p.top1(p.W0):.4f}", flush=True)
    for name, schedule in SCHEDULES.items():
        t, W, line = time.perf_counter(), p.W0, []
        for eps, rounds in schedule:
            W, hist = ot_refine(p.x, p.z, W, eps=eps, max_rounds=rounds, sweeps=10, tol=-1.0, n_threads=1, ridge=1.0)
            line.append(f"eps {eps} x{rounds}: {p.top1(W):.4f}")
        print(f"  {name:8s} " + ", ".join(line) + f"  objective {hist[-1]['objective']:.5f} "
              f"({time.perf_counter() - t:.0f}s)", flush=True)
