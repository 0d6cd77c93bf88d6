"""Where does a low-basin map go wrong? MiniLM -> e5 seeds whose polish converges near top-1 0.88 against one near
0.92: per-row ranks on the held-out pairs, grouped by k-means clusters of A's held-out rows. A misaligned group of
clusters (a local fault a re-match could fix) shows as a few clusters with much lower top-1; a spread-out loss as
every cluster a little lower.
usage (repository root): python benchmarks/studies/robust/low_basin.py PAIR GOOD_SEED LOW_SEED [CLUSTERS]"""
import sys

import numpy as np

sys.path.insert(0, "benchmarks")
from study_pair import load

import bench_quality as bq
from vec2vec_fast import kmeans
from vec2vec_fast.transport import ot_refine

pair, good, low = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
k = int(sys.argv[4]) if len(sys.argv) > 4 else 20
ranks = {}
for seed in (good, low):
    p = load(pair, seed)
    W, _ = ot_refine(p.x, p.z, p.W0, eps=0.03, max_rounds=16, sweeps=10, tol=-1.0, n_threads=2, ridge=1.0)
    ranks[seed] = bq.ranks(bq.unit(p.ev_a @ W), p.ev_b)
labels = kmeans(p.ev_a, k, seed=0).labels
print(f"{pair}: top-1 seed {good} {np.mean(ranks[good] == 1):.4f}, seed {low} {np.mean(ranks[low] == 1):.4f}")
print("cluster  rows  top1_good  top1_low  mean_rank_good  mean_rank_low")
for c in np.argsort([np.mean(ranks[low][labels == c] == 1) - np.mean(ranks[good][labels == c] == 1)
                     for c in range(k)]):
    m = labels == c
    print(f"{c:7d} {m.sum():5d} {np.mean(ranks[good][m] == 1):10.3f} {np.mean(ranks[low][m] == 1):9.3f} "
          f"{np.mean(ranks[good][m]):15.2f} {np.mean(ranks[low][m]):14.2f}")
