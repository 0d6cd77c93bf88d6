"""``method="mini-ot"`` (the default): mini-vec2vec's map refined by optimal transport, scored by a label-free
confidence, and loud when the score says the fit failed.

1. A seeded share of each side (``holdout`` rows, at most a fifth) is set aside for the confidence score.
2. For each of ``candidates`` seeds: mini-vec2vec (every ``mini`` hyperparameter, notebook defaults except 300 anchor
   runs of 20 k-means iterations, searched in the bilinear form) on the rest gives a first map;
   Wasserstein-Procrustes rounds (:func:`vec2vec_fast.transport.ot_refine`) on ``ot_rows`` sampled rows a side refine
   it until the transport objective stops improving; :func:`vec2vec_fast.confidence.score_map` scores it on the
   held-out rows.
   The first candidates are fitted first with ``quick_anchor_runs`` (30) anchor runs: when the best of them scores ok
   and they agree at 0.95 or more (one map, found twice, that the fit would not explore), the fit goes on from them;
   otherwise they are set aside and the first candidates are fitted with the 300 runs, as without the quick step.
3. The candidate with the best score is kept. ``report_["confidence"]`` holds its score and, with two or more
   candidates, how well it agrees with the others; ``report_["status"]`` is "ok", "uncertain" or "failed" (the score
   says so, or the candidates found different maps: two unrelated clustered clouds can be matched in many ways,
   two related ones in one). When they found different maps that score alike, up to ``extra_candidates`` more
   candidates are fitted until two agree (new seeds, each with ``extra_anchor_clusters`` anchor clusters and then
   with ``anchor_clusters``; then ``reverse_candidates`` fitted the other way round, see 7), and the best-scored map
   two candidates found is kept (the first candidates refined by stochastic rounds come before them, see 8).
   "failed" also warns with
   :class:`vec2vec_fast.errors.AlignmentFailedWarning`.
4. Unless it failed, the kept map gets ``polish_rounds`` more transport rounds on all rows, held-out ones included
   (top-1 grows with the rows the transport sees; up to ``polish_max_rows`` a side, their plans in groups of at most
   ``ot_rows`` a side where there are more, so that memory stays bounded and time grows with the rows), cross-fitted
   in ``polish_folds`` folds (each fold's rows are placed by the map fitted on the other folds, so that the rounds do
   not overfit their sample) and sped up by ``polish_momentum``; the polished map is kept when it agrees with the
   scored one. ``polish_folds=1`` gives plain rounds, 8 at least, then until the objective stops gaining ``ot_tol``.
5. When the first candidates agree below 0.95 (they may have refined into different basins of the transport
   objective), candidates are added up to ``explore_candidates``, each one that agrees with the best-scored one and
   scores nearly as well is polished too, and the polished map with the highest cross-fitted objective is kept, with
   its own candidate's confidence. Every other added candidate runs the notebook's anchor stage
   (``explore_anchor_runs`` = 30 runs of converged k-means): 300 runs average their way into the same basin seed after
   seed, fewer runs vary more, and the polish's objective picks the best of them.
6. When it explored, the kept polish is run ``polish_bags`` times, the rows dealt into its folds in a different
   seeded order each time, and the fitted map is the polar factor of the maps' sum: there, where a polish ends
   depends on its folds, and the average of a few ends higher than most of them.
7. A reverse candidate is mini fitted B -> A with a first candidate's seed and settings, its map transposed, then
   refined and scored as the others (A -> B): a pair's two directions find the first correspondence on different
   seeds, so they widen both the extras' and the exploration's search at the cost of a candidate each.
8. A stochastic candidate is a first candidate's mini map refined again with stochastic rounds (VecMap's stochastic
   dictionary induction: each round's plan on a randomly thinned kernel), then as the others: from a first map with
   few right correspondences the plain rounds stop at a wrong fixed point, and thinned plans let the map move toward
   the right one. They come before the extra candidates, and after the reverse ones when the fit explores.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from .._numerics import orthogonality_error, preprocess
from .._validation import SeedLike, resolve_seed
from ..confidence import score_map
from ..errors import AlignmentFailedWarning, AlignmentUncertainWarning
from ..linear_map import LinearMap
from ..mini import MiniParams, fit_mini, training_rows
from ..transport import ot_refine
from . import mini_ot_polish
from ._progress import StepProgress
from .base import FitResult
from .linear import LinearMethod
from .mini_ot_candidates import (
    EXPLORE_BELOW,
    agreement_matrix,
    ambiguous_why,
    best_polished,
    candidate_seconds,
    confirmed_choice,
    cross_check,
    explore_params,
    explored_confidence,
    extra_schedule,
    failure_message,
    next_offset,
    offsets_left,
    quick_verdict,
    rescuable,
    rescue_order,
    rescued_confidence,
    stochastic_count,
    trusted,
    turned_result,
    uncertain_message,
    worth_polishing,
)
from .mini_ot_params import MINI_NAMES, OT_PARAMS, SCHEMA

# Keys of mini's report that describe one candidate's first map (mini's seed, its anchor and refinement stages);
# mini-ot's report holds the kept candidate's under "first_map".
FIRST_MAP_KEYS = ("seed", "qap_score_normalised", "refine1_objective", "refine2_self_consistency",
                  "orthogonality_error", "matching_score")


class MiniOTMethod(LinearMethod):
    name = "mini-ot"
    summary = ("mini-vec2vec refined by optimal transport (Wasserstein-Procrustes), with a label-free confidence that "
               "warns when the fit failed (unpaired; the default)")
    schema = SCHEMA

    def fit(self, X_a: ArrayLike, X_b: ArrayLike, *, seed: SeedLike, n_threads: int) -> FitResult:
        p = {**SCHEMA.defaults(), **self.params}
        base_seed = resolve_seed(seed)
        most = p["candidates"] + p["extra_candidates"]
        if base_seed + max(most, p["explore_candidates"], p["reverse_candidates"]) * p["n_seeds"] > 2**64:
            raise ValueError(f"seed={base_seed} leaves no room for candidates={p['candidates']} + "
                             f"extra_candidates={p['extra_candidates']} (or explore_candidates="
                             f"{p['explore_candidates']}, or reverse_candidates={p['reverse_candidates']}) x "
                             f"n_seeds={p['n_seeds']} consecutive seeds")
        mini_params = MiniParams(**{k: p[k] for k in MINI_NAMES})
        rng = np.random.default_rng([base_seed, 7])  # a stream of its own: mini's stays the published one
        a_all = training_rows(X_a, "X_a", p["max_rows"], rng, n_threads)
        b_all = training_rows(X_b, "X_b", p["max_rows"], rng, n_threads)
        held_a, fit_a = _split(len(a_all), p["holdout"], rng)
        held_b, fit_b = _split(len(b_all), p["holdout"], rng)
        a_fit, b_fit = a_all[fit_a], b_all[fit_b]
        # Checked now, not when the first candidates disagree minutes later (mini checks anchor_clusters itself).
        if p["extra_anchor_clusters"] > min(len(a_fit), len(b_fit)):
            raise ValueError(f"extra_anchor_clusters={p['extra_anchor_clusters']} exceeds the smaller side's "
                             f"{min(len(a_fit), len(b_fit))} fitted rows")
        ot_a = np.sort(rng.choice(len(a_fit), min(p["ot_rows"], len(a_fit)), replace=False))
        ot_b = np.sort(rng.choice(len(b_fit), min(p["ot_rows"], len(b_fit)), replace=False))
        rows: list = []

        def candidate(offset: int, why: str = "", clusters: int = 0, params: MiniParams = mini_params,
                      reverse: bool = False, stochastic: bool = False):
            # Offset o runs mini's seeds seed + o * n_seeds ...: no two offsets share a seed in one direction (an
            # extra offset is fitted at two anchor-cluster counts, each its own candidate; a reverse candidate takes a
            # forward one's seed the other way round). A stochastic candidate refines candidate ``offset``'s mini map
            # again (the first candidates are candidates 0, 1 ...), so it fits no mini of its own.
            mini_seed = candidates[offset][0].seed if stochastic else base_seed + offset * p["n_seeds"]
            reverse = candidates[offset][2]["reverse"] if stochastic else reverse
            params = dataclasses.replace(params, anchor_clusters=clusters) if clusters else params
            bar.start(f"candidate {len(candidates) + 1} (mini seed {mini_seed}{', B -> A' if reverse else ''}"
                      f"{f', {clusters} anchor clusters' if clusters else ''}"
                      f"{', stochastic rounds' if stochastic else ''}{'; ' + why if why else ''})")
            if stochastic:
                result, _, first_report, _ = candidates[offset]
                report = {**first_report, "seconds": {}, "stochastic": True}
            else:
                result = (turned_result(fit_mini(b_fit, a_fit, params, seed=mini_seed, n_threads=n_threads)) if reverse
                          else fit_mini(a_fit, b_fit, params, seed=mini_seed, n_threads=n_threads))
                report = {**result.report, "anchor_clusters": params.anchor_clusters,
                          "anchor_runs": params.anchor_runs, "reverse": reverse, "stochastic": False}
            t = time.perf_counter()
            if not rows:  # every candidate fits the same rows, hence has the same means: preprocess once
                with threadpool_limits(limits=1, user_api="blas"):  # the same bits at any thread count
                    rows.extend([preprocess(a_fit[ot_a], result.mean_a), preprocess(b_fit[ot_b], result.mean_b),
                                 preprocess(a_all[held_a], result.mean_a), preprocess(b_all[held_b], result.mean_b)])
            x, z, x_held, z_held = rows
            W = result.W
            if stochastic:
                W, report["stochastic_rounds"] = mini_ot_polish.stochastic_start(x, z, W, p, (base_seed, 10, offset),
                                                                                 n_threads)
                report["seconds"]["stochastic"] = time.perf_counter() - t
                t = time.perf_counter()
            W, history = ot_refine(x, z, W, eps=p["ot_eps"], max_rounds=p["ot_max_rounds"],
                                   sweeps=p["ot_sweeps"], tol=p["ot_tol"], n_threads=n_threads)
            report["ot_refinement"] = history
            report["seconds"]["ot_refinement"] = time.perf_counter() - t
            t = time.perf_counter()
            confidence = score_map(x_held, z_held, W, np.random.default_rng([base_seed, 8]))  # the same copies each
            report["seconds"]["confidence"] = time.perf_counter() - t
            bar.done()
            return result, W, report, confidence

        candidates: list = []
        quick_runs = p["quick_anchor_runs"]
        quick_first = 0 < quick_runs < mini_params.anchor_runs and p["candidates"] > 1 and len(held_a) > 0
        with StepProgress(p["progress"], p["candidates"] + 1, "mini-ot") as bar:
            quick = None
            if quick_first:
                quick_params = dataclasses.replace(mini_params, anchor_runs=quick_runs)
                for offset in range(p["candidates"]):
                    candidates.append(candidate(offset, f"quick: {quick_runs} anchor runs", params=quick_params))
                quick = quick_verdict(candidates, rows[2], quick_runs)
                if not quick["accepted"]:  # set aside: the fit runs as it would have without the quick pair
                    bar.add(p["candidates"])
                    candidates = []
            if not candidates:
                for offset in range(p["candidates"]):
                    candidates.append(candidate(offset))
            extras = extra_schedule(p)
            x_held = rows[2]
            best = max(range(len(candidates)), key=lambda i: candidates[i][3].get("score", 0.0))
            confidence = candidates[best][3]
            if len(candidates) > 1 and "score" in confidence:
                cross = cross_check(candidates, best, x_held)
                # Fits that disagree may be one seed gone astray rather than data that allow many maps (measured
                # on WordNet glosses: a candidate finds the map or not, seed by seed): more seeds, until two agree.
                # Not when the score already says the best map found no structure of B (noise, too few rows): no
                # seed will.
                # The stochastic candidates first (no new mini fit: the first maps may hold the right
                # correspondences in part), then the forward extras, then the reverse candidates (the other
                # direction may find the map where this one's partitions do not correspond).
                schedule = ([(offset, 0, False, True) for offset in range(stochastic_count(p))]
                            + [(offset, clusters, False, False) for offset, clusters in extras]
                            + [(offset, 0, True, False) for offset in range(p["reverse_candidates"])])
                while (cross["ambiguous"] and candidates[best][3]["status"] != "failed"
                       and len(candidates) - p["candidates"] < len(schedule)):
                    bar.add(1)
                    offset, clusters, reverse, stochastic = schedule[len(candidates) - p["candidates"]]
                    candidates.append(candidate(offset, "the first ones found different maps", clusters,
                                                reverse=reverse, stochastic=stochastic))
                    best, cross = confirmed_choice(candidates, x_held)
                # Every scheduled candidate spent and still different maps: stochastic rounds from the other mini
                # maps, which find the map from a given start only some of the time (see rescue_candidates).
                rescues = rescue_order(candidates)[:p["rescue_candidates"]]
                while cross["ambiguous"] and candidates[best][3]["status"] != "failed" and rescues:
                    bar.add(1)
                    parent = rescues.pop(0)
                    candidates.append(candidate(parent, "every candidate found a different map", stochastic=True))
                    best, cross = confirmed_choice(candidates, x_held)
                confidence = {**candidates[best][3], **cross, "extra_candidates": len(candidates) - p["candidates"]}
                if confidence["ambiguous"] and confidence["status"] != "failed":
                    confidence = {**confidence, "status": "failed", "why": ambiguous_why(confidence, len(candidates))}
            fit_rows = min(len(fit_a), len(fit_b))
            confidence = trusted(confidence, fit_rows, len(candidates), p)
            t = time.perf_counter()
            rescue, all_rows = None, None
            if rescuable(candidates, best, confidence, p):
                all_rows, _ = mini_ot_polish.polish_rows(a_all, b_all, candidates[best][0], "ok", p, rng, base_seed)
                rescue = mini_ot_polish.polish_rescue(rows, all_rows, candidates, p, n_threads, base_seed, bar)
                if rescue["found"]:
                    confidence = trusted(rescued_confidence(confidence, rescue, candidates), fit_rows,
                                          len(candidates), p)
            if rescue is not None and rescue["found"]:  # the rescued map is polished already
                polish_rows, skipped = None, {"applied": True, "by": "polish_rescue"}
            else:
                polish_rows, skipped = mini_ot_polish.polish_rows(a_all, b_all, candidates[best][0],
                                                                  confidence["status"], p, rng, base_seed)
            polished = {}
            if polish_rows is not None:
                bar.start(f"polish of candidate {best + 1}")
                polished[best] = mini_ot_polish.polish(polish_rows, candidates[best][1], x_held, p, n_threads)
            bar.done()
            polish_seconds = time.perf_counter() - t
            exploring = (polish_rows is not None and p["explore_candidates"] > p["candidates"]
                         and confidence.get("agreement", 1.0) < EXPLORE_BELOW)
            if exploring:
                reverse_left = offsets_left(candidates, base_seed, p["n_seeds"], p["reverse_candidates"], "reverse")
                stochastic_left = offsets_left(candidates, base_seed, p["n_seeds"], stochastic_count(p),
                                                "stochastic")
                bar.add(max(0, p["explore_candidates"] - len(candidates)) + len(reverse_left) + len(stochastic_left))
                offset = next_offset(candidates, base_seed, p["n_seeds"])
                why = f"exploring: the first agree at {confidence['agreement']:.2f}"
                for k in range(p["explore_candidates"] - len(candidates)):
                    candidates.append(candidate(offset + k, why, params=explore_params(mini_params, p, k)))
                for reverse_offset in reverse_left:
                    candidates.append(candidate(reverse_offset, why, reverse=True))
                for first in stochastic_left:
                    candidates.append(candidate(first, why, stochastic=True))
                t = time.perf_counter()
                explorable = worth_polishing(candidates, best, x_held)
                bar.add(len(explorable))
                for i in explorable:
                    bar.start(f"polish of candidate {i + 1}")
                    polished[i] = mini_ot_polish.polish(polish_rows, candidates[i][1], x_held, p, n_threads)
                    bar.done()
                polish_seconds += time.perf_counter() - t
            kept = rescue["kept"] if rescue is not None and rescue["found"] else best_polished(polished, best)
            t = time.perf_counter()
            bagged = mini_ot_polish.bagged(polished, kept, candidates[kept][1], polish_rows, x_held, p, n_threads,
                                           base_seed, bar) if exploring else None
            chain_rows, chain_objective = mini_ot_polish.chain_from(exploring, polish_rows, polished, kept, rescue,
                                                                    all_rows)
            chain = None
            if chain_rows is not None and p["polish_chain"] > 0:
                chain_start = mini_ot_polish.fitted_map(candidates[kept][1], polished, kept, bagged, rescue)
                chain = mini_ot_polish.chained(chain_rows, chain_start, chain_objective, x_held, p, n_threads, bar)
            polish_seconds += time.perf_counter() - t
        first_agreement = confidence.get("agreement")
        result, W, report, _ = candidates[kept]
        if kept != best and rescue is None:
            confidence = trusted(explored_confidence(candidates, kept, best, confidence, x_held), fit_rows,
                                  len(candidates), p)
        report["confidence"], report["status"] = confidence, confidence["status"]
        report["polish"] = polished[kept][1] if kept in polished else skipped
        if bagged is not None:
            report["polish"] = {**report["polish"], "bags": bagged[1]}
        if rescue is not None:
            report["polish_rescue"] = {k: v for k, v in rescue.items() if k != "W"}
        W = mini_ot_polish.fitted_map(W, polished, kept, bagged, rescue)
        if chain is not None:
            W, report["polish"]["chain"] = chain
        if exploring:
            report["exploration"] = {
                "agreement": first_agreement, "agreement_below": EXPLORE_BELOW, "kept_seed": result.seed,
                "kept_reverse": report["reverse"], "kept_stochastic": report["stochastic"],
                "polished": [{"seed": candidates[i][0].seed, "reverse": candidates[i][2]["reverse"],
                              "stochastic": candidates[i][2]["stochastic"],
                              "score": candidates[i][3].get("score"), "applied": rec["applied"],
                              "objective": objective}
                             for i, (_, rec, objective) in sorted(polished.items())]}
        report["seconds"]["polish"] = polish_seconds
        report["rows_used"] = {**report["rows_used"], "held_out_a": len(held_a), "held_out_b": len(held_b)}
        report["params"] = {**dataclasses.asdict(mini_params), **{q.name: p[q.name] for q in OT_PARAMS}}
        if len(candidates) > 1:
            report["candidates"] = [{"seed": c[0].seed, "reverse": c[2]["reverse"], "stochastic": c[2]["stochastic"],
                                     "anchor_clusters": c[2]["anchor_clusters"], "anchor_runs": c[2]["anchor_runs"],
                                     "score": c[3].get("score"), "status": c[3]["status"],
                                     "seconds": candidate_seconds(c[2])}
                                    for c in candidates]
            if len(x_held):  # which candidates found the same map, readable from the record alone
                report["candidate_agreement"] = agreement_matrix(candidates, x_held).round(4).tolist()
        if quick is not None:
            report["quick"] = quick
        set_aside_seconds = quick["seconds"] if quick is not None and not quick["accepted"] else 0.0
        report["seconds"]["total"] = (sum(candidate_seconds(c[2]) for c in candidates) + report["seconds"]["polish"]
                                      + set_aside_seconds)
        if confidence["status"] == "failed":
            warnings.warn(AlignmentFailedWarning(failure_message(confidence)), stacklevel=3)
        elif confidence["status"] == "uncertain":
            warnings.warn(AlignmentUncertainWarning(
                f"the fitted map may not be usable: {confidence.get('why') or uncertain_message(confidence)}"),
                stacklevel=3)
        report["chosen_mini_seed"] = result.seed
        report["chosen_reverse"] = report["reverse"]  # the kept candidate's mini was fitted B -> A
        report["chosen_stochastic"] = report["stochastic"]  # the kept candidate was refined by stochastic rounds
        # mini's own diagnostics describe the kept candidate's first map, not the fitted one (its Refine-2 map is not
        # orthogonal: 0.65 on a 1M-row fit whose final map is orthogonal to 2e-6), so they are kept apart.
        report["first_map"] = {k: report.pop(k) for k in FIRST_MAP_KEYS if k in report}
        report["orthogonality_error"] = orthogonality_error(W)
        fitted = LinearMap(W, result.mean_a, result.mean_b, result.scale_a, result.scale_b)
        # The seed the user gave: it fixes the hold-out split and every candidate, so it alone reproduces the fit.
        return FitResult(fitted, base_seed, report)


def _split(n: int, holdout: int, rng: np.random.Generator):
    """(held-out rows, fit rows), both sorted: at most a fifth of the rows is held out."""
    h = min(holdout, n // 5)
    held = np.sort(rng.choice(n, h, replace=False)) if h else np.empty(0, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    mask[held] = False
    return held, np.flatnonzero(mask)
