"""Does a candidate find the first correspondence more often with fewer anchor clusters? The eighth round found
mini's k-means + QAP runs on MiniLM -> USE WordNet glosses mostly right more often at 12 clusters than at 20 (mean
share of confirmed centroid pairs 0.47 against 0.24), but never ran a candidate end to end with them. For each
cluster count and mini seed: mini-ot's single candidate (candidates=1, no polish: mini, then the transport rounds),
its top-1 on the held-out pairs and its confidence score.
usage (repository root): python benchmarks/studies/robust/cand_clusters.py DATA_DIR PAIR CLUSTERS,... SEED ..."""
import sys
import time
import warnings

from study_pair import protocol

from vec2vec_fast import Aligner

data_dir, pair = sys.argv[1], sys.argv[2]
clusters = [int(c) for c in sys.argv[3].split(",")]
seeds = [int(s) for s in sys.argv[4:]]
p = protocol(data_dir, pair)
for c in clusters:
    for s in seeds:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            al = Aligner(seed=s, candidates=1, polish_rounds=0, anchor_clusters=c).fit(p.a_raw[p.h1], p.b_raw[p.h2])
        print(f"{pair} clusters {c} seed {s}: top-1 {p.top1(al.W_):.4f} score {p.score(al.W_):.4f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
