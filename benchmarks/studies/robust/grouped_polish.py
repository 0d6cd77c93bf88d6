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
The rest is the method's polish: eps 0.03, A's rows ridge-whitened (1 mean eigenvalue), 5 cross-fitted folds,
momentum 0.5, all training rows, from the supervised ceiling and from the ceiling turned by a seeded rotation.
"""
import os
import sys

import numpy as np

from study_pair import ceiling as true_ceiling, protocol, turned as turned_start
from vec2vec_fast import _core
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _block_pool, _folds, _ridge_whitened, sinkhorn_targets

REPORT = (1, 2, 4, 8, 16, 32)


def polar(m):
    return _core.polar_factor(np.ascontiguousarray(m, dtype=np.float64), True).astype(np.float32)


def groups(n, m, rng):
    return np.array_split(rng.permutation(n), m)


def run(p, W, rounds, variant, momentum=0.5, folds=5):
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
    order, slices = _folds(len(a), folds)
    x = a[order]
    x_fit = _ridge_whitened(x, 1.0)
    fresh, warm = variant.startswith("r"), variant.startswith("w")
    vs = [np.ones(len(g)) for g in gb]
    v_all = np.ones(len(b))
    W_folds, previous, out = [W] * len(slices), None, []
    with _block_pool(2) as pool:
        for r in range(1, rounds + 1):
            mapped = np.concatenate([unit_rows(x[s] @ Wk) for s, Wk in zip(slices, W_folds)])
            if fresh:
                ga, gb = groups(len(a), m, rng), groups(len(b), m, rng)
                vs = [np.ones(len(g)) for g in gb]
            if warm:
                ga, gb = groups(len(a), m, rng), groups(len(b), m, rng)
                vs = [v_all[g] for g in gb]
            t, objs = np.empty_like(mapped), []
            for k, (ia, ib) in enumerate(zip(ga, gb)):
                t[ia], vs[k], obj = sinkhorn_targets(pool, mapped[ia], b[ib], 0.03, 30 if fresh else 10, vs[k])
                v_all[ib] = vs[k]
                objs.append(obj)
            parts = np.array([x_fit[s].T.astype(np.float64) @ t[s] for s in slices])
            used = parts if previous is None else parts + momentum * (parts - previous)
            previous = parts
            total = used.sum(0)
            W_folds = [polar(total - part) for part in used]
            W = polar(total)
            if r in REPORT:
                out.append(f"{r}: {p.top1(W):.4f}")
    return W, float(np.mean(objs)), out, len(a)


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
