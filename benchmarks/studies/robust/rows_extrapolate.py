"""Top-1 grows with the rows the polish sees (docs/benchmarks.md: 0.88 of the ceiling at 8,000 rows a side, 0.93 at
13,977, 0.96 at 26k): is the polish's shortfall a finite-sample bias that extrapolates away? Usage (repository root):
PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/rows_extrapolate.py DATA_DIR PAIR SEED [SPLITS]
(logs/rows_extrapolate_*.log; needs polish_bag.py's cache of the fit, $V2V_STUDY_CACHE, default /tmp/s32)

The kept candidate's start is polished as the method polishes it (16 cross-fitted rounds, 5 folds, momentum 0.5) on
SPLITS disjoint parts of the polish rows (each side split alike, seeded), each part 1/SPLITS of the rows; W_part is
the polar factor of the parts' sum. With a bias that falls like 1/rows, W_n + (W_n - W_part) / (SPLITS - 1) removes
it (Richardson); printed: top-1 of polar(W + c (W - W_part)) for c = 0 ... 2, W the full polish and W the kept
(bagged) map."""
import os
import sys
import time

import numpy as np
from study_pair import protocol

from vec2vec_fast.methods import mini_ot, mini_ot_polish
from vec2vec_fast.procrustes import orthogonalize
import json

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
splits = int(sys.argv[4]) if len(sys.argv) > 4 else 2
p = protocol(data_dir, pair)
c = np.load(os.path.join(os.environ.get("V2V_STUDY_CACHE", "/tmp/s32"), f"polish_bag_{pair}_s{seed}.npz"))
params = json.loads(str(c["params"]))


def polish(x, z, W):
    return mini_ot.ot_refine(x, z, W, eps=params["ot_eps"], max_rounds=params["polish_rounds"],
                             sweeps=params["ot_sweeps"], tol=params["ot_tol"], n_threads=1,
                             min_rounds=params["polish_rounds"], ridge=mini_ot_polish.POLISH_RIDGE,
                             folds=params["polish_folds"], momentum=params["polish_momentum"])[0]


x, z = c["x"], c["z"]
print(f"{pair} seed {seed}: {len(x)} / {len(z)} polish rows; start {p.top1(c['start']):.4f}, polish "
      f"{p.top1(c['polished']):.4f}, kept {p.top1(c['kept']):.4f}", flush=True)
rng = np.random.default_rng([seed, 33])
part_x, part_z = np.array_split(rng.permutation(len(x)), splits), np.array_split(rng.permutation(len(z)), splits)
parts = []
for k in range(splits):
    t = time.perf_counter()
    parts.append(polish(x[np.sort(part_x[k])], z[np.sort(part_z[k])], c["start"]))
    print(f"  part {k}: {len(part_x[k])} rows, top-1 {p.top1(parts[-1]):.4f} ({time.perf_counter() - t:.0f} s)",
          flush=True)
W_part = orthogonalize(sum(parts))
print(f"  polar factor of the parts' sum: {p.top1(W_part):.4f}", flush=True)
for name in ("polished", "kept"):
    W = c[name].astype(np.float64)
    row = [f"{coef:.2f}: {p.top1(orthogonalize((W + coef * (W - W_part)).astype(np.float32))):.4f}"
           for coef in (0, 0.25, 0.5, 1.0, 1.5, 2.0)]
    print(f"  {name:8s} + c (W - W_part), c = " + "  ".join(row), flush=True)
