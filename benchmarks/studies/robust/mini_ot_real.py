"""Aligner(method) on a directed real pair with the papers' protocol: top-1, mean rank, seconds, confidence.
usage: mini_ot_real.py PAIR METHOD SEED [key=value ...]"""
import json
import sys
import time

from common import evaluate, load
from vec2vec_fast import Aligner

pair, method, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
params = {k: json.loads(v) for k, v in (a.split("=", 1) for a in sys.argv[4:])}
D = load(pair)
t = time.perf_counter()
al = Aligner(method, seed=seed, **params).fit(D["s_tr_raw"], D["t_tr_raw"])
secs = time.perf_counter() - t
# evaluate with the aligner's own frame: W on the protocol's preprocessed rows
ev = evaluate(al.W_, pair)
rep = al.report_
out = {"pair": pair, "method": method, "seed": seed, "params": params, **ev, "seconds": secs,
       "status": rep.get("status"), "confidence": rep.get("confidence"), "ot": rep.get("ot_refinement"),
       "stage_seconds": rep.get("seconds")}
print(json.dumps(out), flush=True)
