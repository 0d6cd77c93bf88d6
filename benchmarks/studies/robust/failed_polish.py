"""Would the polish's objective pick the right map among the candidates of a fit that fails? A fit whose candidates
all found different maps that score alike says "failed" and polishes nothing. On e5-small -> MPNet WordNet seed 0
(stop 41) one rescue candidate scored 0.0557 against 0.047-0.050 for the thirteen others (within the 0.85 rule) and
its unpolished map was at top-1 0.338, far above chance: it may have found the map in part. This runs the default
fit with two changes: a failed fit still polishes (its best-scored candidate), and the TOP next best-scored candidates
are polished too whether or not they agree with it. It prints each polished candidate's score, objective and top-1
before and after, so that one can see whether the polish objective separates a found map from the rest where the
score does not, and on the pairs that cannot be aligned (MiniLM <-> e5-small WordNet) whether it stays flat.
The kept map is the best-scored candidate's polish, so that the fit's status stays "failed" (an earlier version
kept the polish whose objective ended highest, as an exploring fit does; where that was another candidate the kept
candidate's own confidence replaced the fit's, and MiniLM -> e5-small WordNet seed 0 printed "ok" with the kept map
at chance: the first line of logs/failed_polish_minilm_e5small_wordnet_AB_0.log; its per-polish lines are the same).
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/failed_polish.py
DATA_DIR PAIR SEED [TOP] (logs/failed_polish_*.log; one JSON line per fit on stdout after the readable lines)"""
import json
import sys
import time
import warnings

from study_pair import protocol

from vec2vec_fast import Aligner
from vec2vec_fast.methods import mini_ot, mini_ot_polish

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
top = int(sys.argv[4]) if len(sys.argv) > 4 else 3
p = protocol(data_dir, pair)
original_polish, original_rows = mini_ot_polish.polish, mini_ot_polish.polish_rows
polishes, scores = [], {}


def rows_even_if_failed(a_all, b_all, result, status, params, rng):
    return original_rows(a_all, b_all, result, "ok", params, rng)


def top_scored(candidates, best, x_held):
    """The TOP best-scored candidates after the best, agreeing with it or not."""
    scores.update({i: c[3].get("score", 0.0) for i, c in enumerate(candidates)})
    order = sorted((i for i in range(len(candidates)) if i != best), key=lambda i: -scores[i])
    return order[:top]


def recording_polish(rows, W, x_held, params, n_threads, fold_seed=None):
    out = original_polish(rows, W, x_held, params, n_threads, fold_seed=fold_seed)
    polishes.append({"W_in": W, "W": out[0], "objective": out[2], "applied": out[1]["applied"],
                     "final_objective": out[1]["rounds"][-1]["objective"] if out[1].get("rounds") else None,
                     "bag": fold_seed is not None})
    return out


mini_ot_polish.polish, mini_ot_polish.polish_rows, mini_ot.worth_polishing = recording_polish, rows_even_if_failed, top_scored
mini_ot.best_polished = lambda polished, best: best
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    al = Aligner(seed=seed, n_threads=1, polish_bags=1, rescue_polishes=0).fit(p.a_raw[p.h1], p.b_raw[p.h2])
seconds = time.perf_counter() - t
rep = al.report_
cands = rep.get("candidates", [])
print(f"{pair} seed {seed}: status {rep['status']}, {len(cands)} candidates, kept top-1 {p.top1(al.W_):.4f}, "
      f"{len(polishes)} polishes, {seconds:.0f} s", flush=True)
records = []
for e in polishes:
    if e["bag"]:
        continue
    rec = {"top1_in": p.top1(e["W_in"]), "top1": p.top1(e["W"]), "objective": e["objective"],
           "final_objective": e["final_objective"], "applied": e["applied"]}
    records.append(rec)
    print(f"  polish: objective {rec['final_objective']:.5f} (kept: {e['applied']}), top-1 {rec['top1_in']:.4f} -> "
          f"{rec['top1']:.4f}", flush=True)
print("  candidate scores, best first: " + ", ".join(f"{s:.4f}" for s in sorted(scores.values(), reverse=True)))
print(json.dumps({"pair": pair, "seed": seed, "status": rep["status"], "seconds": seconds,
                  "scores": sorted(scores.values(), reverse=True), "polished": records}), flush=True)
