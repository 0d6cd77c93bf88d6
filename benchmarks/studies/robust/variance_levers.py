"""Two ways to steady the polish's estimate, tried from the ceiling and from the ceiling turned away.

usage: variance_levers.py DATA_DIR PAIR ROUNDS VARIANT ...   (VARIANT: base | w<beta> | m<lam>, e.g. w1 w-1 m0.1)

The sixth round found the population objective (on fresh rows) highest at the ceiling, and the thirtieth that the
polish's drift is small where the second model is the first one turned. One reading of the two (not measured
here): on a real pair the sample objective is flat near the truth, and the sample moves its maximum. Two levers that
a flat objective could take:
- ``w<beta>``: each row's Procrustes term weighted by |t_i|^beta, t_i its barycentric target (|t_i| near 1 where the
  plan is peaked, small where it is spread over unlike rows). beta 0 is the method; -1 gives unit targets.
- ``m<lam>``: a second-moment term, the gradient of tr(Wᵀ Σa W Σb) (the map carries A's covariance onto B's),
  scaled to lam times the plan cross-covariance's norm and added before each polar factor.
The rest is the method's polish: eps 0.03, A's rows ridge-whitened (1 mean eigenvalue), 5 cross-fitted folds
(round-robin), momentum 0.5, 10 warm-started Sinkhorn sweeps, all training rows.
"""
import sys

import numpy as np

from study_pair import ceiling as true_ceiling, protocol, turned as turned_start
from vec2vec_fast import _core
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _block_pool, _folds, _ridge_whitened, sinkhorn_targets

REPORT = (1, 2, 4, 8, 16, 32)


def polar(m):
    return _core.polar_factor(np.ascontiguousarray(m, dtype=np.float64), True).astype(np.float32)


def run(p, W, rounds, beta=0.0, lam=0.0, momentum=0.5, folds=5):
    order, slices = _folds(len(p.a), folds)
    x = p.a[order]
    x_fit = _ridge_whitened(x, 1.0)
    cov_a = x.T.astype(np.float64) @ x / len(x)
    cov_b = p.b.T.astype(np.float64) @ p.b / len(p.b)
    v = np.ones(len(p.b))
    W_folds, previous, out = [W] * len(slices), None, []
    with _block_pool(2) as pool:
        for r in range(1, rounds + 1):
            mapped = np.concatenate([unit_rows(x[s] @ Wk) for s, Wk in zip(slices, W_folds)])
            t, v, obj = sinkhorn_targets(pool, mapped, p.b, 0.03, 10, v)
            if beta:
                t = t * (np.linalg.norm(t, axis=1, keepdims=True) ** beta)
            parts = np.array([x_fit[s].T.astype(np.float64) @ t[s] for s in slices])
            used = parts if previous is None else parts + momentum * (parts - previous)
            previous = parts
            total = used.sum(0)

            def term(Wk, M):
                if not lam:
                    return 0.0
                g = cov_a @ Wk @ cov_b
                return lam * np.linalg.norm(M) / np.linalg.norm(g) * g

            W_folds = [polar(total - part + term(Wk, total - part)) for part, Wk in zip(used, W_folds)]
            W = polar(total + term(W, total))
            if r in REPORT:
                out.append(f"{r}: {p.top1(W):.4f}")
    return W, obj, out


def second_moment(p, W):
    cov_a = p.a.T.astype(np.float64) @ p.a / len(p.a)
    cov_b = p.b.T.astype(np.float64) @ p.b / len(p.b)
    return float(np.trace(W.T @ cov_a @ W @ cov_b))


def main():
    data_dir, pair, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    p = protocol(data_dir, pair)
    ceiling = true_ceiling(p)[1]
    turned = turned_start(ceiling)
    print(f"{pair}: ceiling {p.top1(ceiling):.4f}, turned start {p.top1(turned):.4f}; "
          f"tr(W' Sa W Sb) ceiling {second_moment(p, ceiling):.6f}, turned {second_moment(p, turned):.6f}",
          flush=True)
    for variant in sys.argv[4:]:
        beta = float(variant[1:]) if variant.startswith("w") else 0.0
        lam = float(variant[1:]) if variant.startswith("m") else 0.0
        for name, start in (("ceiling", ceiling), ("turned", turned)):
            W, obj, out = run(p, start, rounds, beta=beta, lam=lam)
            print(f"{variant} from {name}: " + " / ".join(out) + f"; last objective {obj:.4f}; "
                  f"tr(W' Sa W Sb) {second_moment(p, W):.6f}", flush=True)


if __name__ == "__main__":
    main()
