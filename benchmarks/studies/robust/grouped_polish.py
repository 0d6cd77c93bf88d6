"""Does the polish need one large plan, or only many rows in its Procrustes sum?

usage: grouped_polish.py DATA_DIR PAIR ROUNDS VARIANT ...   (VARIANT: all | g<m> | r<m> | w<m> | sub<m> | n<rows>)
       env STARTS=ceiling: from the ceiling only

More rows are the one lever that has moved the polish's fixed point (0.88 / 0.93 / 0.96 of the ceiling at 8k / 14k /
26k rows a side), and mini-ot's polish caps its plan at ot_rows (16,000) a side: the plan is dense, 4 n^2 bytes. If
what the rows buy is terms in the Procrustes sum, a polish could cut its rows into m groups a side, plan each group
against one group of B's rows (m plans of n/m rows, memory and time / m), and sum the groups' cross-covariances:
all rows at the cost of small plans. If what they buy is a large pool of B rows for each plan (the targets are
barycentres of B rows near the mapped row, nearer in a larger pool), grouping loses what the rows bring.
- ``all``: the method's polish, one plan over all rows.
- ``g<m>``: m fixed groups a side (a seeded partition, the same every round, so Sinkhorn stays warm-started).
- ``r<m>``: m groups a side drawn afresh every round (30 cold Sinkhorn sweeps a plan).
- ``w<m>``: m groups a side drawn afresh every round, each plan warm-started from B's scalings of the last round
  (one vector over all of B's rows, sliced by the group: 10 sweeps a plan, as the method's).
- ``sub<m>``: only the first group of g<m>: a polish on n/m rows a side (what the groups are compared against).
- ``n<rows>``: one plan on a seeded sample of that many rows a side (mini-ot's polish before stop 48 on a pair with
  more than ot_rows rows a side: ``n16000``).
The rest is the method's polish (crossfit_rounds.py), all training rows, from the supervised ceiling and from the
ceiling turned by a seeded rotation.
"""
import os
import sys

import numpy as np

from crossfit_rounds import crossfit_rounds
from study_pair import ceiling as true_ceiling, protocol, turned as turned_start
from vec2vec_fast.transport import sinkhorn_targets


def groups(n, m, rng):
    return np.array_split(rng.permutation(n), m)


class GroupedPlan:
    """Each round's plan in groups: A's group k (positions in the mapped rows) against B's group k, fixed
    (``mode`` "g"), drawn afresh with 30 cold sweeps ("r"), or drawn afresh and warm-started from B's scalings of the
    last round ("w"); the objective is the groups' mean."""

    def __init__(self, n_a, b, ga, gb, mode, rng):
        self.n_a, self.b, self.ga, self.gb, self.mode, self.rng = n_a, b, ga, gb, mode, rng
        self.vs = [np.ones(len(g)) for g in gb]
        self.v_all = np.ones(len(b))

    def __call__(self, pool, mapped):
        m = len(self.ga)
        if self.mode in ("r", "w"):
            self.ga, self.gb = groups(self.n_a, m, self.rng), groups(len(self.b), m, self.rng)
            self.vs = [np.ones(len(g)) if self.mode == "r" else self.v_all[g] for g in self.gb]
        t, objs = np.empty_like(mapped), []
        for k, (ia, ib) in enumerate(zip(self.ga, self.gb)):
            t[ia], self.vs[k], obj = sinkhorn_targets(pool, mapped[ia], self.b[ib], 0.03,
                                                      30 if self.mode == "r" else 10, self.vs[k])
            self.v_all[ib] = self.vs[k]
            objs.append(obj)
        return t, float(np.mean(objs))


def run(p, W, rounds, variant):
    m = 1 if variant == "all" or variant.startswith("n") else int(variant.lstrip("grwsub"))
    rng = np.random.default_rng(3)
    ga, gb = groups(len(p.a), m, rng), groups(len(p.b), m, rng)
    a, b = p.a, p.b
    if variant.startswith("n"):
        rows = int(variant[1:])
        a, b = a[np.sort(rng.permutation(len(a))[:rows])], b[np.sort(rng.permutation(len(b))[:rows])]
        ga, gb = [np.arange(len(a))], [np.arange(len(b))]
    if variant.startswith("sub"):
        a, b, ga, gb = a[np.sort(ga[0])], b[np.sort(gb[0])], [np.arange(len(ga[0]))], [np.arange(len(gb[0]))]
    plan = GroupedPlan(len(a), b, ga, gb, variant[0] if variant[0] in "rw" else "g", rng)
    return (*crossfit_rounds(a, W, rounds, p.top1, plan), len(a))


def main():
    data_dir, pair, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    p = protocol(data_dir, pair)
    ceiling = true_ceiling(p)[1]
    turned = turned_start(ceiling)
    print(f"{pair}: {len(p.a)} / {len(p.b)} rows a side; ceiling {p.top1(ceiling):.4f}, turned start "
          f"{p.top1(turned):.4f}", flush=True)
    for variant in sys.argv[4:]:
        starts = (("ceiling", ceiling), ("turned", turned))
        for name, start in starts[:1] if os.environ.get("STARTS") == "ceiling" else starts:
            W, obj, out, n = run(p, start, rounds, variant)
            print(f"{variant} ({n} rows) from {name}: " + " / ".join(out) + f"; last objective {obj:.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
