"""mini-ot at its defaults (seed 0) against the same with the ridge-whitened Procrustes step in the candidates'
transport rounds too (not only in the polish). usage (repository root):
python benchmarks/studies/robust/ridge_everywhere.py PAIR..."""
import functools
import sys
import time

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast import Aligner  # noqa: E402
from vec2vec_fast.methods import mini_ot, mini_ot_polish  # noqa: E402

plain = mini_ot.ot_refine
for pair in sys.argv[1:]:
    a, b = bq.load_pair(pair, bq.SHARED, False)
    h1, h2, ev = bq.split(len(a), False, None)
    a_tr, b_tr = a[h1], b[h2]
    ev_a, ev_b = bq.unit(a[ev] - a_tr.mean(0)), bq.unit(b[ev] - b_tr.mean(0))
    for variant in ("default", "ridge everywhere"):
        mini_ot.ot_refine = plain if variant == "default" else functools.partial(plain, ridge=mini_ot_polish.POLISH_RIDGE)
        t = time.perf_counter()
        al = Aligner(seed=0).fit(a_tr, b_tr)
        c, pol = al.report_["confidence"], al.report_["polish"]
        print(f"{pair} {variant:17s} top1 {bq.quality(al.W_, ev_a, ev_b)['top1']:.4f} {al.report_['status']} "
              f"score {c['score']:.4f} agreement {c.get('agreement', 0):.3f} polish agreement "
              f"{pol.get('agreement', 0):.3f} applied {pol['applied']} ({time.perf_counter() - t:.0f}s)", flush=True)
