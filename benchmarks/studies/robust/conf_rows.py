"""The confidence score against the number of held-out rows (200-2000) on maps between the ceiling and random."""
import sys

import numpy as np

from common import PAIRS, ceiling, evaluate, load
from vec2vec_fast.confidence import score_map


def polar(M):
    U, _, Vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return (U @ Vt).astype(np.float32)


rng = np.random.default_rng(1)
for pair in sys.argv[1:] or PAIRS:
    D = load(pair)
    Wc = ceiling(pair)
    R = polar(rng.standard_normal(Wc.shape))
    for a in [0.0, 0.5, 0.6, 0.7, 1.0]:
        W = polar((1 - a) * Wc + a * R)
        row = [f"{pair} a={a} top1={evaluate(W, pair)['top1']:.3f}"]
        for h in [200, 400, 1000, 2000]:
            c = score_map(D["s_tr"][:h], D["t_tr"][:h], W, rng)
            row.append(f"h{h}: {c['score']:.4f}/{c['null_spread']:.4f} {c['status'][:4]}")
        print(" | ".join(row), flush=True)
