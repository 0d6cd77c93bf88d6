"""Does a wider basin find the first correspondence where the candidates' transport rounds miss it? From mini's map
(seeds given), the candidates' refinement (eps 0.03, up to 12 rounds) against rounds that start at a large eps and
anneal it down to 0.03 (a smoother objective first, as in Grave et al.'s Wasserstein Procrustes).
Usage: anneal_first.py DATA_DIR PAIR SEED [SEED ...]
"""
import sys
import time

from study_pair import protocol
from vec2vec_fast.mini import MiniParams, fit_mini
from vec2vec_fast.transport import ot_refine

SCHEDULES = {
    "eps 0.03 (candidates)": [0.03] * 12,
    "anneal 0.2 -> 0.03": [0.2, 0.2, 0.14, 0.14, 0.1, 0.1, 0.07, 0.07, 0.05, 0.05, 0.04, 0.03, 0.03, 0.03],
    "anneal 0.5 -> 0.03": [0.5, 0.5, 0.3, 0.3, 0.2, 0.2, 0.14, 0.1, 0.07, 0.05, 0.04, 0.03, 0.03, 0.03],
}


def main():
    pair, seeds = sys.argv[2], [int(s) for s in sys.argv[3:]]
    p = protocol(sys.argv[1], pair)
    a, b, top1, score = p.a, p.b, p.top1, p.score
    for seed in seeds:
        W0 = fit_mini(p.a_raw[p.h1], p.b_raw[p.h2], MiniParams(), seed=seed, n_threads=2).W
        line = [f"{pair} mini seed {seed}: mini {top1(W0):.3f}"]
        for name, schedule in SCHEDULES.items():
            t = time.perf_counter()
            W = W0
            if len(set(schedule)) == 1:  # as the candidates run it: one call, warm-started sweeps
                W, _ = ot_refine(a, b, W, eps=schedule[0], max_rounds=len(schedule), sweeps=10, tol=1e-4,
                                 n_threads=2)
            for eps in schedule if len(set(schedule)) > 1 else []:  # one call per round: 30 cold sweeps
                W, _ = ot_refine(a, b, W, eps=eps, max_rounds=1, sweeps=30, tol=-1.0, n_threads=2, min_rounds=1)
            line.append(f"{name}: {top1(W):.3f} (score {score(W):.4f}, {time.perf_counter() - t:.0f} s)")
        print(" | ".join(line), flush=True)


if __name__ == "__main__":
    main()
