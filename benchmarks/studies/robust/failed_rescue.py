"""Round 26: can a failed fit be rescued from its polishes, and does the rescue stay quiet where nothing is right?
failed_polish.py (round 25) showed that on e5-small -> MPNet WordNet seed 0 the best-scored candidate of a failed fit
polishes to top-1 0.739 at a transport objective 0.027 above the next three, while on MiniLM -> e5-small WordNet seed 0
(every candidate at chance) the four polishes end within 0.005. This runs the same patched default fit (a failed fit
still polishes its best-scored candidate and the TOP next best-scored ones), then, from each of the RESCUE polishes
whose objectives end highest, stochastic rounds (the method's stochastic candidate settings, on a seeded sample of the
polish rows) and a second polish, and prints every map's objective and top-1. With NOISE=1 in the environment B's
rows are replaced by Gaussian noise of B's training mean and covariance (the negative control: every objective there
is of a map that cannot be right). Maps go to OUT_DIR/failed_rescue_PAIR_SEED[_noise].npz.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/failed_rescue.py
DATA_DIR PAIR SEED [TOP] [RESCUE] [OUT_DIR] (one JSON line per fit on stdout after the readable lines)"""
import json
import os
import sys
import time
import warnings

import numpy as np
from study_pair import protocol

from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot, mini_ot_candidates, mini_ot_polish

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
top = int(sys.argv[4]) if len(sys.argv) > 4 else 3
rescue = int(sys.argv[5]) if len(sys.argv) > 5 else 2
out_dir = sys.argv[6] if len(sys.argv) > 6 else "/tmp"
noise = os.environ.get("NOISE") == "1"
p = protocol(data_dir, pair)
b_fit = p.b_raw[p.h2].astype(np.float64)
if noise:  # B's training mean and covariance, no structure of B's beyond them
    rng = np.random.default_rng([seed, 99])
    b_fit = rng.multivariate_normal(b_fit.mean(0), np.cov(b_fit, rowvar=False), size=len(b_fit))
b_fit = b_fit.astype(np.float32)
original_polish, original_rows = mini_ot_polish.polish, mini_ot_polish.polish_rows
polishes, scores, seen = [], {}, {}


def rows_even_if_failed(a_all, b_all, result, status, params, rng):
    out = original_rows(a_all, b_all, result, "ok", params, rng)
    seen["rows"] = out[0]
    return out


def top_scored(candidates, best, x_held):
    """The TOP best-scored candidates after the best, agreeing with it or not."""
    scores.update({i: c[3].get("score", 0.0) for i, c in enumerate(candidates)})
    seen["x_held"] = x_held
    order = sorted((i for i in range(len(candidates)) if i != best), key=lambda i: -scores[i])
    return order[:top]


def recording_polish(rows, W, x_held, params, n_threads, fold_seed=None):
    out = original_polish(rows, W, x_held, params, n_threads, fold_seed=fold_seed)
    if fold_seed is None:
        polishes.append({"W_in": W, "W": out[0], "applied": out[1]["applied"],
                         "objective": out[1]["rounds"][-1]["objective"] if out[1].get("rounds") else None})
    return out


mini_ot_polish.polish, mini_ot_polish.polish_rows, mini_ot.worth_polishing = recording_polish, rows_even_if_failed, top_scored
mini_ot.best_polished = lambda polished, best: best
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    # rescue_polishes=0: the method's own rescue (stop 42) came from this study; the logs are of the fit before it
    al = Aligner(seed=seed, n_threads=1, polish_bags=1, rescue_polishes=0).fit(p.a_raw[p.h1], b_fit)
seconds = time.perf_counter() - t
rep = al.report_
print(f"{pair}{' (B: noise)' if noise else ''} seed {seed}: status {rep['status']}, "
      f"{len(rep.get('candidates', []))} candidates, kept top-1 {p.top1(al.W_):.4f}, {len(polishes)} polishes, "
      f"{seconds:.0f} s", flush=True)
for e in polishes:
    e["top1_in"], e["top1"] = p.top1(e["W_in"]), p.top1(e["W"])
    print(f"  polish: objective {e['objective']:.5f} (kept: {e['applied']}), top-1 {e['top1_in']:.4f} -> "
          f"{e['top1']:.4f}", flush=True)
print("  candidate scores, best first: " + ", ".join(f"{s:.4f}" for s in sorted(scores.values(), reverse=True)),
      flush=True)

name = f"failed_rescue_{pair}_{seed}{'_noise' if noise else ''}"
np.savez(os.path.join(out_dir, name + "_polishes.npz"), **{f"polish{i}": e["W"] for i, e in enumerate(polishes)},
         **{f"start{i}": e["W_in"] for i, e in enumerate(polishes)})  # before the rescue, in case it stops

# The rescue: stochastic rounds from each of the highest-objective polishes, then the method's polish again.
params = {**mini_ot.SCHEMA.defaults(), "polish_bags": 1}
rows = seen["rows"]
no_held = np.empty((0, rows[0].shape[1]), dtype=np.float32)
order = sorted(range(len(polishes)), key=lambda i: -(polishes[i]["objective"] or -1.0))[:rescue]
rescued = []
for rank, i in enumerate(order):
    t = time.perf_counter()
    W_s, stages = mini_ot_polish.stochastic_start(rows[0], rows[1], polishes[i]["W"], params, (seed, 26, rank), 1)
    W_r, record, objective = mini_ot_polish.polish(rows, W_s, no_held, params, 1)
    agreement = mini_ot_candidates.map_agreement(seen["x_held"], polishes[i]["W"], W_r)
    r = {"from": i, "objective_from": polishes[i]["objective"], "top1_from": polishes[i]["top1"],
         "stochastic_top1": p.top1(W_s), "objective": objective, "top1": p.top1(W_r), "agreement": agreement,
         "seconds": time.perf_counter() - t, "W": W_r}
    rescued.append(r)
    print(f"  rescue from polish {i + 1} (objective {r['objective_from']:.5f}, top-1 {r['top1_from']:.4f}): "
          f"stochastic {r['stochastic_top1']:.4f}, polished {r['top1']:.4f} at objective {objective:.5f}, "
          f"agreement with its start {agreement:.3f}, {r['seconds']:.0f} s", flush=True)

np.savez(os.path.join(out_dir, name + "_rescues.npz"), **{f"rescue{k}": r["W"] for k, r in enumerate(rescued)})
print(json.dumps({"pair": pair, "seed": seed, "noise": noise, "status": rep["status"], "seconds": seconds,
                  "scores": sorted(scores.values(), reverse=True),
                  "polished": [{k: v for k, v in e.items() if not k.startswith("W")} for e in polishes],
                  "rescued": [{k: v for k, v in r.items() if k != "W"} for r in rescued]}), flush=True)
