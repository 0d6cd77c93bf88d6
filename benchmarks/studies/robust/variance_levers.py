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
The rest is the method's polish (crossfit_rounds.py), all training rows.
"""
import sys

import numpy as np

from crossfit_rounds import WarmPlan, crossfit_rounds
from study_pair import ceiling as true_ceiling, protocol, turned as turned_start
from vec2vec_fast.transport import _folds


class WeightedPlan(WarmPlan):
    """The method's plan, each barycentric target then scaled by its norm to the power beta."""

    def __init__(self, b, beta):
        super().__init__(b)
        self.beta = beta

    def __call__(self, pool, mapped):
        t, obj = super().__call__(pool, mapped)
        return (t * (np.linalg.norm(t, axis=1, keepdims=True) ** self.beta) if self.beta else t), obj


def run(p, W, rounds, beta=0.0, lam=0.0):
    x = p.a[_folds(len(p.a), 5)[0]]  # in the polish's fold order, so that the sums round as they did
    cov_a = x.T.astype(np.float64) @ x / len(x)
    cov_b = p.b.T.astype(np.float64) @ p.b / len(p.b)

    def with_second_moment(M, Wk):
        if not lam:
            return M
        g = cov_a @ Wk @ cov_b
        return M + lam * np.linalg.norm(M) / np.linalg.norm(g) * g

    return crossfit_rounds(p.a, W, rounds, p.top1, WeightedPlan(p.b, beta), adjust=with_second_moment)


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
