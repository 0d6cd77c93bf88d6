"""Where a mini-ot fit spends its time, and what a setting changes: one fit (seed 0) of a bench_quality.py pair with
KEY=JSON parameters, printing top-1 on the held-out pairs, status, the report's seconds per stage, each candidate's
score and seconds, and the candidates' agreement.
usage (repository root): python benchmarks/studies/robust/profile_fit.py PAIR [KEY=JSON ...]
e.g. profile_fit.py e5_BA refine1_iterations=0 explore_candidates=2"""
import json
import sys
import time

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast import Aligner  # noqa: E402

pair = sys.argv[1]
params = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in sys.argv[2:])}
a, b = bq.load_pair(pair, bq.SHARED, False)
h1, h2, ev = bq.split(len(a), False, None)
a_tr, b_tr = a[h1], b[h2]
ev_a, ev_b = bq.unit(a[ev] - a_tr.mean(0)), bq.unit(b[ev] - b_tr.mean(0))
t = time.perf_counter()
al = Aligner(seed=0, **params).fit(a_tr, b_tr)
seconds = time.perf_counter() - t
r = al.report_
print(pair, params, "top1 %.4f" % bq.quality(al.W_, ev_a, ev_b)["top1"], "total %.1f s" % seconds, r["status"])
print("seconds of the kept candidate and the polish:",
      json.dumps({k: round(v, 2) for k, v in r["seconds"].items()}))
for c in r.get("candidates", []):
    print("candidate", c)
print("agreement", r["confidence"].get("agreement"), "kept mini seed", r.get("chosen_mini_seed"))
