"""Which label-free number picks a good mini-vec2vec run? Fit many seeds, score each on held-out pairs, and check
how the three label-free diagnostics rank them (the evidence behind ``MiniParams.n_seeds``).

    python benchmarks/study_seed_selection.py --pairs DIR --seeds 10                  # the notebook's settings
    python benchmarks/study_seed_selection.py --pairs DIR --seeds 10 --set anchor_runs=1 qap_restarts=2
    python benchmarks/study_seed_selection.py --quick                                  # committed fixture

Same split as bench_end_to_end.py. A failed seed: top-1 below half the best seed's (the issue's definition).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from bench_end_to_end import FIXTURE, split
from common import RESULTS_DIR, machine, open_pairs
from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import MiniParams, fit_mini, preprocess

CRITERIA = ("matching_score", "refine2_self_consistency", "qap_score_mean")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", type=Path, help="folder with paired a.npy, b.npy (or A.npy, B.npy)")
    p.add_argument("--quick", action="store_true", help="the 2k fixture, small settings, 4 seeds")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--eval", type=int, default=None, help="paired eval rows from the end (default 8192, quick 400)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="MiniParams overrides")
    p.add_argument("--out", type=Path, default=None)
    return p.parse_args()


def overrides(items: List[str], base: MiniParams) -> MiniParams:
    fields = {f.name: f for f in dataclasses.fields(MiniParams)}
    values: Dict[str, Any] = {}
    for item in items:
        key, _, raw = item.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown MiniParams field {key!r}")
        kind = type(getattr(base, key))
        values[key] = (raw.lower() in ("1", "true", "yes")) if kind is bool else kind(raw)
    return dataclasses.replace(base, **values)


def spearman(x: List[float], y: List[float]) -> float:
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return float(np.corrcoef(rx, ry)[0, 1]) if len(x) > 2 else float("nan")


def main() -> None:
    args = parse_args()
    if args.quick:
        z = np.load(FIXTURE)
        a, b = z["a"].astype(np.float32), z["b"].astype(np.float32)
        base = MiniParams(anchor_runs=3, refine1_iterations=10, refine1_sample=300, refine2_clusters=50)
        args.seeds, n_eval = min(args.seeds, 4), args.eval or 400
    else:
        if args.pairs is None:
            raise SystemExit("--pairs DIR is required (or --quick)")
        a, b = (np.asarray(x, dtype=np.float32) for x in open_pairs(args.pairs))
        base, n_eval = MiniParams(), args.eval or 8192
    params = overrides(args.set, base)
    data = split(a, b, n_eval)
    rows = []
    for seed in range(args.seeds):
        t0 = time.perf_counter()
        r = fit_mini(data["a_train"], data["b_train"], params, seed=seed)
        m = retrieval_metrics(r.map.transform(data["a_eval"]), preprocess(data["b_eval"], r.mean_b), block=n_eval)
        row = {"seed": seed, "seconds": time.perf_counter() - t0, **{f"quality_{k}": v for k, v in m.items()},
               "matching_score": r.report["matching_score"],
               "refine2_self_consistency": r.report["refine2_self_consistency"],
               "qap_score_mean": float(np.mean(r.report["qap_score_normalised"]))}
        rows.append(row)
        print(f"seed {seed}: top1 {m['top1']:.4f} rank {m['mean_rank']:.2f} | matching {row['matching_score']:.4f} "
              f"refine2 {row['refine2_self_consistency']:.4f} qap {row['qap_score_mean']:.4f} "
              f"({row['seconds']:.1f} s)", flush=True)
    top1 = [r["quality_top1"] for r in rows]
    best = max(top1)
    summary: Dict[str, Any] = {"failed_seeds": [r["seed"] for r in rows if r["quality_top1"] < 0.5 * best],
                               "top1_best": best, "top1_median": float(np.median(top1)), "criteria": {}}
    for c in CRITERIA:
        scores = [r[c] for r in rows]
        pick = rows[int(np.argmax(scores))]
        summary["criteria"][c] = {"spearman_with_top1": spearman(scores, top1), "picked_seed": pick["seed"],
                                  "picked_top1": pick["quality_top1"],
                                  "picked_is_failed": pick["quality_top1"] < 0.5 * best}
        print(f"{c:<26} spearman vs top-1 {summary['criteria'][c]['spearman_with_top1']:+.2f}; picks seed "
              f"{pick['seed']} (top-1 {pick['quality_top1']:.4f}; best {best:.4f})")
    print(f"failed seeds: {summary['failed_seeds']}")
    out = args.out or RESULTS_DIR / ("seed_selection_quick.json" if args.quick else "seed_selection.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "seed_selection", "params": dataclasses.asdict(params),
                               "overrides": args.set, "rows": rows, "summary": summary, "machine": machine()},
                              indent=2, default=float))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
