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
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from .._numerics import orthogonality_error, preprocess
from .._validation import SeedLike, resolve_seed
from ..confidence import score_map
from ..errors import AlignmentFailedWarning, AlignmentUncertainWarning
from ..linear_map import LinearMap
from ..mini import MiniParams, fit_mini, training_rows
from ..procrustes import orthogonalize
from ..transport import ot_refine, plan_groups, stochastic_refine
from ._progress import StepProgress
from .base import FitResult
from .linear import LinearMethod
from .mini_ot_candidates import (
    EXPLORE_BELOW,
    MIN_AGREEMENT,
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
    map_agreement,
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
from .mini_ot_params import CHAIN_ACCEPT, CHAIN_GAIN, CHAIN_MISSES, MINI_NAMES, OT_PARAMS, SCHEMA

# The polished map must be the scored map refined, not a different one: the same test as between candidates (measured
# on e5 -> MiniLM: a polish from top-1 0.824 to 0.876 agrees with its start at 0.84; different maps agree below 0.4).
MIN_POLISH_AGREEMENT = MIN_AGREEMENT
POLISH_RIDGE = 1.0  # ridge of the whitened polish, in units of A's mean eigenvalue (measured best of 0.001-3 overall)
# Every pair gained from 4 to 8 polish rounds; past 8 most have converged, but a map far from the fixed point keeps
# climbing for 20-30 rounds (e5 -> MiniLM, seed 0: 0.876 after 8, 0.909 after 30) while its objective still gains.
POLISH_MIN_ROUNDS = 8
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
                W, report["stochastic_rounds"] = _stochastic_start(x, z, W, p, (base_seed, 10, offset), n_threads)
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
                all_rows, _ = _polish_rows(a_all, b_all, candidates[best][0], "ok", p, rng, base_seed)
                rescue = _polish_rescue(rows, all_rows, candidates, p, n_threads, base_seed, bar)
                if rescue["found"]:
                    confidence = trusted(rescued_confidence(confidence, rescue, candidates), fit_rows,
                                          len(candidates), p)
            if rescue is not None and rescue["found"]:  # the rescued map is polished already
                polish_rows, skipped = None, {"applied": True, "by": "polish_rescue"}
            else:
                polish_rows, skipped = _polish_rows(a_all, b_all, candidates[best][0], confidence["status"], p, rng,
                                                    base_seed)
            polished = {}
            if polish_rows is not None:
                bar.start(f"polish of candidate {best + 1}")
                polished[best] = _polish(polish_rows, candidates[best][1], x_held, p, n_threads)
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
                    polished[i] = _polish(polish_rows, candidates[i][1], x_held, p, n_threads)
                    bar.done()
                polish_seconds += time.perf_counter() - t
            kept = rescue["kept"] if rescue is not None and rescue["found"] else best_polished(polished, best)
            t = time.perf_counter()
            bagged = _bagged(polished, kept, candidates[kept][1], polish_rows, x_held, p, n_threads, base_seed,
                             bar) if exploring else None
            chain_rows, chain_objective = _chain_from(exploring, polish_rows, polished, kept, rescue, all_rows)
            chain = None
            if chain_rows is not None and p["polish_chain"] > 0:
                chain = _chained(chain_rows, _fitted_map(candidates[kept][1], polished, kept, bagged, rescue),
                                 chain_objective, x_held, p, n_threads, bar)
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
        W = _fitted_map(W, polished, kept, bagged, rescue)
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


def _stochastic_start(x: np.ndarray, z: np.ndarray, W: np.ndarray, p: dict, seed: tuple, n_threads: int):
    """(map, record): W after :func:`vec2vec_fast.transport.stochastic_refine` on ``stochastic_rows`` rows a side drawn
    from the candidate's rows (seeded by ``seed``)."""
    rng = np.random.default_rng([*seed, 0])
    pick_x = np.sort(rng.choice(len(x), min(p["stochastic_rows"], len(x)), replace=False))
    pick_z = np.sort(rng.choice(len(z), min(p["stochastic_rows"], len(z)), replace=False))
    return stochastic_refine(x[pick_x], z[pick_z], W, eps=p["ot_eps"], stage_rounds=p["stochastic_rounds"],
                             keep=p["stochastic_keep"], sweeps=p["ot_sweeps"], seed=(*seed, 1), n_threads=n_threads)


def _polish_rescue(rows: list, all_rows: PolishRows, candidates: list, p: dict, n_threads: int, base_seed: int,
                   bar: StepProgress) -> dict:
    """The record of a failed fit's second look, on the candidates' rows (``rows``: fitted A and B rows, held-out A
    and B rows): the ``rescue_polishes`` best-scored candidates polished on the fitted rows; from the polish that ends
    highest and the highest of those whose candidate disagrees with its candidate (agreement below MIN_AGREEMENT:
    another start), stochastic rounds and a second polish; found when those two maps agree. Then the polar factor of
    their sum is scored on the held-out rows (``score``, the candidates' score: no step of the rescue saw those rows),
    ``W`` is that map polished on ``all_rows`` (see _polished_mean) and ``kept`` the candidate whose rescued map ends
    higher.

    Why: the candidates of a failed fit may hold the map in part, the polish takes such a start further than the
    candidate's own rounds, and the stochastic rounds from there further still, from two different starts to one map;
    where no candidate holds it the two end at different maps (study README, twenty-sixth round). Two starts must
    reach it, as in the candidates' own rule: one map found once is not told apart from a wrong fixed point. The
    starts must disagree rather than come from different mini fits: on e5-small -> MPNet WordNet the two that met
    were a reverse candidate and the stochastic candidate refined from its mini map, which agree at 0.45 (top-1
    0.05 and 0.34; polished, 0.13 and 0.74); the next mini fit's polish, at chance, was no start."""
    fit_rows, (x_held, z_held) = PolishRows(rows[0], rows[1]), (rows[2], rows[3])
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i][3].get("score", 0.0))
    order = [i for i in order if candidates[i][3]["status"] != "failed"][:p["rescue_polishes"]]
    bar.add(len(order) + 2)
    polished = {}
    for i in order:
        bar.start(f"rescue: polish of candidate {i + 1}")
        W, _, objective = _polish(fit_rows, candidates[i][1], x_held, p, n_threads)
        bar.done()
        if objective is not None:
            polished[i] = (W, objective)
    record = {"polished": [{"candidate": i, "objective": polished[i][1] if i in polished else None} for i in order],
              "found": False}
    ranked = sorted(polished, key=lambda i: -polished[i][1])
    if not ranked:
        return record
    first = ranked[0]
    # Two different starts: candidates that already agree (a stochastic candidate and its own first one, say) could
    # meet whether or not the map is right.
    others = [i for i in ranked[1:] if map_agreement(x_held, candidates[first][1], candidates[i][1]) < MIN_AGREEMENT]
    if not others:
        return record
    starts = [first, others[0]]
    no_held = np.empty((0, x_held.shape[1]), dtype=np.float32)  # the rounds are meant to move the map
    rescued = []
    for k, i in enumerate(starts):
        bar.start(f"rescue: stochastic rounds and polish from candidate {i + 1}'s polish")
        W, stages = _stochastic_start(fit_rows[0], fit_rows[1], polished[i][0], p, (base_seed, 11, k), n_threads)
        W, _, objective = _polish(fit_rows, W, no_held, p, n_threads)
        bar.done()
        rescued.append({"candidate": i, "objective": objective, "stochastic_rounds": stages, "W": W})
    agreement = map_agreement(x_held, rescued[0]["W"], rescued[1]["W"])
    kept = max(range(2), key=lambda k: rescued[k]["objective"])
    record.update({"rescued": [{k: v for k, v in r.items() if k != "W"} for r in rescued], "agreement": agreement,
                   "agreement_at_least": MIN_AGREEMENT, "found": bool(agreement >= MIN_AGREEMENT)})
    if record["found"]:
        mean = orthogonalize(np.add(rescued[0]["W"], rescued[1]["W"], dtype=np.float64))
        record["score"] = score_map(x_held, z_held, mean, np.random.default_rng([base_seed, 8]))  # the same copies
        W, record["mean_polish"] = _polished_mean(all_rows, mean, x_held, p, n_threads, base_seed, bar)
        record.update({"kept": rescued[kept]["candidate"], "W": W})
    return record


def _polished_mean(rows: PolishRows, mean: np.ndarray, x_held: np.ndarray, p: dict, n_threads: int, base_seed: int,
                   bar: StepProgress):
    """(map, record): ``mean`` (the polar factor of the two rescued maps' sum) polished ``polish_bags`` times
    (round-robin folds, then the rows dealt in orders drawn from (seed, 12, bag)) and the polar factor of the polishes'
    sum; a polish that moves away from the mean (agreement on the held-out rows) is left out, and with none left the
    mean is the map.

    Why: each rescued map carries its own start's error, and their mean less of it, so the polish climbs further from
    there (e5-small -> MPNet WordNet glosses seed 0: maps at top-1 0.771 and 0.780, their mean 0.788, the mean
    polished 0.856, three fold orders bagged 0.861; study README, twenty-seventh round)."""
    bags = max(1, p["polish_bags"])
    bar.add(bags)
    maps, objectives = [], []
    for bag in range(bags):
        bar.start(f"rescue: polish of the two rescued maps' mean, fold order {bag + 1} of {bags}")
        fold_seed = None if bag == 0 else (base_seed, 12, bag)
        W, _, objective = _polish(rows, mean, x_held, p, n_threads, fold_seed=fold_seed)
        bar.done()
        objectives.append(objective)
        if objective is not None:
            maps.append(W)
    record = {"tried": bags, "count": len(maps), "objectives": objectives}
    return (orthogonalize(np.sum(maps, axis=0, dtype=np.float64)) if maps else mean), record


class PolishRows(NamedTuple):
    """The rows a polish runs on. ``group_seed`` is where the plans' groups are dealt from when the rows exceed
    ``ot_rows`` a side (the polish's own rows, see _polish_rows); None plans all rows at once (a rescue's candidate
    rows, which fit one plan by construction, or a caller's plain (x, z) pair)."""
    x: np.ndarray
    z: np.ndarray
    group_seed: tuple | None = None


def _polish_rows(a_all: np.ndarray, b_all: np.ndarray, result, status: str, p: dict, rng: np.random.Generator,
                 base_seed: int) -> tuple[PolishRows | None, dict | None]:
    """(PolishRows, None): the rows every polish of this fit runs on (all rows, held-out ones included, a
    seeded sample of ``polish_max_rows`` a side when there are more; the same for every candidate, so that their
    objectives compare), with the seed its plans' groups are dealt from where they exceed ``ot_rows`` a side; or
    (None, the record of why there is no polish)."""
    if p["polish_rounds"] == 0 or p["ot_max_rounds"] == 0:
        return None, {"applied": False, "why": "polish_rounds=0" if p["polish_rounds"] == 0 else "ot_max_rounds=0"}
    if status == "failed":
        return None, {"applied": False, "why": "the fit failed"}
    pick_a = np.sort(rng.choice(len(a_all), min(p["polish_max_rows"], len(a_all)), replace=False))
    pick_b = np.sort(rng.choice(len(b_all), min(p["polish_max_rows"], len(b_all)), replace=False))
    with threadpool_limits(limits=1, user_api="blas"):  # every candidate has the same means: preprocess once
        return PolishRows(preprocess(a_all[pick_a], result.mean_a), preprocess(b_all[pick_b], result.mean_b),
                          group_seed=(base_seed, 13)), None


def _polish(rows: PolishRows | tuple, W: np.ndarray, x_held: np.ndarray, p: dict, n_threads: int, fold_seed=None):
    """(map, record, final objective): the scored map W after at least POLISH_MIN_ROUNDS (or ``polish_rounds`` if
    fewer), at most ``polish_rounds`` more transport rounds on ``rows``, stopped when the objective gains less than
    ``ot_tol``; the final objective is None when the polished map is not kept.

    Why: top-1 grows with the rows the transport sees, and the held-out rows are a fifth of them; the whitened step
    (``polish_whiten``) removes a bias of the plain one (measured on four real pairs, seed 0: 4 plain rounds +0.6 to
    +2.3 points, 8 whitened rounds +2.1 to +5.2, 8-29 s). The confidence belongs to the scored map, so the polished
    map replaces it only when it is that map refined (agreement on the held-out rows)."""
    x, z, group_seed = PolishRows(*rows)  # a plain (x, z) pair plans all rows at once
    rounds = p["polish_rounds"]
    # Cross-fitted rounds run them all: their objective is flat within a few rounds while top-1 keeps rising
    # (e5 -> MiniLM, seed 0, no momentum: 0.890 after 8 rounds, 0.912 after 16, 0.919 after 32; momentum 0.5: 0.922
    # after 16).
    min_rounds = rounds if p["polish_folds"] > 1 else min(rounds, POLISH_MIN_ROUNDS)
    W_polished, history = ot_refine(x, z, W, eps=p["ot_eps"], max_rounds=rounds, sweeps=p["ot_sweeps"],
                                    tol=p["ot_tol"], n_threads=n_threads, min_rounds=min_rounds,
                                    ridge=POLISH_RIDGE if p["polish_whiten"] else None, folds=p["polish_folds"],
                                    momentum=p["polish_momentum"], fold_seed=fold_seed,
                                    group_rows=p["ot_rows"] if group_seed is not None else None,
                                    group_seed=group_seed)
    record = {"rounds": history, "rows": [len(x), len(z)], "folds": p["polish_folds"],
              "plan_groups": plan_groups(len(x), len(z), p["ot_rows"] if group_seed is not None else None),
              "momentum": p["polish_momentum"],
              "agreement_at_least": MIN_POLISH_AGREEMENT}
    objective = history[-1]["objective"] if history else None
    if len(x_held):
        record["agreement"] = map_agreement(x_held, W, W_polished)
        if record["agreement"] < MIN_POLISH_AGREEMENT:
            return W, {**record, "applied": False, "why": f"the polished map moved away from the scored one "
                                                          f"(agreement {record['agreement']:.3f})"}, None
    return W_polished, {**record, "applied": True}, objective


def _bagged(polished: dict, kept: int, W_start: np.ndarray, rows: PolishRows, x_held: np.ndarray, p: dict,
            n_threads: int, base_seed: int, bar: StepProgress):
    """(map, record) of the kept polish bagged over ``polish_bags`` fold orders, or None (one bag, or no kept polish).
    The kept polish is the first bag (round-robin folds); each further bag polishes the same start with the rows
    dealt into the folds in an order drawn from (seed, 9, bag), and the map is the polar factor of the bags' sum.

    Why: in fits that explore, the cross-fitted rounds end where their folds take them. The same start polished with
    the rows in other orders ended up to 1.2 points of top-1 apart, and the polar factor of three such maps beat the
    method's own polish on all six exploring fits measured (four Wikipedia and two WordNet pairs: +0.1 to +0.75
    points, mean +0.5); where the first candidates agree the polish converges, and bags moved top-1 by 0.1 at most
    (docs/benchmarks.md, study README seventeenth round). The maps share a start and a basin, so their sum keeps the
    map and averages the folds' noise out."""
    if p["polish_bags"] < 2 or kept not in polished or polished[kept][2] is None:
        return None
    maps, agreements = [polished[kept][0]], []
    bar.add(p["polish_bags"] - 1)
    for bag in range(1, p["polish_bags"]):
        bar.start(f"polish of candidate {kept + 1}, fold order {bag + 1} of {p['polish_bags']}")
        W_bag, record, objective = _polish(rows, W_start, x_held, p, n_threads, fold_seed=(base_seed, 9, bag))
        bar.done()
        if objective is not None:  # a bag that left the scored map's basin is not averaged in
            maps.append(W_bag)
            agreements.append(map_agreement(x_held, maps[0], W_bag) if len(x_held) else None)
    W = orthogonalize(np.sum(maps, axis=0, dtype=np.float64))
    record = {"count": len(maps), "tried": p["polish_bags"], "agreement_with_first": agreements}
    if len(x_held):
        record["agreement"] = map_agreement(x_held, W_start, W)
    return W, record


def _fitted_map(W: np.ndarray, polished: dict, kept: int, bagged, rescue) -> np.ndarray:
    """The map a fit stands on before its chain: the rescued map, else the bags' map, else the kept candidate's
    polish, else its unpolished map W."""
    if rescue is not None and rescue["found"]:
        return rescue["W"]
    if bagged is not None:
        return bagged[0]
    return polished[kept][0] if kept in polished else W


def _chain_from(exploring: bool, polish_rows, polished: dict, kept: int, rescue, all_rows):
    """(rows, objective) the polish chain starts from: the kept polish's rows and last objective in a fit that
    explored, the rescue's rows and its mean's best polish in a rescued one; (None, None) for any other fit (its first
    candidates agreed, so the polish converged) and where no polish was kept."""
    if exploring and kept in polished and polished[kept][2] is not None:
        return polish_rows, polished[kept][2]
    if rescue is not None and rescue["found"]:
        objectives = [o for o in rescue["mean_polish"]["objectives"] if o is not None]
        if objectives:
            return all_rows, max(objectives)
    return None, None


def _chained(rows: PolishRows, W: np.ndarray, objective: float, x_held: np.ndarray, p: dict, n_threads: int,
             bar: StepProgress):
    """(map, record): W polished again (round-robin folds) up to ``polish_chain`` times, each polish from the one
    before; the map of the polish whose last objective is the best, when it beats ``objective`` (that of the polish W
    came from) by CHAIN_GAIN, and each one kept beat the one before by as much; W when none did, when the best beats
    ``objective`` by less than CHAIN_ACCEPT in all, or when the kept map no longer agrees with W (on the held-out
    rows, as a polish must agree with its start). The chain stops after CHAIN_MISSES polishes in a row that did not
    beat the kept one.

    Why: a polish is a fixed count of rounds, and where the map starts far from the fixed point (fits that explore or
    are rescued) it stops on the way: e5-small -> MPNet WordNet glosses seed 1, the kept map at top-1 0.779 polished
    again 0.838, 0.892, 0.901, 0.903, and then stood (objective 0.3142, 0.3146, 0.3235, 0.3260, 0.3268; study README,
    twenty-eighth round). The first polish of such a chain may gain little objective while top-1 climbs, hence two
    misses, not one. A fit that had converged may still gain a little objective and lose top-1 (MiniLM -> e5-small
    Wikipedia seed 0: +0.0021, 0.924 -> 0.918), hence CHAIN_ACCEPT; it keeps its map, at the cost of two to four
    polishes."""
    record = {"objectives": [], "kept": 0, "gain_at_least": CHAIN_GAIN, "misses_at_most": CHAIN_MISSES,
              "start_objective": objective}
    W_kept, best, W_last, misses = W, objective, W, 0
    for k in range(p["polish_chain"]):
        bar.add(1)  # one at a time: how many run is known only as they go
        bar.start(f"polish again ({k + 1} of at most {p['polish_chain']}: the chain still gains)")
        W_last, _, next_objective = _polish(rows, W_last, x_held, p, n_threads)
        bar.done()
        record["objectives"].append(next_objective)
        if next_objective is None:  # the polish moved away from its start: no further
            break
        if next_objective >= best + CHAIN_GAIN:
            W_kept, best, record["kept"], misses = W_last, next_objective, k + 1, 0
        else:
            misses += 1
            if misses >= CHAIN_MISSES:
                break
    if record["kept"] and best < objective + CHAIN_ACCEPT:
        return W, {**record, "kept": 0, "why": f"the chain gained {best - objective:.4f} in all, below "
                                               f"{CHAIN_ACCEPT}: the fit had converged"}
    if record["kept"] and len(x_held):
        record["agreement"] = map_agreement(x_held, W, W_kept)
        if record["agreement"] < MIN_POLISH_AGREEMENT:
            return W, {**record, "kept": 0, "why": f"the chain moved away from the fitted map (agreement "
                                                   f"{record['agreement']:.3f})"}
    return W_kept, record


def _split(n: int, holdout: int, rng: np.random.Generator):
    """(held-out rows, fit rows), both sorted: at most a fifth of the rows is held out."""
    h = min(holdout, n // 5)
    held = np.sort(rng.choice(n, h, replace=False)) if h else np.empty(0, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    mask[held] = False
    return held, np.flatnonzero(mask)
