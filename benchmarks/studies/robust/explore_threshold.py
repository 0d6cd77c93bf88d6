"""One mini-ot fit with the exploring threshold (mini_ot.EXPLORE_BELOW, 0.9 in the method) set to THRESHOLD, split as
bench_quality.py splits the pair, printed as one JSON line: top-1 on the held-out pairs, status, the first two
candidates' agreement, whether it explored, the kept seed, seconds. Usage (repository root):
PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/explore_threshold.py DATA_DIR PAIR SEED THRESHOLD
(logs/explore_threshold.jsonl; study README, nineteenth round). The quick first candidates are judged by the same
constant, so a higher threshold also sets aside quick pairs that agree below it."""
import json
import sys
import time
import warnings

from study_pair import protocol

from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot

data, pair, seed, threshold = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
mini_ot.EXPLORE_BELOW = threshold
p = protocol(data, pair)
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    al = Aligner(seed=seed, n_threads=1).fit(p.a_raw[p.h1], p.b_raw[p.h2])
r = al.report_
exploration = r.get("exploration") or {}
print(json.dumps({"pair": pair, "seed": seed, "explore_below": threshold, "top1": p.top1(al.W_), "status": r["status"],
                  "first_agreement": exploration.get("agreement", r["confidence"].get("agreement")),
                  "explored": bool(exploration), "kept_seed": r["chosen_mini_seed"],
                  "quick": r.get("quick"), "seconds": r["seconds"]["total"], "wall": time.perf_counter() - t}),
      flush=True)
