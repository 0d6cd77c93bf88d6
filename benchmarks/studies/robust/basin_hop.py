"""Can a fit that ends in a lower basin hop out of it: stochastic rounds from its fitted map, then a polish?

usage: basin_hop.py DATA_DIR PAIR SEED HOPS   (from benchmarks/studies/robust, PYTHONPATH=.)

The default fit of PAIR at SEED (one thread; every polish recorded, the fitted map saved under $V2V_STUDY_CACHE so a
second run skips the fit). Then HOPS times, hop k: mini-ot's stochastic rounds (``_stochastic_start``: stochastic_rows
sampled rows a side, the share kept doubling from 0.1) from the fitted map, seeded (SEED, 21, k), and the method's
polish on the fit's polish rows. Printed: top-1 on the held-out pairs and the polish's last objective, for the fit's
own polishes, its fitted map and each hop. Why: where a fit's candidates all polish into a lower basin (USE ->
e5-small Wikipedia seed 4: 0.86 where seeds 0-3 reach 0.956), the objective tells the basins apart (0.330 against
0.335, twenty-first round); stochastic rounds let a map leave a wrong fixed point (twenty-second round) and the rescue
runs them from polished maps (twenty-sixth round).
"""
import os
import sys

import numpy as np

from study_pair import CACHE, fit_recording_polishes, protocol
from vec2vec_fast.methods import mini_ot, mini_ot_candidates, mini_ot_polish


def main():
    data_dir, pair, seed, hops = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    p = protocol(data_dir, pair)
    os.makedirs(CACHE, exist_ok=True)
    cache = os.path.join(CACHE, f"hop_{pair}_{seed}.npz")
    if not os.path.exists(cache):
        al, polishes, context, seconds = fit_recording_polishes(p, seed)
        x, z = context["rows"]
        np.savez(cache, W=al.W_, x=x, z=z, x_held=context["x_held"],
                 objectives=np.array([q["objective"] if q["objective"] is not None else np.nan for q in polishes]),
                 top1s=np.array([p.top1(q["W"]) for q in polishes]))
        print(f"{pair} seed {seed}: the fit {p.top1(al.W_):.4f} ({al.report_['status']}, {seconds:.0f} s)",
              flush=True)
    c = np.load(cache)
    for k, (obj, t1) in enumerate(zip(c["objectives"], c["top1s"])):
        print(f"  the fit's polish {k + 1}: top-1 {t1:.4f}, objective {obj:.4f}", flush=True)
    W_fit, rows, x_held = c["W"], (c["x"], c["z"]), c["x_held"]
    params = mini_ot.SCHEMA.defaults()
    print(f"fitted map: top-1 {p.top1(W_fit):.4f}", flush=True)
    no_held = np.empty((0, x_held.shape[1]), dtype=np.float32)
    for k in range(hops):
        W, _ = mini_ot_polish.stochastic_start(rows[0], rows[1], W_fit, params, (seed, 21, k), 1)
        W_p, _, objective = mini_ot_polish.polish(rows, W, no_held, params, 1)
        print(f"hop {k}: after the stochastic rounds {p.top1(W):.4f}, polished {p.top1(W_p):.4f}, objective "
              f"{objective:.4f}, agreement with the fitted map {mini_ot_candidates.map_agreement(x_held, W_fit, W_p):.3f}",
              flush=True)


if __name__ == "__main__":
    main()
