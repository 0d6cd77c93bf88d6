"""One mini-ot fit of a directed pair, split as bench_quality.py splits it, printed as one JSON line: top-1 on the
held-out pairs, status, the confidence's agreement and score, the quick first candidates' record, seconds, whether it
explored. Usage (repository root): PYTHONPATH=benchmarks/studies/robust python
benchmarks/studies/robust/quick_first.py DATA_DIR PAIR SEED [PARAMS_JSON] (logs/quick_first.jsonl; study README,
eighteenth round). PARAMS_JSON '{"anchor_runs": 30, "quick_anchor_runs": 0, "extra_candidates": 0,
"explore_candidates": 0, "polish_rounds": 0}' fits only the quick pair a default fit would try first. The key
"explore_below" in PARAMS_JSON is not a parameter: it sets the method's exploring threshold (mini_ot.EXPLORE_BELOW:
0.9 until stop 34, when it also judged the quick pair; 0.95 since stop 35, the quick pair's bar QUICK_AGREE_AT_LEAST
left as it is; logs/explore_threshold.jsonl; study README, nineteenth and twentieth rounds)."""
import json
import sys
import time
import warnings

from study_pair import protocol

from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot

data, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
params = {k: v for k, v in extra.items() if k != "explore_below"}
mini_ot.EXPLORE_BELOW = extra.get("explore_below", mini_ot.EXPLORE_BELOW)
p = protocol(data, pair)
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    al = Aligner(seed=seed, n_threads=1, **params).fit(p.a_raw[p.h1], p.b_raw[p.h2])
r = al.report_
print(json.dumps({"pair": pair, "seed": seed, "extra": extra, "top1": p.top1(al.W_), "status": r["status"],
                  "quick": r.get("quick"), "agreement": r["confidence"].get("agreement"),
                  "score": r["confidence"].get("score"), "conf_status": r["confidence"]["status"],
                  "seconds": r["seconds"]["total"], "wall": time.perf_counter() - t, "explored": "exploration" in r,
                  "candidates": len(r.get("candidates", [])),
                  "candidate_seconds": [c["seconds"] for c in r.get("candidates", [])],
                  "polish_seconds": r["seconds"]["polish"], "kept_seed": r["chosen_mini_seed"],
                  "first_agreement": (r.get("exploration") or {}).get("agreement", r["confidence"].get("agreement"))}),
      flush=True)
