"""After mini-ot at its defaults (seed 0), 2 and then 4 more transport rounds on ALL training rows (held-out ones
included), each started from mini-ot's map. Run from the repository root:
python benchmarks/studies/robust/final_all_rows.py e5_BA (logs: logs/final_all_rows_*.log)."""
import sys, time
sys.path.insert(0, "benchmarks")
import bench_quality as bq
from vec2vec_fast import Aligner
from vec2vec_fast.transport import ot_refine
from vec2vec_fast._numerics import preprocess
pair = sys.argv[1]
a, b = bq.load_pair(pair, bq.SHARED, False)
h1, h2, ev = bq.split(len(a), False, None)
a_tr, b_tr = a[h1], b[h2]
ev_a, ev_b = bq.unit(a[ev] - a_tr.mean(0)), bq.unit(b[ev] - b_tr.mean(0))
al = Aligner(seed=0).fit(a_tr, b_tr)
print(pair, "mini-ot", bq.quality(al.W_, ev_a, ev_b), al.report_["status"], flush=True)
x, z = preprocess(a_tr, al.mean_a_), preprocess(b_tr, al.mean_b_)
for rounds in (2, 4):
    t = time.perf_counter()
    W, _ = ot_refine(x, z, al.W_, eps=0.03, max_rounds=rounds, sweeps=10, tol=-1, n_threads=2)
    print(" +%d rounds on all %d rows" % (rounds, len(x)), bq.quality(W, ev_a, ev_b), "%.1fs" % (time.perf_counter() - t), flush=True)
