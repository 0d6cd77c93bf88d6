"""The default fit on inputs a user may hand it, on a real pair (stop 41): unequal rows per side, every A row twice,
unnormalised scales, B = A's own model, B = A's model rotated. One JSON line: top-1 on the pair's held-out rows
(scored in the fitted model's own frame: transform and output_frame), the ceiling, status, confidence, seconds and the
warnings. Records: benchmarks/results/studies/robustness_audit_stop41.jsonl.
usage (repository root): python benchmarks/studies/robust/input_variants.py PAIR VARIANT SEED [DATA_DIR]
VARIANT: rows:NA:NB | dupA | scale | self | rot | plain; PAIR as bench_quality.py names them (use_AB, e5_BA ...)"""
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, "benchmarks")
from bench_quality import load_pair, quality, ranks, split, unit
from vec2vec_fast import Aligner, procrustes

pair, variant, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
a, b = load_pair(pair, Path(sys.argv[4]) if len(sys.argv) > 4 else Path("../shared/data"), False)
h1, h2, ev = split(len(a), False, None)
rng = np.random.default_rng(7)
if variant == "scale":  # A x 37, B x 0.01, the held-out rows too
    a, b = a * np.float32(37), b * np.float32(0.01)
elif variant == "self":  # B is model A itself: its other half, and its own held-out rows
    b = a.copy()
elif variant == "rot":  # B is model A turned by a random rotation
    Q, _ = np.linalg.qr(rng.standard_normal((a.shape[1], a.shape[1])))
    b = (a @ Q).astype(np.float32)
a_fit, b_fit = a[h1], b[h2]
if variant.startswith("rows:"):  # rows:NA:NB, the first NA / NB training rows of each side
    _, na, nb = variant.split(":")
    a_fit, b_fit = a_fit[:int(na)], b_fit[:int(nb)]
elif variant == "dupA":  # every A row twice, shuffled
    a_fit = np.concatenate([a_fit, a_fit])[rng.permutation(2 * len(a_fit))]
mean_a, mean_b = a[h1].mean(0), b[h2].mean(0)
ceiling = quality(procrustes(unit(a[h1] - mean_a), unit(b[h1] - mean_b)), unit(a[ev] - mean_a),
                  unit(b[ev] - mean_b))["top1"]
t = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    aligner = Aligner("mini-ot", seed=seed, n_threads=1).fit(a_fit, b_fit)
seconds = time.perf_counter() - t
r = ranks(unit(aligner.transform(a[ev])), unit(aligner.output_frame(b[ev])))
report = aligner.report_
print(json.dumps({"pair": pair, "variant": variant, "seed": seed, "na": len(a_fit), "nb": len(b_fit),
                  "ceiling": ceiling, "top1": float(np.mean(r == 1)), "status": report.get("status"),
                  "confidence": report.get("confidence", {}).get("score"), "seconds": seconds,
                  "warned": [str(w.message)[:160] for w in caught]}))
