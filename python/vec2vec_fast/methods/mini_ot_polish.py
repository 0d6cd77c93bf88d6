"""``mini-ot``'s polish: the kept map refined by more transport rounds on all rows (cross-fitted, with momentum),
bagged over fold orders and chained while its objective gains; and the second look at a failed fit (the candidates
polished, stochastic rounds from two different polishes, and their mean polished where the two meet).

The fit (mini_ot.py) calls this module's functions through the module, so that a test or study that patches
``mini_ot_polish.polish`` (or ``ot_refine`` here) reaches every polish a fit runs."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

from .._numerics import preprocess
from ..confidence import score_map
from ..procrustes import orthogonalize
from ..transport import ot_refine, plan_groups, stochastic_refine
from ._progress import StepProgress
from .mini_ot_candidates import MIN_AGREEMENT, map_agreement
from .mini_ot_params import CHAIN_ACCEPT, CHAIN_GAIN, CHAIN_MISSES

# The polished map must be the scored map refined, not a different one: the same test as between candidates (measured
# on e5 -> MiniLM: a polish from top-1 0.824 to 0.876 agrees with its start at 0.84; different maps agree below 0.4).
MIN_POLISH_AGREEMENT = MIN_AGREEMENT
POLISH_RIDGE = 1.0  # ridge of the whitened polish, in units of A's mean eigenvalue (measured best of 0.001-3 overall)
# Every pair gained from 4 to 8 polish rounds; past 8 most have converged, but a map far from the fixed point keeps
# climbing for 20-30 rounds (e5 -> MiniLM, seed 0: 0.876 after 8, 0.909 after 30) while its objective still gains.
POLISH_MIN_ROUNDS = 8


class PolishRows(NamedTuple):
    """The rows a polish runs on. ``group_seed`` is where the plans' groups are dealt from when the rows exceed
    ``ot_rows`` a side (the polish's own rows, see polish_rows); None plans all rows at once (a rescue's candidate
    rows, which fit one plan by construction, or a caller's plain (x, z) pair)."""
    x: np.ndarray
    z: np.ndarray
    group_seed: tuple | None = None


def polish_rows(a_all: np.ndarray, b_all: np.ndarray, result, status: str, p: dict, rng: np.random.Generator,
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


def polish(rows: PolishRows | tuple, W: np.ndarray, x_held: np.ndarray, p: dict, n_threads: int, fold_seed=None):
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


def bagged(polished: dict, kept: int, W_start: np.ndarray, rows: PolishRows, x_held: np.ndarray, p: dict,
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
        W_bag, record, objective = polish(rows, W_start, x_held, p, n_threads, fold_seed=(base_seed, 9, bag))
        bar.done()
        if objective is not None:  # a bag that left the scored map's basin is not averaged in
            maps.append(W_bag)
            agreements.append(map_agreement(x_held, maps[0], W_bag) if len(x_held) else None)
    W = orthogonalize(np.sum(maps, axis=0, dtype=np.float64))
    record = {"count": len(maps), "tried": p["polish_bags"], "agreement_with_first": agreements}
    if len(x_held):
        record["agreement"] = map_agreement(x_held, W_start, W)
    return W, record


def chain_from(exploring: bool, polish_rows, polished: dict, kept: int, rescue, all_rows):
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


def fitted_map(W: np.ndarray, polished: dict, kept: int, bagged, rescue) -> np.ndarray:
    """The map a fit stands on before its chain: the rescued map, else the bags' map, else the kept candidate's
    polish, else its unpolished map W."""
    if rescue is not None and rescue["found"]:
        return rescue["W"]
    if bagged is not None:
        return bagged[0]
    return polished[kept][0] if kept in polished else W


def chained(rows: PolishRows, W: np.ndarray, objective: float, x_held: np.ndarray, p: dict, n_threads: int,
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
        W_last, _, next_objective = polish(rows, W_last, x_held, p, n_threads)
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


def stochastic_start(x: np.ndarray, z: np.ndarray, W: np.ndarray, p: dict, seed: tuple, n_threads: int):
    """(map, record): W after :func:`vec2vec_fast.transport.stochastic_refine` on ``stochastic_rows`` rows a side drawn
    from the candidate's rows (seeded by ``seed``)."""
    rng = np.random.default_rng([*seed, 0])
    pick_x = np.sort(rng.choice(len(x), min(p["stochastic_rows"], len(x)), replace=False))
    pick_z = np.sort(rng.choice(len(z), min(p["stochastic_rows"], len(z)), replace=False))
    return stochastic_refine(x[pick_x], z[pick_z], W, eps=p["ot_eps"], stage_rounds=p["stochastic_rounds"],
                             keep=p["stochastic_keep"], sweeps=p["ot_sweeps"], seed=(*seed, 1), n_threads=n_threads)


def polish_rescue(rows: list, all_rows: PolishRows, candidates: list, p: dict, n_threads: int, base_seed: int,
                   bar: StepProgress) -> dict:
    """The record of a failed fit's second look, on the candidates' rows (``rows``: fitted A and B rows, held-out A
    and B rows): the ``rescue_polishes`` best-scored candidates polished on the fitted rows; from the polish that ends
    highest and the highest of those whose candidate disagrees with its candidate (agreement below MIN_AGREEMENT:
    another start), stochastic rounds and a second polish; found when those two maps agree. Then the polar factor of
    their sum is scored on the held-out rows (``score``, the candidates' score: no step of the rescue saw those rows),
    ``W`` is that map polished on ``all_rows`` (see polished_mean) and ``kept`` the candidate whose rescued map ends
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
        W, _, objective = polish(fit_rows, candidates[i][1], x_held, p, n_threads)
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
        W, stages = stochastic_start(fit_rows[0], fit_rows[1], polished[i][0], p, (base_seed, 11, k), n_threads)
        W, _, objective = polish(fit_rows, W, no_held, p, n_threads)
        bar.done()
        rescued.append({"candidate": i, "objective": objective, "stochastic_rounds": stages, "W": W})
    agreement = map_agreement(x_held, rescued[0]["W"], rescued[1]["W"])
    kept = max(range(2), key=lambda k: rescued[k]["objective"])
    record.update({"rescued": [{k: v for k, v in r.items() if k != "W"} for r in rescued], "agreement": agreement,
                   "agreement_at_least": MIN_AGREEMENT, "found": bool(agreement >= MIN_AGREEMENT)})
    if record["found"]:
        mean = orthogonalize(np.add(rescued[0]["W"], rescued[1]["W"], dtype=np.float64))
        record["score"] = score_map(x_held, z_held, mean, np.random.default_rng([base_seed, 8]))  # the same copies
        W, record["mean_polish"] = polished_mean(all_rows, mean, x_held, p, n_threads, base_seed, bar)
        record.update({"kept": rescued[kept]["candidate"], "W": W})
    return record


def polished_mean(rows: PolishRows, mean: np.ndarray, x_held: np.ndarray, p: dict, n_threads: int, base_seed: int,
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
        W, _, objective = polish(rows, mean, x_held, p, n_threads, fold_seed=fold_seed)
        bar.done()
        objectives.append(objective)
        if objective is not None:
            maps.append(W)
    record = {"tried": bags, "count": len(maps), "objectives": objectives}
    return (orthogonalize(np.sum(maps, axis=0, dtype=np.float64)) if maps else mean), record
