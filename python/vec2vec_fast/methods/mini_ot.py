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

from .._numerics import orthogonality_error, preprocess, unit_rows
from .._validation import SeedLike, resolve_seed
from ..confidence import score_map
from ..errors import AlignmentFailedWarning, AlignmentUncertainWarning
from ..linear_map import LinearMap
from ..mini import SCHEMA as MINI_SCHEMA, MiniParams, MiniResult, fit_mini, training_rows
from ..procrustes import orthogonalize
from ..schema import Param, Schema
from ..transport import ot_refine, plan_groups, stochastic_refine
from ._progress import StepProgress
from .base import FitResult
from .linear import LinearMethod

# A chained polish is kept when its last objective beats the kept one's by at least this much, and the chain stops
# after CHAIN_MISSES polishes in a row that do not. Measured (e5-small -> MPNet WordNet glosses, three maps polished
# again six times): +0.0003 to +0.0021 on the first polish and +0.002 to +0.009 on the next two while top-1 climbed 5
# to 8 points a polish, then -0.0005 to +0.0007 once it stood at 0.895-0.903; USE -> e5-small Wikipedia seed 4, which
# does not climb, alternates -0.0012, +0.0036, -0.0018, +0.0018.
CHAIN_GAIN = 5e-4
CHAIN_MISSES = 2
# The chain's best polish replaces the fitted map only when it beats the fit's own polish by this much in all. Measured
# (study README, twenty-eighth and twenty-ninth rounds, thirteen chains): chains that climbed 3 to 12 points of top-1
# gained +0.0073 to +0.0141; chains from fits that had converged gained +0.0020 to +0.0024 at most (MiniLM -> e5-small
# Wikipedia seed 0: +0.0021, top-1 0.924 -> 0.918 when kept; USE -> e5-small Wikipedia seed 4: 0.864 -> 0.863).
CHAIN_ACCEPT = 4e-3

OT_PARAMS = (
    Param("ot_rows", int, 16_000, "transport refinement: rows sampled per side (memory: 4 ot_rows^2 bytes, 1 GB at "
          "16,000)", low=2, high=40_000),
    Param("ot_eps", float, 0.03, "transport refinement: entropic regularisation in cosine units (>= 0.1 drifts)",
          above=0.0, high=10.0),
    Param("ot_max_rounds", int, 12, "transport refinement: at most this many rounds (plan, then Procrustes); 0 skips "
          "it", low=0, high=1_000),
    Param("ot_tol", float, 1e-4, "transport refinement: stop when the plan's mean cosine gains less than this",
          low=0.0, high=1.0),
    Param("ot_sweeps", int, 10, "transport refinement: Sinkhorn sweeps per round (warm-started from the last round: "
          "10 and 50 gave the same objective to 4 digits, measured)", low=1, high=100_000),
    Param("polish_rounds", int, 16, "after the best candidate is chosen: this many more transport rounds on all "
          "rows, held-out ones included (at most polish_max_rows a side); with polish_folds=1 at least 8, then "
          "until the plan's mean cosine gains less than ot_tol; kept only if the polished map agrees with the scored "
          "one; 0 skips it", low=0, high=1_000),
    Param("polish_max_rows", int, 100_000, "polish: at most this many rows a side enter its rounds (all rows, held-out "
          "ones included; a seeded sample when there are more). Above ot_rows a side, each round's plan is computed "
          "in groups of at most ot_rows a side, dealt afresh each round, and every row's term enters the Procrustes "
          "step: memory stays that of an ot_rows plan and a round's time grows with the rows (measured: what rows "
          "buy the polish is mostly terms in its sum; two groups of half the rows reached 0.911 where one plan of "
          "all reached 0.923 and half the rows alone 0.833, MiniLM -> e5-small). At most ot_rows: one plan, as "
          "before this parameter", low=2, high=10_000_000),
    Param("polish_whiten", bool, True, "polish: Procrustes on A's ridge-whitened rows (the polar factor of the ridge "
          "regression onto the transport targets), which undoes the bias the plan's smoothing puts on the plain "
          "polar factor (measured: +0.5 to +2.3 points of top-1 on four real pairs)"),
    Param("polish_folds", int, 5, "polish: cross-fitted rounds, each fold's rows placed in the plan by the map "
          "fitted on the other folds (the plain rounds overfit their sample; measured over 10 seeds: +0.4 to +2.6 "
          "points of top-1 on MiniLM <-> e5, within 0.2 on MiniLM <-> USE); 1: plain rounds", low=1, high=100),
    Param("polish_momentum", float, 0.5, "polish: each round's cross-covariances are extrapolated by this share of "
          "their change since the last round before the polar factors, so that a map far from the fixed point gets "
          "there in fewer rounds (measured on 8 fits of three real pairs: 16 rounds at 0.5 give the top-1 of 32 "
          "rounds at 0, within 0.3 points; 1 and more overshoot); 0: plain steps", low=0.0, high=0.9),
    Param("polish_bags", int, 3, "when the fit explored (its first candidates agreed below 0.95): the kept map's "
          "polish is run this many times, its rows dealt into the folds in a different seeded order each time, and "
          "the fitted map is the polar factor of their sum (there the folds alone moved a polish's top-1 by up to "
          "1.2 points, and three bags beat the single polish on 6 of 6 such fits of real pairs, by 0.1 to 0.75; fits "
          "whose first candidates agree converge alike, +-0.1, and keep one polish: see docs/benchmarks.md); each "
          "bag costs a polish; 1: one polish, round-robin folds", low=1, high=100),
    Param("polish_chain", int, 6, "when the fit explored or was rescued: the fitted map is polished again, each "
          f"polish from the one before, up to this many times or until {CHAIN_MISSES} in a row do not beat the best "
          f"last objective so far by {CHAIN_GAIN:g}; the best one's map is kept when it beats the fit's own polish by "
          f"{CHAIN_ACCEPT:g} (else the map is unchanged). Why: there one polish can stop far from its fixed point "
          "(measured: e5-small -> MPNet WordNet glosses seed 1, kept map 0.779, polished again 0.838, 0.892, 0.901, "
          "0.903, then flat, +0.0126 of objective; a converged fit gained 0.0021 and lost 0.7 points of top-1; study "
          "README, twenty-eighth round). Each costs a polish, and a converged fit pays two to four; 0: off", low=0,
          high=100),
    Param("candidates", int, 2, "independently seeded fits; the best confidence is kept, and fits that disagree "
          "are a failure", low=1, high=1_000),
    Param("extra_candidates", int, 4, "when the candidates found different maps that score alike (and not below "
          "the failed mark): up to this many more seeded fits, until two agree (the best-scored of the agreeing "
          "ones is kept) or one scores clearly ahead; otherwise a failure. Costs nothing when the first candidates "
          "agree", low=0, high=1_000),
    Param("extra_anchor_clusters", int, 12, "the extra candidates (fitted because the first ones found different "
          "maps) take new mini seeds, each fitted first with this many anchor clusters and then with anchor_clusters: "
          "where two models' partitions of different sentences do not correspond, one count often works for a seed "
          "where the other does not, either way round (measured on three WordNet pairs; study README, eleventh to "
          "thirteenth rounds); 0 or anchor_clusters: one candidate per new seed, at anchor_clusters", low=0,
          high=100_000),
    Param("explore_candidates", int, 6, "when the first candidates agree only in part (agreement below 0.95: "
          "they may have refined into different basins of the transport objective), fit candidates up to this many "
          "in all, polish each one that agrees with the best-scored one and scores nearly as well, and keep the "
          "polished map whose cross-fitted transport objective ends highest (measured on three real pairs: the highest "
          "objective was the best top-1 of 6 candidates on each, and a candidate's score before the polish does not "
          "tell the basins apart; on USE -> e5-small 4 candidates missed the upper basin on 2 of 3 seeds, 6 found it "
          "on both). Each explored candidate costs a candidate and a polish (about 45 s at 8,000 rows a side); at "
          "most candidates: off", low=0, high=1_000),
    Param("explore_anchor_runs", int, 30, "every other explored candidate (the 1st, 3rd ...; the others as the "
          "first candidates): anchor runs of mini's anchor stage. Fewer runs give more varied first maps, and the "
          "polish's objective picks among them: 300 runs land every candidate in the same basin, the lower one on "
          "USE -> e5-small (measured, see docs/benchmarks.md); 0: anchor_runs", low=0, high=10_000),
    Param("explore_anchor_kmeans_iter", int, 300, "the same explored candidates: Lloyd iterations per anchor k-means "
          "at most (300: to convergence, as the notebook; 0: anchor_kmeans_iter)", low=0, high=100_000),
    Param("reverse_candidates", int, 2, "candidates fitted the other way round: mini on B -> A, its map transposed "
          "(a semi-orthogonal A -> B map), then an A -> B candidate's rounds and score. They take the first "
          "candidates' seeds and settings, and are added when the fit explores (after the explored candidates) and "
          "when the extra candidates still found different maps. Why: a pair's two directions do not fail alike "
          "(measured: MiniLM -> USE WordNet glosses finds the map on 9 of 10 seeds while USE -> MiniLM seed 0 failed "
          "with six candidates; on USE -> e5-small seed 4 no forward candidate of six reached the upper basin, one "
          "reverse candidate of four did; study README, twenty-first round). Each costs a candidate (and a polish "
          "when it agrees with the best-scored one); 0: off", low=0, high=1_000),
    Param("stochastic_candidates", int, 2, "when the first candidates found different maps (before the extra "
          "candidates) and when the fit explores (after the reverse candidates): the first this many candidates' mini "
          "maps are refined again with stochastic rounds (each "
          "round's transport plan on a kernel thinned at random, the share kept doubling from stochastic_keep every "
          "stochastic_rounds rounds; VecMap's stochastic dictionary induction), each a candidate of its own. Why: "
          "from a first map with few right correspondences the plain rounds stop at a wrong fixed point, thinned "
          "plans let the map move (measured: USE -> MiniLM WordNet glosses, two mini seeds whose candidates polish "
          "to top-1 0.08 and 0.27: 0.92 and 0.90; study README, twenty-second round). Each costs about 120 rounds on "
          "stochastic_rows rows a side and no new mini fit; 0: off", low=0, high=1_000),
    Param("rescue_candidates", int, 4, "when every candidate above is spent and they still found different maps "
          "that score alike (the fit would fail): up to this many more stochastic candidates, from the mini maps that "
          "have none yet, best-scored first, until two mini fits agree or one scores clearly ahead. Why: stochastic "
          "rounds find the map from a given start only some of the time (measured: USE -> MiniLM WordNet glosses, "
          "the fit of seed 2 rescued mini seed 3's start, the fit of seed 3 did not, and its ten candidates all found "
          "different maps). Only a fit that would fail pays for them; 0: off", low=0, high=1_000),
    Param("rescue_polishes", int, 4, "when the fit fails because its candidates found different maps that score "
          "alike: this many best-scored candidates are polished on the fitted rows, the polish whose objective ends "
          "highest and the highest of those that disagree with it are refined again by stochastic rounds and "
          "polished once more, and when those two maps agree the fit keeps the polar factor of their sum, scored on "
          "the held-out rows (\"ok\" when the score says ok and every candidate scored below 0.85 of it, else "
          "\"uncertain\") and then polished on all rows (bagged over polish_bags fold orders). Why: a failed fit's "
          "candidates may hold the map in part, and a polished start holds more of it than a mini map (measured: "
          "e5-small -> MPNet WordNet glosses seed 0 failed at top-1 0.338; rescued on all rows, two such maps reached "
          "0.771 and 0.780 and agree at 0.86, their sum 0.788, the sum polished 0.861; the method's fit, rescued on "
          "the fitted rows, 0.810 \"ok\"; where every candidate is at chance, MPNet -> e5-small, the two ended at "
          "chance and agree at 0.17, and the fit stays failed; study README, twenty-sixth and twenty-seventh rounds). "
          "Only a fit that would fail pays for it (500-900 s at 8,000 rows a side on one loaded thread); below 2: "
          "off", low=0, high=1_000),
    Param("stochastic_rounds", int, 30, "stochastic candidates: rounds per share kept (at 10 one of two measured "
          "starts stayed wrong)", low=1, high=10_000),
    Param("stochastic_keep", float, 0.1, "stochastic candidates: the share of kernel entries kept in the first "
          "rounds (doubled every stochastic_rounds rounds; the plain rounds follow once it reaches 1)", above=0.0,
          high=1.0),
    Param("stochastic_rows", int, 6_000, "stochastic candidates: rows sampled a side for the stochastic rounds "
          "(memory 4 stochastic_rows^2 bytes; measured at 3,000 a side a rescued start ended 10 points lower)",
          low=2, high=40_000),
    Param("quick_anchor_runs", int, 30, "the first candidates are fitted first with this many anchor runs (of "
          "anchor_kmeans_iter Lloyd iterations); when the best of them scores ok and they agree at 0.95 or more "
          "(they found one map, and the fit would not explore), the fit goes on from them; "
          "otherwise they are set aside and the first candidates are fitted with anchor_runs, as they would have "
          "been without this step (a pair agreeing at 0.92 on MiniLM -> e5-small went on and ended 1.8 points low). "
          "Where two models' partitions correspond (MiniLM <-> USE on Wikipedia) the polish ends at the same map "
          "from either, and 30 runs cost a tenth of 300; where they correspond only in part (WordNet glosses) 300 "
          "runs find the map more often, and the quick pair costs a tenth more. 0 or anchor_runs and above: off",
          low=0, high=10_000),
    Param("progress", bool, False, "draw a progress bar on stderr that names each step (candidate, polish) and why "
          "steps are added (the command line draws it when stderr is a terminal)"),
    Param("min_trusted_rows", int, 5_000, "below this many fitted rows a side the score alone cannot make a fit ok "
          "(it is then uncertain): measured on real pairs, lower it only for data you have checked", low=0,
          high=10**9),
    Param("holdout", int, 2_000, "rows per side held out of the fit to score it (at most a fifth; 0: no score)",
          low=0, high=10**6),
)
# mini's parameters, three of them with other defaults for the candidates. Each anchor run matches two k-means
# partitions of different sentences, which correspond only in part (a fifth to half of the centroid pairs right); the
# pseudo-pairs average over the runs, so more runs give a first map that Refine-1 takes into the right basin more often
# (measured on MiniLM -> USE WordNet glosses, one candidate per mini seed, seeds 0-7: 2 of 8 reach top-1 0.7 with 30
# runs, 5 with 90, 7 with 300; study README, fourteenth round). The bilinear search keeps that many anchors in O(n d)
# memory, and 20 Lloyd iterations a k-means (not 40-90, to convergence) keep their cost near that of mini's 30 converged
# runs x 3.
_MINI_OVERRIDES = {
    "anchor_runs": (300, "anchor stage: independent k-means + QAP runs whose anchors the pseudo-pairs average over "
                         "(mini, the notebook: 30; more runs find the first correspondence more often where two "
                         "models' partitions agree only in part)"),
    "anchor_kmeans_iter": (20, "anchor stage: Lloyd iterations per k-means at most (mini, the notebook: 300, to "
                               "convergence): 300 runs of rough partitions cost a third of converged ones and found "
                               "the map as often (measured on two seeds: top-1 0.803 / 0.794 against 0.782 / 0.820)"),
    "relative_search": ("bilinear", MINI_SCHEMA["relative_search"].doc),
}
SCHEMA = Schema([dataclasses.replace(q, default=_MINI_OVERRIDES[q.name][0], doc=_MINI_OVERRIDES[q.name][1])
                 if q.name in _MINI_OVERRIDES else q for q in MINI_SCHEMA.values()] + list(OT_PARAMS))
_MINI_NAMES = tuple(MINI_SCHEMA)
MIN_AGREEMENT = 0.5  # mean cosine between two candidates' mapped rows below which they found different maps
RUNNER_UP_RATIO = 0.85  # a different map scoring at least this share of the best's makes the fit ambiguous
# The polished map must be the scored map refined, not a different one: the same test as between candidates (measured
# on e5 -> MiniLM: a polish from top-1 0.824 to 0.876 agrees with its start at 0.84; different maps agree below 0.4).
MIN_POLISH_AGREEMENT = MIN_AGREEMENT
# Candidates that agree at least this well found one map, and the fit does not explore; below it they may sit in
# different basins, and only the polish tells which is best. Measured: MiniLM <-> USE's quick pairs (30 runs) agree at
# 0.952-0.994, and every seed ends within 0.2 points. 0.9 (stops 22-34) was too low on both kinds of first pair: 300-run
# candidates average into the same basin seed after seed, so two of them agreeing says little (USE -> e5-small seed 2:
# 0.904, ended 0.852, exploring 0.958; MiniLM -> e5-small seed 4: 0.917, 0.902, exploring 0.903), and a quick pair at
# 0.920 (MiniLM -> e5-small seed 8) ended 1.8 points below exploring (0.901 against 0.919). Exploring where it was not
# needed costs time; not exploring where it was costs top-1.
EXPLORE_BELOW = 0.95
QUICK_AGREE_AT_LEAST = EXPLORE_BELOW  # the quick pair goes on exactly when the fit would not explore from it
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
        mini_params = MiniParams(**{k: p[k] for k in _MINI_NAMES})
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
                result = (_turned(fit_mini(b_fit, a_fit, params, seed=mini_seed, n_threads=n_threads)) if reverse
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
                quick = _quick_verdict(candidates, rows[2], quick_runs)
                if not quick["accepted"]:  # set aside: the fit runs as it would have without the quick pair
                    bar.add(p["candidates"])
                    candidates = []
            if not candidates:
                for offset in range(p["candidates"]):
                    candidates.append(candidate(offset))
            extras = _extra_schedule(p)
            x_held = rows[2]
            best = max(range(len(candidates)), key=lambda i: candidates[i][3].get("score", 0.0))
            confidence = candidates[best][3]
            if len(candidates) > 1 and "score" in confidence:
                cross = _cross_check(candidates, best, x_held)
                # Fits that disagree may be one seed gone astray rather than data that allow many maps (measured
                # on WordNet glosses: a candidate finds the map or not, seed by seed): more seeds, until two agree.
                # Not when the score already says the best map found no structure of B (noise, too few rows): no
                # seed will.
                # The stochastic candidates first (no new mini fit: the first maps may hold the right
                # correspondences in part), then the forward extras, then the reverse candidates (the other
                # direction may find the map where this one's partitions do not correspond).
                schedule = ([(offset, 0, False, True) for offset in range(_stochastic_count(p))]
                            + [(offset, clusters, False, False) for offset, clusters in extras]
                            + [(offset, 0, True, False) for offset in range(p["reverse_candidates"])])
                while (cross["ambiguous"] and candidates[best][3]["status"] != "failed"
                       and len(candidates) - p["candidates"] < len(schedule)):
                    bar.add(1)
                    offset, clusters, reverse, stochastic = schedule[len(candidates) - p["candidates"]]
                    candidates.append(candidate(offset, "the first ones found different maps", clusters,
                                                reverse=reverse, stochastic=stochastic))
                    best, cross = _confirmed_choice(candidates, x_held)
                # Every scheduled candidate spent and still different maps: stochastic rounds from the other mini
                # maps, which find the map from a given start only some of the time (see rescue_candidates).
                rescues = _rescue_order(candidates)[:p["rescue_candidates"]]
                while cross["ambiguous"] and candidates[best][3]["status"] != "failed" and rescues:
                    bar.add(1)
                    parent = rescues.pop(0)
                    candidates.append(candidate(parent, "every candidate found a different map", stochastic=True))
                    best, cross = _confirmed_choice(candidates, x_held)
                confidence = {**candidates[best][3], **cross, "extra_candidates": len(candidates) - p["candidates"]}
                if confidence["ambiguous"] and confidence["status"] != "failed":
                    confidence = {**confidence, "status": "failed", "why": _ambiguous_why(confidence, len(candidates))}
            fit_rows = min(len(fit_a), len(fit_b))
            confidence = _trusted(confidence, fit_rows, len(candidates), p)
            t = time.perf_counter()
            rescue, all_rows = None, None
            if _rescuable(candidates, best, confidence, p):
                all_rows, _ = _polish_rows(a_all, b_all, candidates[best][0], "ok", p, rng, base_seed)
                rescue = _polish_rescue(rows, all_rows, candidates, p, n_threads, base_seed, bar)
                if rescue["found"]:
                    confidence = _trusted(_rescued_confidence(confidence, rescue, candidates), fit_rows,
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
                reverse_left = _offsets_left(candidates, base_seed, p["n_seeds"], p["reverse_candidates"], "reverse")
                stochastic_left = _offsets_left(candidates, base_seed, p["n_seeds"], _stochastic_count(p),
                                                "stochastic")
                bar.add(max(0, p["explore_candidates"] - len(candidates)) + len(reverse_left) + len(stochastic_left))
                offset = _next_offset(candidates, base_seed, p["n_seeds"])
                why = f"exploring: the first agree at {confidence['agreement']:.2f}"
                for k in range(p["explore_candidates"] - len(candidates)):
                    candidates.append(candidate(offset + k, why, params=_explore_params(mini_params, p, k)))
                for reverse_offset in reverse_left:
                    candidates.append(candidate(reverse_offset, why, reverse=True))
                for first in stochastic_left:
                    candidates.append(candidate(first, why, stochastic=True))
                t = time.perf_counter()
                explorable = _explorable(candidates, best, x_held)
                bar.add(len(explorable))
                for i in explorable:
                    bar.start(f"polish of candidate {i + 1}")
                    polished[i] = _polish(polish_rows, candidates[i][1], x_held, p, n_threads)
                    bar.done()
                polish_seconds += time.perf_counter() - t
            kept = rescue["kept"] if rescue is not None and rescue["found"] else _best_polished(polished, best)
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
            confidence = _trusted(_explored_confidence(candidates, kept, best, confidence, x_held), fit_rows,
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
                                     "seconds": _candidate_seconds(c[2])}
                                    for c in candidates]
            if len(x_held):  # which candidates found the same map, readable from the record alone
                report["candidate_agreement"] = _agreement_matrix(candidates, x_held).round(4).tolist()
        if quick is not None:
            report["quick"] = quick
        set_aside_seconds = quick["seconds"] if quick is not None and not quick["accepted"] else 0.0
        report["seconds"]["total"] = (sum(_candidate_seconds(c[2]) for c in candidates) + report["seconds"]["polish"]
                                      + set_aside_seconds)
        if confidence["status"] == "failed":
            warnings.warn(AlignmentFailedWarning(failure_message(confidence)), stacklevel=3)
        elif confidence["status"] == "uncertain":
            warnings.warn(AlignmentUncertainWarning(
                f"the fitted map may not be usable: {confidence.get('why') or _uncertain_message(confidence)}"),
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


def _quick_verdict(quick: list, x_held: np.ndarray, runs: int) -> dict:
    """The record of the quick first candidates, and whether the fit goes on from them: the best-scored one scores ok
    and agrees with the runner-up at QUICK_AGREE_AT_LEAST or more (one map, found twice, that the fit would not
    explore)."""
    best = max(range(len(quick)), key=lambda i: quick[i][3].get("score", 0.0))
    agreement = _cross_check(quick, best, x_held)["agreement"]
    status = quick[best][3]["status"]
    return {"anchor_runs": runs, "accepted": bool(status == "ok" and agreement >= QUICK_AGREE_AT_LEAST),
            "status": status, "agreement": agreement, "agreement_at_least": QUICK_AGREE_AT_LEAST,
            "seconds": sum(_candidate_seconds(c[2]) for c in quick)}


def _extra_schedule(p: dict) -> list:
    """(mini seed offset, anchor clusters) of each extra candidate, in the order they are fitted. Each new seed is
    fitted with extra_anchor_clusters clusters and then with anchor_clusters: two models' partitions of different
    sentences correspond at one count for one seed and at the other for another (measured on three WordNet pairs,
    study README, twelfth and thirteenth rounds), so one count alone loses maps the other finds."""
    counts = [p["anchor_clusters"]]
    if p["extra_anchor_clusters"] not in (0, p["anchor_clusters"]):
        counts.insert(0, p["extra_anchor_clusters"])
    return [(p["candidates"] + i // len(counts), counts[i % len(counts)]) for i in range(p["extra_candidates"])]


def _explore_params(mini_params: MiniParams, p: dict, k: int) -> MiniParams:
    """The k-th explored candidate's mini parameters (k from 0). Even k: the anchor stage of ``explore_anchor_runs``
    runs of ``explore_anchor_kmeans_iter`` Lloyd iterations (0: the first candidates' value); odd k: the first
    candidates' own. Few runs give first maps in more basins (USE -> e5-small Wikipedia: one in four in the upper
    one, which 300 runs never reached); many runs find the map more often where partitions agree only in part, and
    more polishes of the same basin let the objective pick a better one (WordNet glosses); see docs/benchmarks.md."""
    if k % 2:
        return mini_params
    return dataclasses.replace(mini_params, anchor_runs=p["explore_anchor_runs"] or mini_params.anchor_runs,
                               anchor_kmeans_iter=p["explore_anchor_kmeans_iter"] or mini_params.anchor_kmeans_iter)


def _stochastic_count(p: dict) -> int:
    """How many stochastic candidates a fit may add: one per first candidate, at most ``stochastic_candidates``."""
    return min(p["stochastic_candidates"], p["candidates"])


def _rescue_order(candidates: list) -> list:
    """The candidates whose mini maps no stochastic candidate has refined yet, best-scored first: the rescue
    candidates' starts (a better score: more of the right correspondences to pull the map along)."""
    refined = {_lineage(c, i) for i, c in enumerate(candidates) if c[2]["stochastic"]}
    fresh = [i for i, c in enumerate(candidates) if not c[2]["stochastic"] and _lineage(c, i) not in refined]
    return sorted(fresh, key=lambda i: -candidates[i][3].get("score", 0.0))


def _stochastic_start(x: np.ndarray, z: np.ndarray, W: np.ndarray, p: dict, seed: tuple, n_threads: int):
    """(map, record): W after :func:`vec2vec_fast.transport.stochastic_refine` on ``stochastic_rows`` rows a side drawn
    from the candidate's rows (seeded by ``seed``)."""
    rng = np.random.default_rng([*seed, 0])
    pick_x = np.sort(rng.choice(len(x), min(p["stochastic_rows"], len(x)), replace=False))
    pick_z = np.sort(rng.choice(len(z), min(p["stochastic_rows"], len(z)), replace=False))
    return stochastic_refine(x[pick_x], z[pick_z], W, eps=p["ot_eps"], stage_rounds=p["stochastic_rounds"],
                             keep=p["stochastic_keep"], sweeps=p["ot_sweeps"], seed=(*seed, 1), n_threads=n_threads)


def _turned(swapped: MiniResult) -> MiniResult:
    """mini's fit of B -> A as an A -> B result: its map transposed (semi-orthogonal either way round), the means and
    scales swapped back. Both sides' means come from the same arithmetic on the same rows, so they are the forward
    candidates' means bit for bit, and every candidate's map reads the same preprocessed rows."""
    return MiniResult(W=np.ascontiguousarray(swapped.W.T), mean_a=swapped.mean_b, mean_b=swapped.mean_a,
                      seed=swapped.seed, scale_a=swapped.scale_b, scale_b=swapped.scale_a,
                      report={**swapped.report, "direction": "B -> A, transposed"})


def _offsets_left(candidates: list, base_seed: int, n_seeds: int, count: int, kind: str) -> list:
    """The seed offsets 0 .. count - 1 that no candidate of ``kind`` ("reverse" or "stochastic") has taken yet (the
    extras may have fitted some)."""
    done = {(c[0].seed - base_seed) // n_seeds for c in candidates if c[2][kind]}
    return [offset for offset in range(count) if offset not in done]


def _next_offset(candidates: list, base_seed: int, n_seeds: int) -> int:
    """The first mini seed offset past every candidate fitted so far."""
    return max((c[0].seed - base_seed) // n_seeds for c in candidates) + 1


def _agreement_matrix(candidates: list, x_held: np.ndarray) -> np.ndarray:
    """Agreement (:func:`_agreement`, the same arithmetic) of every two candidates' maps; 1 on the diagonal. Each
    candidate's held-out rows are mapped once, not once per pair."""
    n = len(candidates)
    agree = np.ones((n, n))
    with threadpool_limits(limits=1, user_api="blas"):
        mapped = [unit_rows(x_held @ c[1]) for c in candidates]
        for i in range(n):
            for j in range(i + 1, n):
                agree[i, j] = agree[j, i] = float(np.mean(np.sum(mapped[i] * mapped[j], axis=1)))
    return agree


def _ambiguous_why(confidence: dict, n_candidates: int) -> str:
    return (f"the {n_candidates} independently seeded fits found different maps (the best-scored one's mapped "
            f"held-out rows agree with those of another at cosine {confidence['agreement']:.3f} < {MIN_AGREEMENT}) "
            f"that fit B about equally well (scores {confidence['score']:.4f} and "
            f"{confidence['runner_up_score']:.4f}): the data do not pin down one map")


def _candidate_seconds(report: dict) -> float:
    """Seconds one candidate took (the polish, done once for the kept one, is not a candidate's)."""
    return sum(v for k, v in report["seconds"].items() if k not in ("total", "polish"))


def _rescuable(candidates: list, best: int, confidence: dict, p: dict) -> bool:
    """Whether the polish rescue runs: the fit failed because its candidates found different maps that score alike
    (not because the score says the best map found no structure of B: no polish finds what no candidate holds), and
    there are two candidates to polish."""
    return (p["rescue_polishes"] >= 2 and confidence["status"] == "failed" and bool(confidence.get("ambiguous"))
            and candidates[best][3]["status"] != "failed" and len(candidates) > 1)


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
    others = [i for i in ranked[1:] if _agreement(x_held, candidates[first][1], candidates[i][1]) < MIN_AGREEMENT]
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
    agreement = _agreement(x_held, rescued[0]["W"], rescued[1]["W"])
    kept = max(range(2), key=lambda k: rescued[k]["objective"])
    record.update({"rescued": [{k: v for k, v in r.items() if k != "W"} for r in rescued], "agreement": agreement,
                   "agreement_at_least": MIN_AGREEMENT, "found": bool(agreement >= MIN_AGREEMENT)})
    if record["found"]:
        mean = orthogonalize(np.add(rescued[0]["W"], rescued[1]["W"], dtype=np.float64))
        record["score"] = score_map(x_held, z_held, mean, np.random.default_rng([base_seed, 8]))  # the same copies
        W, record["mean_polish"] = _polished_mean(all_rows, mean, x_held, p, n_threads, base_seed, bar)
        record.update({"kept": rescued[kept]["candidate"], "W": W})
    return record


def _rescued_confidence(confidence: dict, rescue: dict, candidates: list) -> dict:
    """The confidence of a rescued fit: the rescued map's own score on the held-out rows; "ok" when the score says ok
    and every candidate scored below RUNNER_UP_RATIO of it (a map two starts reached that fits the unseen rows clearly
    better than any map the candidates found: the rule by which an extra candidate scoring clearly ahead stands),
    else "uncertain"."""
    score = rescue["score"]
    best_other = max(c[3].get("score", 0.0) for c in candidates)
    ahead = score["status"] == "ok" and best_other < RUNNER_UP_RATIO * score["score"]
    why = (f"the candidates found different maps that score alike; the polishes of candidates "
           f"{rescue['rescued'][0]['candidate'] + 1} and {rescue['rescued'][1]['candidate'] + 1}, refined again by "
           f"stochastic rounds, reached one map (agreement {rescue['agreement']:.3f} >= {MIN_AGREEMENT}), which the "
           f"fit keeps; on the held-out rows it scores {score['score']:.4f} ({score['status']}) against the "
           f"candidates' best {best_other:.4f}")
    why += (f": clearly ahead (they score below {RUNNER_UP_RATIO} of it)" if ahead else
            f": not clearly ahead (ok needs an ok score and every candidate below {RUNNER_UP_RATIO} of it)")
    return {**confidence, **{k: v for k, v in score.items() if k != "status"},
            "status": "ok" if ahead else "uncertain", "why": why, "candidates_best_score": best_other}


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
        record["agreement"] = _agreement(x_held, W, W_polished)
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
            agreements.append(_agreement(x_held, maps[0], W_bag) if len(x_held) else None)
    W = orthogonalize(np.sum(maps, axis=0, dtype=np.float64))
    record = {"count": len(maps), "tried": p["polish_bags"], "agreement_with_first": agreements}
    if len(x_held):
        record["agreement"] = _agreement(x_held, W_start, W)
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
        record["agreement"] = _agreement(x_held, W, W_kept)
        if record["agreement"] < MIN_POLISH_AGREEMENT:
            return W, {**record, "kept": 0, "why": f"the chain moved away from the fitted map (agreement "
                                                   f"{record['agreement']:.3f})"}
    return W_kept, record


def _explorable(candidates: list, best: int, x_held: np.ndarray) -> list:
    """The candidates other than the best-scored one worth a polish: not failed, scoring at least RUNNER_UP_RATIO of
    the best, and agreeing with it (a different map would need a second seed to vouch for it)."""
    best_score = candidates[best][3].get("score", 0.0)
    return [i for i, c in enumerate(candidates)
            if i != best and c[3]["status"] != "failed" and c[3].get("score", 0.0) >= RUNNER_UP_RATIO * best_score
            and _agreement(x_held, candidates[best][1], c[1]) >= MIN_AGREEMENT]


def _best_polished(polished: dict, best: int) -> int:
    """The candidate whose kept polish ends at the highest transport objective (the best-scored one when none was
    kept). All polishes run on the same rows and folds, so their objectives compare; on fresh rows the higher
    objective is the better map (study README, sixth and ninth rounds)."""
    kept = {i: objective for i, (_, _, objective) in polished.items() if objective is not None}
    return max(sorted(kept), key=lambda i: kept[i]) if kept else best


def _explored_confidence(candidates: list, kept: int, best: int, confidence: dict, x_held: np.ndarray) -> dict:
    """The confidence of a candidate kept for its polish: its own score and status, compared with the best-scored
    candidate (which it agrees with)."""
    return {**confidence, **candidates[kept][3],
            **_comparison(_agreement(x_held, candidates[kept][1], candidates[best][1]),
                          candidates[best][3].get("score", 0.0), False)}


def _trusted(confidence: dict, fit_rows: int, n_candidates: int, p: dict) -> dict:
    """The score alone cannot vouch for a map when it is fooled by maps that match B's distribution but pair rows
    wrongly: with few rows, and with no second fit to agree with. Such a fit is at best uncertain."""
    if fit_rows < p["min_trusted_rows"]:
        confidence = _at_most_uncertain(confidence, f"fitted on {fit_rows} rows a side: below "
                                        f"{p['min_trusted_rows']} (min_trusted_rows), a map that matches B's "
                                        f"distribution but pairs rows wrongly scores as well as a good one "
                                        f"(measured), so the score cannot vouch for it")
    if n_candidates == 1:
        confidence = _at_most_uncertain(confidence, "one candidate (candidates=1): a map that matches B's "
                                        "distribution but pairs the rows wrongly scores as well as a good one "
                                        "(measured on a real pair: a chance-level map scored 0.046), and only a "
                                        "second, independently seeded fit finding the same map can tell them apart")
    return confidence


def _at_most_uncertain(confidence: dict, why: str) -> dict:
    """An "ok" confidence downgraded to "uncertain" for the reason ``why``; any other status is kept."""
    return {**confidence, "status": "uncertain", "why": why} if confidence["status"] == "ok" else confidence


def _cross_check(candidates: list, best: int, x_held: np.ndarray) -> dict:
    """How the best candidate compares with the runner-up: agreement of their maps, and whether the runner-up's
    different map fits B nearly as well (ambiguous: the data allow more than one map; when the runner-up is clearly
    worse it is a seed that went astray, and the best stands). The runner-up is of another mini fit (_lineage): a
    stochastic candidate agreeing with its own first candidate says nothing about the data."""
    runner_up = max(_other_fits(candidates, best) or [i for i in range(len(candidates)) if i != best],
                    key=lambda i: candidates[i][3].get("score", 0.0))
    agreement = _agreement(x_held, candidates[best][1], candidates[runner_up][1])
    best_score, other_score = candidates[best][3]["score"], candidates[runner_up][3].get("score", 0.0)
    ambiguous = agreement < MIN_AGREEMENT and other_score >= RUNNER_UP_RATIO * best_score
    return _comparison(agreement, other_score, ambiguous)


def _comparison(agreement: float, other_score: float, ambiguous: bool) -> dict:
    """The cross-check's record: the kept map's agreement with the candidate it was compared with, that one's score,
    and whether the data allow more than one map."""
    return {"agreement": float(agreement), "runner_up_score": other_score, "ambiguous": bool(ambiguous),
            "agreement_at_least": MIN_AGREEMENT, "runner_up_ratio_below": RUNNER_UP_RATIO}


def _confirmed_choice(candidates: list, x_held: np.ndarray) -> tuple:
    """(index, cross-check) once more than the first candidates were fitted: the best-scored candidate that another
    one agrees with (a map two independent seeds found), and how it compares with the best-scored candidate of a
    different map (ambiguous when that one is also confirmed and scores nearly as well). Candidates no other one
    agrees with are seeds gone astray. With none confirmed: the best-scored one, ambiguous as before.

    Only a candidate of another mini fit can confirm one: a stochastic candidate refines its first candidate's own mini
    map, and the two often end in the same wrong basin (measured: USE -> MiniLM WordNet glosses seed 3, a stochastic
    candidate agreeing with its own first candidate at 0.64, all others below 0.41, was reported "ok" at top-1 0.06; it
    was also the runner-up the best was compared with, see _cross_check)."""
    n = len(candidates)
    scores = [c[3].get("score", 0.0) for c in candidates]
    agree = _agreement_matrix(candidates, x_held)
    confirmed = [i for i in range(n) if any(agree[i, j] >= MIN_AGREEMENT for j in _other_fits(candidates, i))]
    if not confirmed:
        best = max(range(n), key=lambda i: scores[i])
        return best, _cross_check(candidates, best, x_held)
    best = max(confirmed, key=lambda i: scores[i])
    supporter = max(_other_fits(candidates, best), key=lambda j: agree[best, j])
    rivals = [i for i in confirmed if agree[best, i] < MIN_AGREEMENT and scores[i] >= RUNNER_UP_RATIO * scores[best]]
    other = max(rivals, key=lambda i: scores[i]) if rivals else supporter
    return best, _comparison(agree[best, other], scores[other], bool(rivals))


def _other_fits(candidates: list, i: int) -> list:
    """The candidates whose maps come from another mini fit than candidate i's (see _lineage)."""
    own = _lineage(candidates[i], i)
    return [j for j, c in enumerate(candidates) if _lineage(c, j) != own]


def _lineage(candidate: tuple, index: int) -> tuple:
    """Which mini fit a candidate's map comes from: its seed, direction, anchor clusters and runs (a stochastic
    candidate carries its first candidate's); a candidate without that record is a fit of its own."""
    result, _, report, _ = candidate
    if result is None or report is None:
        return ("own", index)
    return (result.seed, report["reverse"], report["anchor_clusters"], report["anchor_runs"])


def _agreement(x_held: np.ndarray, W: np.ndarray, W_other: np.ndarray) -> float:
    """Mean cosine between the held-out rows mapped by two maps (1: the same map)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return float(np.mean(np.sum(unit_rows(x_held @ W) * unit_rows(x_held @ W_other), axis=1)))


def _uncertain_message(confidence: dict) -> str:
    return (f"confidence {confidence['score']:.4f} on held-out rows is between failed (< {confidence['failed_below']}) "
            f"and ok (>= {confidence['ok_at_least']})")


def failure_message(confidence: dict) -> str:
    if "why" in confidence:
        return f"the fitted map cannot be trusted: {confidence['why']}"
    return (f"the fitted map did not find B's structure: confidence {confidence['score']:.4f} on "
            f"{confidence['rows'][0]}/{confidence['rows'][1]} held-out rows (ok >= {confidence['ok_at_least']}, "
            f"failed below {confidence['failed_below']} or 3 null spreads = {3 * confidence['null_spread']:.4f}); "
            f"the map is not usable. The two inputs may not be alignable (unrelated data, or too few rows: 8,000+ a "
            f"side is typical), or another seed may succeed")


def _split(n: int, holdout: int, rng: np.random.Generator):
    """(held-out rows, fit rows), both sorted: at most a fifth of the rows is held out."""
    h = min(holdout, n // 5)
    held = np.sort(rng.choice(n, h, replace=False)) if h else np.empty(0, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    mask[held] = False
    return held, np.flatnonzero(mask)
