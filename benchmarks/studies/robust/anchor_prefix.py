"""Do mini-ot's candidates need all 300 anchor runs on every pair, and could a fit tell when fewer suffice? Usage:
anchor_prefix.py DATA_DIR PAIR SEED RUNS ... (logs/anchor_prefix_*.log)

A candidate stopped after R anchor runs is exactly mini at anchor_runs=R (the runs draw from the fit's stream in
order). For each R: mini at mini-ot's candidate settings otherwise, on the training rows less 2,000 a side, then the
candidate's transport rounds. Printed: top-1 of the anchors' own map (the pseudo-pairs' Procrustes, before
Refine-1), of mini's map and of the refined one; the agreement (mean cosine of the mapped held-out rows) of the
anchors' map with the previous R's and with the last R's, and of the refined maps likewise."""
import sys
import time
from dataclasses import replace

import numpy as np
from study_pair import candidate_rows

from vec2vec_fast import mini
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import ot_refine


def main():
    data, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runs = [int(v) for v in sys.argv[4:]]
    p, defaults, params, a, b = candidate_rows(data, pair, seed)
    original, rows = mini.procrustes, []
    for r in runs:
        first = []

        def recording(*args, **kw):
            out = original(*args, **kw)
            if not first:
                first.append(out)  # the pseudo-pairs' Procrustes: the anchors' own map
            return out

        mini.procrustes = recording
        t = time.perf_counter()
        try:
            m = mini.fit_mini(a, b, replace(params, anchor_runs=r), seed=seed, n_threads=1)
        finally:
            mini.procrustes = original
        W, _ = ot_refine(unit_rows(a - m.mean_a), unit_rows(b - m.mean_b), m.W, eps=defaults["ot_eps"],
                         max_rounds=defaults["ot_max_rounds"], sweeps=defaults["ot_sweeps"], tol=defaults["ot_tol"],
                         n_threads=1)
        rows.append((r, unit_rows(p.ev_a @ first[0]), unit_rows(p.ev_a @ W), p.top1(first[0]), p.top1(m.W),
                     p.top1(W), time.perf_counter() - t, m.report["seconds"]["anchors"]))
    agree = lambda u, v: float(np.mean(np.sum(u * v, axis=1)))  # noqa: E731
    for i, (r, anchors_map, refined, t_anchor, t_mini, t_refined, secs, anchor_secs) in enumerate(rows):
        prev = rows[i - 1] if i else rows[i]
        print(f"runs {r:4d}: top-1 anchors' map {t_anchor:.4f} mini {t_mini:.4f} refined {t_refined:.4f}; "
              f"anchors' map agrees with the previous {agree(anchors_map, prev[1]):.3f}, the last "
              f"{agree(anchors_map, rows[-1][1]):.3f}; refined with the previous {agree(refined, prev[2]):.3f}, the last "
              f"{agree(refined, rows[-1][2]):.3f}; {anchor_secs:.0f} s anchors of {secs:.0f} s", flush=True)


if __name__ == "__main__":
    main()
