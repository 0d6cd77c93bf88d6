"""``mini-ot``'s candidates: which ones a fit adds and with what settings, how two maps agree, and the status the
fit reports (which map two seeds found, whether the data allow more than one, when the score alone cannot vouch).
A candidate is a tuple (mini result, map, report, confidence)."""

from __future__ import annotations

import dataclasses

import numpy as np
from threadpoolctl import threadpool_limits

from .._numerics import unit_rows
from ..mini import MiniParams, MiniResult

MIN_AGREEMENT = 0.5  # mean cosine between two candidates' mapped rows below which they found different maps
RUNNER_UP_RATIO = 0.85  # a different map scoring at least this share of the best's makes the fit ambiguous
# Candidates that agree at least this well found one map, and the fit does not explore; below it they may sit in
# different basins, and only the polish tells which is best. Measured: MiniLM <-> USE's quick pairs (30 runs) agree at
# 0.952-0.994, and every seed ends within 0.2 points. 0.9 (stops 22-34) was too low on both kinds of first pair: 300-run
# candidates average into the same basin seed after seed, so two of them agreeing says little (USE -> e5-small seed 2:
# 0.904, ended 0.852, exploring 0.958; MiniLM -> e5-small seed 4: 0.917, 0.902, exploring 0.903), and a quick pair at
# 0.920 (MiniLM -> e5-small seed 8) ended 1.8 points below exploring (0.901 against 0.919). Exploring where it was not
# needed costs time; not exploring where it was costs top-1.
EXPLORE_BELOW = 0.95
QUICK_AGREE_AT_LEAST = EXPLORE_BELOW  # the quick pair goes on exactly when the fit would not explore from it


def quick_verdict(quick: list, x_held: np.ndarray, runs: int) -> dict:
    """The record of the quick first candidates, and whether the fit goes on from them: the best-scored one scores ok
    and agrees with the runner-up at QUICK_AGREE_AT_LEAST or more (one map, found twice, that the fit would not
    explore)."""
    best = max(range(len(quick)), key=lambda i: quick[i][3].get("score", 0.0))
    agreement = cross_check(quick, best, x_held)["agreement"]
    status = quick[best][3]["status"]
    return {"anchor_runs": runs, "accepted": bool(status == "ok" and agreement >= QUICK_AGREE_AT_LEAST),
            "status": status, "agreement": agreement, "agreement_at_least": QUICK_AGREE_AT_LEAST,
            "seconds": sum(candidate_seconds(c[2]) for c in quick)}


def candidate_seconds(report: dict) -> float:
    """Seconds one candidate took (the polish, done once for the kept one, is not a candidate's)."""
    return sum(v for k, v in report["seconds"].items() if k not in ("total", "polish"))


def extra_schedule(p: dict) -> list:
    """(mini seed offset, anchor clusters) of each extra candidate, in the order they are fitted. Each new seed is
    fitted with extra_anchor_clusters clusters and then with anchor_clusters: two models' partitions of different
    sentences correspond at one count for one seed and at the other for another (measured on three WordNet pairs,
    study README, twelfth and thirteenth rounds), so one count alone loses maps the other finds."""
    counts = [p["anchor_clusters"]]
    if p["extra_anchor_clusters"] not in (0, p["anchor_clusters"]):
        counts.insert(0, p["extra_anchor_clusters"])
    return [(p["candidates"] + i // len(counts), counts[i % len(counts)]) for i in range(p["extra_candidates"])]


def explore_params(mini_params: MiniParams, p: dict, k: int) -> MiniParams:
    """The k-th explored candidate's mini parameters (k from 0). Even k: the anchor stage of ``explore_anchor_runs``
    runs of ``explore_anchor_kmeans_iter`` Lloyd iterations (0: the first candidates' value); odd k: the first
    candidates' own. Few runs give first maps in more basins (USE -> e5-small Wikipedia: one in four in the upper
    one, which 300 runs never reached); many runs find the map more often where partitions agree only in part, and
    more polishes of the same basin let the objective pick a better one (WordNet glosses); see docs/benchmarks.md."""
    if k % 2:
        return mini_params
    return dataclasses.replace(mini_params, anchor_runs=p["explore_anchor_runs"] or mini_params.anchor_runs,
                               anchor_kmeans_iter=p["explore_anchor_kmeans_iter"] or mini_params.anchor_kmeans_iter)


def stochastic_count(p: dict) -> int:
    """How many stochastic candidates a fit may add: one per first candidate, at most ``stochastic_candidates``."""
    return min(p["stochastic_candidates"], p["candidates"])


def rescue_order(candidates: list) -> list:
    """The candidates whose mini maps no stochastic candidate has refined yet, best-scored first: the rescue
    candidates' starts (a better score: more of the right correspondences to pull the map along)."""
    refined = {lineage(c, i) for i, c in enumerate(candidates) if c[2]["stochastic"]}
    fresh = [i for i, c in enumerate(candidates) if not c[2]["stochastic"] and lineage(c, i) not in refined]
    return sorted(fresh, key=lambda i: -candidates[i][3].get("score", 0.0))


def turned_result(swapped: MiniResult) -> MiniResult:
    """mini's fit of B -> A as an A -> B result: its map transposed (semi-orthogonal either way round), the means and
    scales swapped back. Both sides' means come from the same arithmetic on the same rows, so they are the forward
    candidates' means bit for bit, and every candidate's map reads the same preprocessed rows."""
    return MiniResult(W=np.ascontiguousarray(swapped.W.T), mean_a=swapped.mean_b, mean_b=swapped.mean_a,
                      seed=swapped.seed, scale_a=swapped.scale_b, scale_b=swapped.scale_a,
                      report={**swapped.report, "direction": "B -> A, transposed"})


def offsets_left(candidates: list, base_seed: int, n_seeds: int, count: int, kind: str) -> list:
    """The seed offsets 0 .. count - 1 that no candidate of ``kind`` ("reverse" or "stochastic") has taken yet (the
    extras may have fitted some)."""
    done = {(c[0].seed - base_seed) // n_seeds for c in candidates if c[2][kind]}
    return [offset for offset in range(count) if offset not in done]


def next_offset(candidates: list, base_seed: int, n_seeds: int) -> int:
    """The first mini seed offset past every candidate fitted so far."""
    return max((c[0].seed - base_seed) // n_seeds for c in candidates) + 1


def confirmed_choice(candidates: list, x_held: np.ndarray) -> tuple:
    """(index, cross-check) once more than the first candidates were fitted: the best-scored candidate that another
    one agrees with (a map two independent seeds found), and how it compares with the best-scored candidate of a
    different map (ambiguous when that one is also confirmed and scores nearly as well). Candidates no other one
    agrees with are seeds gone astray. With none confirmed: the best-scored one, ambiguous as before.

    Only a candidate of another mini fit can confirm one: a stochastic candidate refines its first candidate's own mini
    map, and the two often end in the same wrong basin (measured: USE -> MiniLM WordNet glosses seed 3, a stochastic
    candidate agreeing with its own first candidate at 0.64, all others below 0.41, was reported "ok" at top-1 0.06; it
    was also the runner-up the best was compared with, see cross_check)."""
    n = len(candidates)
    scores = [c[3].get("score", 0.0) for c in candidates]
    agree = agreement_matrix(candidates, x_held)
    confirmed = [i for i in range(n) if any(agree[i, j] >= MIN_AGREEMENT for j in other_fits(candidates, i))]
    if not confirmed:
        best = max(range(n), key=lambda i: scores[i])
        return best, cross_check(candidates, best, x_held)
    best = max(confirmed, key=lambda i: scores[i])
    supporter = max(other_fits(candidates, best), key=lambda j: agree[best, j])
    rivals = [i for i in confirmed if agree[best, i] < MIN_AGREEMENT and scores[i] >= RUNNER_UP_RATIO * scores[best]]
    other = max(rivals, key=lambda i: scores[i]) if rivals else supporter
    return best, comparison_record(agree[best, other], scores[other], bool(rivals))


def cross_check(candidates: list, best: int, x_held: np.ndarray) -> dict:
    """How the best candidate compares with the runner-up: agreement of their maps, and whether the runner-up's
    different map fits B nearly as well (ambiguous: the data allow more than one map; when the runner-up is clearly
    worse it is a seed that went astray, and the best stands). The runner-up is of another mini fit (lineage): a
    stochastic candidate agreeing with its own first candidate says nothing about the data."""
    runner_up = max(other_fits(candidates, best) or [i for i in range(len(candidates)) if i != best],
                    key=lambda i: candidates[i][3].get("score", 0.0))
    agreement = map_agreement(x_held, candidates[best][1], candidates[runner_up][1])
    best_score, other_score = candidates[best][3]["score"], candidates[runner_up][3].get("score", 0.0)
    ambiguous = agreement < MIN_AGREEMENT and other_score >= RUNNER_UP_RATIO * best_score
    return comparison_record(agreement, other_score, ambiguous)


def comparison_record(agreement: float, other_score: float, ambiguous: bool) -> dict:
    """The cross-check's record: the kept map's agreement with the candidate it was compared with, that one's score,
    and whether the data allow more than one map."""
    return {"agreement": float(agreement), "runner_up_score": other_score, "ambiguous": bool(ambiguous),
            "agreement_at_least": MIN_AGREEMENT, "runner_up_ratio_below": RUNNER_UP_RATIO}


def other_fits(candidates: list, i: int) -> list:
    """The candidates whose maps come from another mini fit than candidate i's (see lineage)."""
    own = lineage(candidates[i], i)
    return [j for j, c in enumerate(candidates) if lineage(c, j) != own]


def lineage(candidate: tuple, index: int) -> tuple:
    """Which mini fit a candidate's map comes from: its seed, direction, anchor clusters and runs (a stochastic
    candidate carries its first candidate's); a candidate without that record is a fit of its own."""
    result, _, report, _ = candidate
    if result is None or report is None:
        return ("own", index)
    return (result.seed, report["reverse"], report["anchor_clusters"], report["anchor_runs"])


def agreement_matrix(candidates: list, x_held: np.ndarray) -> np.ndarray:
    """Agreement (:func:`map_agreement`, the same arithmetic) of every two candidates' maps; 1 on the diagonal. Each
    candidate's held-out rows are mapped once, not once per pair."""
    n = len(candidates)
    agree = np.ones((n, n))
    with threadpool_limits(limits=1, user_api="blas"):
        mapped = [unit_rows(x_held @ c[1]) for c in candidates]
        for i in range(n):
            for j in range(i + 1, n):
                agree[i, j] = agree[j, i] = float(np.mean(np.sum(mapped[i] * mapped[j], axis=1)))
    return agree


def map_agreement(x_held: np.ndarray, W: np.ndarray, W_other: np.ndarray) -> float:
    """Mean cosine between the held-out rows mapped by two maps (1: the same map)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return float(np.mean(np.sum(unit_rows(x_held @ W) * unit_rows(x_held @ W_other), axis=1)))


def worth_polishing(candidates: list, best: int, x_held: np.ndarray) -> list:
    """The candidates other than the best-scored one worth a polish: not failed, scoring at least RUNNER_UP_RATIO of
    the best, and agreeing with it (a different map would need a second seed to vouch for it)."""
    best_score = candidates[best][3].get("score", 0.0)
    return [i for i, c in enumerate(candidates)
            if i != best and c[3]["status"] != "failed" and c[3].get("score", 0.0) >= RUNNER_UP_RATIO * best_score
            and map_agreement(x_held, candidates[best][1], c[1]) >= MIN_AGREEMENT]


def best_polished(polished: dict, best: int) -> int:
    """The candidate whose kept polish ends at the highest transport objective (the best-scored one when none was
    kept). All polishes run on the same rows and folds, so their objectives compare; on fresh rows the higher
    objective is the better map (study README, sixth and ninth rounds)."""
    kept = {i: objective for i, (_, _, objective) in polished.items() if objective is not None}
    return max(sorted(kept), key=lambda i: kept[i]) if kept else best


def explored_confidence(candidates: list, kept: int, best: int, confidence: dict, x_held: np.ndarray) -> dict:
    """The confidence of a candidate kept for its polish: its own score and status, compared with the best-scored
    candidate (which it agrees with)."""
    return {**confidence, **candidates[kept][3],
            **comparison_record(map_agreement(x_held, candidates[kept][1], candidates[best][1]),
                          candidates[best][3].get("score", 0.0), False)}


def rescuable(candidates: list, best: int, confidence: dict, p: dict) -> bool:
    """Whether the polish rescue runs: the fit failed because its candidates found different maps that score alike
    (not because the score says the best map found no structure of B: no polish finds what no candidate holds), and
    there are two candidates to polish."""
    return (p["rescue_polishes"] >= 2 and confidence["status"] == "failed" and bool(confidence.get("ambiguous"))
            and candidates[best][3]["status"] != "failed" and len(candidates) > 1)


def rescued_confidence(confidence: dict, rescue: dict, candidates: list) -> dict:
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


def trusted(confidence: dict, fit_rows: int, n_candidates: int, p: dict) -> dict:
    """The score alone cannot vouch for a map when it is fooled by maps that match B's distribution but pair rows
    wrongly: with few rows, and with no second fit to agree with. Such a fit is at best uncertain."""
    if fit_rows < p["min_trusted_rows"]:
        confidence = at_most_uncertain(confidence, f"fitted on {fit_rows} rows a side: below "
                                        f"{p['min_trusted_rows']} (min_trusted_rows), a map that matches B's "
                                        f"distribution but pairs rows wrongly scores as well as a good one "
                                        f"(measured), so the score cannot vouch for it")
    if n_candidates == 1:
        confidence = at_most_uncertain(confidence, "one candidate (candidates=1): a map that matches B's "
                                        "distribution but pairs the rows wrongly scores as well as a good one "
                                        "(measured on a real pair: a chance-level map scored 0.046), and only a "
                                        "second, independently seeded fit finding the same map can tell them apart")
    return confidence


def at_most_uncertain(confidence: dict, why: str) -> dict:
    """An "ok" confidence downgraded to "uncertain" for the reason ``why``; any other status is kept."""
    return {**confidence, "status": "uncertain", "why": why} if confidence["status"] == "ok" else confidence


def ambiguous_why(confidence: dict, n_candidates: int) -> str:
    return (f"the {n_candidates} independently seeded fits found different maps (the best-scored one's mapped "
            f"held-out rows agree with those of another at cosine {confidence['agreement']:.3f} < {MIN_AGREEMENT}) "
            f"that fit B about equally well (scores {confidence['score']:.4f} and "
            f"{confidence['runner_up_score']:.4f}): the data do not pin down one map")


def uncertain_message(confidence: dict) -> str:
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
