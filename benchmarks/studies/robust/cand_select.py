"""Which of several candidates to polish, and does a blend of two help? For each mini seed: mini-ot's single
candidate (candidates=1, no polish), then the method's polish (16 cross-fitted rounds, 5 folds, momentum 0.5,
whitened) from it; then the polish from polar(W_i + W_j) for pairs of candidates. Prints top-1 on the held-out pairs,
the confidence score (held-out rows, unpaired) and the last cross-fitted round's objective (out-of-fold plan cosine).
usage (repository root): python benchmarks/studies/robust/cand_select.py DATA_DIR PAIR SEED ... [--no-blends] (logs/cand_select_*.log)"""
import itertools
import sys
import time
import warnings

from study_pair import polar, protocol
from vec2vec_fast import Aligner
from vec2vec_fast.transport import ot_refine

blends = "--no-blends" not in sys.argv
args = [a for a in sys.argv[1:] if a != "--no-blends"]
data_dir, pair, seeds = args[0], args[1], [int(s) for s in args[2:]]
p = protocol(data_dir, pair)


def polish(W):
    return ot_refine(p.a, p.b, W, eps=0.03, max_rounds=16, sweeps=10, tol=1e-4, n_threads=2, ridge=1.0,
                     min_rounds=16, folds=5, momentum=0.5)


maps = {}
for s in seeds:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        al = Aligner(seed=s, candidates=1, polish_rounds=0).fit(p.a_raw[p.h1], p.b_raw[p.h2])
    W, own = al.W_, al.report_["ot_refinement"][-1]["objective"]
    t_fit = time.perf_counter() - t
    Wp, hist = polish(W)
    maps[s] = W
    trajectory = " ".join(f"{hist[k]['objective']:.5f}" for k in (3, 7, 11))
    print(f"seed {s}: scored top-1 {p.top1(W):.4f} score {p.score(W):.4f} | polished top-1 {p.top1(Wp):.4f} "
          f"score {p.score(Wp):.4f} objective {hist[-1]['objective']:.5f} first {hist[0]['objective']:.5f} "
          f"own {own:.5f} rounds 4/8/12 {trajectory} "
          f"({t_fit:.0f} + {time.perf_counter() - t - t_fit:.0f} s)", flush=True)
for i, j in itertools.combinations(seeds, 2) if blends else ():
    W = polar(maps[i] + maps[j])
    Wp, hist = polish(W)
    print(f"blend {i}+{j}: top-1 {p.top1(W):.4f} -> polished {p.top1(Wp):.4f} score {p.score(Wp):.4f} objective "
          f"{hist[-1]['objective']:.5f}", flush=True)
