"""Does the polish's fixed point move to the true map when the mapped A rows are blurred by the part of B the map
cannot explain? Usage: noise_plan.py PAIR ROUNDS ALPHA ... (PAIR as study_pair.load; logs/noise_plan_*.log)

Model: a B row is alpha x W* + e, e ~ N(0, Σe) independent of x, Σe = Σz - alpha² W*ᵀ Σx W* (negative eigenvalues
clipped). The plan of the polish matches the mapped A rows x W (cosine 0.6 with their true partners at the
supervised map on MiniLM -> e5-small) against B's rows; at W* the two clouds differ by e, and the plan then
prefers another map (study README, fifth and tenth rounds). Blurred, alpha x W + e (a fresh seeded draw per round),
they have B's distribution at W = W*, so in the population W* is a fixed point. ALPHA 1: the method's step
(no blur). Plain rounds (no folds), eps 0.03, ridge-whitened Procrustes on all training rows, from the supervised
map and from mini-ot's scored map; top-1 on the held-out pairs after 1, 2, 4, 8 ... rounds."""
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from study_pair import load

from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _ridge_whitened, sinkhorn_targets
from vec2vec_fast.procrustes import procrustes


def blur_factor(p, W, alpha):
    """(d_b, d_b) factor F with Fᵀ F = Σz - alpha² Wᵀ Σx W, clipped to be positive semi-definite."""
    sz = p.z.T.astype(np.float64) @ p.z / len(p.z)
    sx = p.x.T.astype(np.float64) @ p.x / len(p.x)
    w, v = np.linalg.eigh(sz - alpha ** 2 * W.T.astype(np.float64) @ sx @ W)
    return (v * np.sqrt(np.clip(w, 0, None))).T


def rounds(p, W, alpha, n_rounds, seed=0):
    pool = ThreadPoolExecutor(2)
    x_fit = _ridge_whitened(p.x, 1.0)
    v = np.ones(len(p.z))
    rng = np.random.default_rng(seed)
    out = {}
    for r in range(1, n_rounds + 1):
        mapped = unit_rows(p.x @ W)
        if alpha < 1:
            mapped = unit_rows((alpha * mapped + rng.standard_normal(mapped.shape) @ blur_factor(p, W, alpha))
                               .astype(np.float32))
        targets, v, objective = sinkhorn_targets(pool, mapped, p.z, 0.03, 10, v)
        W = procrustes(x_fit, targets, n_threads=2)
        if r & (r - 1) == 0 or r == n_rounds:
            out[r] = (p.top1(W), objective)
    return W, out


def main():
    pair, n_rounds = sys.argv[1], int(sys.argv[2])
    p = load(pair)
    print(f"{pair}: ceiling {p.top1(p.ceiling):.4f}, scored map {p.top1(p.W0):.4f}; "
          f"cos(x W*, partner) {np.mean(np.sum(unit_rows(p.x @ p.ceiling) * p.pairs_b, axis=1)):.3f}", flush=True)
    for alpha in [float(a) for a in sys.argv[3:]]:
        for name, start in (("ceiling", p.ceiling), ("scored", p.W0)):
            _, out = rounds(p, start, alpha, n_rounds)
            print(f"alpha {alpha:.2f} from {name:8s}: " + "  ".join(f"{r}: {t:.4f} ({o:.4f})"
                                                                 for r, (t, o) in out.items()), flush=True)


if __name__ == "__main__":
    main()
