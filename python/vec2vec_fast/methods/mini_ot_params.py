"""``mini-ot``'s parameters: mini's, three with other defaults for its candidates, and its own (transport
rounds, the polish, the candidates it fits and when, the confidence's held-out rows)."""

from __future__ import annotations

import dataclasses

from ..mini import SCHEMA as MINI_SCHEMA
from ..schema import Param, Schema

# The chain's constants are read through mini_ot_polish's namespace (it imports them by name), where tests patch them.
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
MINI_OVERRIDES = {
    "anchor_runs": (300, "anchor stage: independent k-means + QAP runs whose anchors the pseudo-pairs average over "
                         "(mini, the notebook: 30; more runs find the first correspondence more often where two "
                         "models' partitions agree only in part)"),
    "anchor_kmeans_iter": (20, "anchor stage: Lloyd iterations per k-means at most (mini, the notebook: 300, to "
                               "convergence): 300 runs of rough partitions cost a third of converged ones and found "
                               "the map as often (measured on two seeds: top-1 0.803 / 0.794 against 0.782 / 0.820)"),
    "relative_search": ("bilinear", MINI_SCHEMA["relative_search"].doc),
}
SCHEMA = Schema([dataclasses.replace(q, default=MINI_OVERRIDES[q.name][0], doc=MINI_OVERRIDES[q.name][1])
                 if q.name in MINI_OVERRIDES else q for q in MINI_SCHEMA.values()] + list(OT_PARAMS))
MINI_NAMES = tuple(MINI_SCHEMA)  # the parameters each candidate's mini fit takes
