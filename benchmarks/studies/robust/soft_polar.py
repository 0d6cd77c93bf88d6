"""Does a map that keeps the cross-covariance's singular values in part retrieve better than its polar factor?

usage: soft_polar.py DATA_DIR PAIR [ROUNDS]

The polish ends at a map W = polar(M), M = x_fitᵀ T (A's ridge-whitened rows against the plan's targets). Its error
lies in directions the sample determines poorly (sixth round); a singular direction of M with a small singular value
is one where the targets follow A weakly. W_alpha = U S^alpha Vᵀ (S scaled to a largest value of 1) weighs those
directions down in the retrieval's cosine. alpha 0 is the polar factor. The same for the supervised M = xᵀ y (true
pairs) as the control. From the ceiling, the method's polish (5 folds, momentum 0.5, ROUNDS rounds) gives the
drifted map.
"""
import sys

import numpy as np

from study_pair import ceiling as true_ceiling, protocol
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _block_pool, _ridge_whitened, ot_refine, sinkhorn_targets

ALPHAS = (0.0, 0.1, 0.25, 0.5, 1.0)


def soft(M, alpha):
    u, s, vt = np.linalg.svd(M.astype(np.float64), full_matrices=False)
    return ((u * (s / s[0]) ** alpha) @ vt).astype(np.float32)


def main():
    data_dir, pair = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    p = protocol(data_dir, pair)
    y_true, ceiling = true_ceiling(p)
    print(f"{pair}: ceiling {p.top1(ceiling):.4f}", flush=True)
    M_sup = p.a.T.astype(np.float64) @ y_true
    print("supervised M: " + "  ".join(f"a{a:g} {p.top1(soft(M_sup, a)):.4f}" for a in ALPHAS), flush=True)
    W, _ = ot_refine(p.a, p.b, ceiling, eps=0.03, max_rounds=rounds, sweeps=10, tol=-1.0, n_threads=2,
                        ridge=1.0, folds=5, momentum=0.5)
    print(f"polished from the ceiling ({rounds} rounds): {p.top1(W):.4f}", flush=True)
    x_fit = _ridge_whitened(p.a, 1.0)
    with _block_pool(2) as pool:
        targets = sinkhorn_targets(pool, unit_rows(p.a @ W), p.b, 0.03, 50, np.ones(len(p.b)))[0]
    for name, x_side in (("whitened", x_fit), ("plain", p.a)):
        M = x_side.T.astype(np.float64) @ targets
        print(f"plan M ({name}): " + "  ".join(f"a{a:g} {p.top1(soft(M, a)):.4f}" for a in ALPHAS), flush=True)
    s = np.linalg.svd(x_fit.T.astype(np.float64) @ targets, compute_uv=False)
    print("plan M (whitened) singular values / largest at 1, 8, 32, 64, 128, 256, last: "
          + " ".join(f"{s[min(k, len(s)) - 1] / s[0]:.3f}" for k in (1, 8, 32, 64, 128, 256, len(s))), flush=True)


if __name__ == "__main__":
    main()
