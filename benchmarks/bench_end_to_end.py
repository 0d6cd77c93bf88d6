"""End to end: vec2vec_fast.mini.fit_mini against a plain numpy/scipy/sklearn replica of the mini-vec2vec notebook.

    python benchmarks/bench_end_to_end.py --quick                    # 2k fixture, tiny settings, < 1 minute
    python benchmarks/bench_end_to_end.py --pairs DIR --seeds 3      # DIR/a.npy, DIR/b.npy: paired rows

The JSON record goes where --out says, by default into benchmarks/results/local/ (ignored by git), so a run never
changes the committed record; to update that on purpose: --out benchmarks/results/end_to_end.json.

The split follows the spec's section 3: the last --eval rows are the paired eval set; the rest is cut in two halves,
A trains on the first and B on the second (disjoint texts, so no pairs are seen). Both implementations get the same
settings (the notebook's defaults, or --quick's small ones) and the same seed, run with the same thread count, and
are scored the same way: A's eval rows mapped by unit rows of normalize(x - mean_a) W, ranked among all of B's eval
rows normalize(y - mean_b) (top-1, top-5, 1-based mean rank, mean cosine; spec 1.8).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np

import vec2vec_fast as v2v
from baselines.mini_vec2vec_reference import fit as reference_fit, transform as reference_transform
from common import RESULTS_DIR, limit_threads, machine, peak_rss_during, versions
from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import MiniParams, fit_mini, preprocess

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "data" / "minilm_mpnet_wordnet_2k.npz"
DEFAULT_PAIRS = REPO.parent / "shared" / "data"
LOCAL_DIR = RESULTS_DIR / "local"  # a run's default output: in .gitignore, so the checkout stays clean
COMMITTED = RESULTS_DIR / "end_to_end.json"
STAGES = ("preprocess", "anchors", "pseudo_pairs", "procrustes", "refine1", "refine2")
OURS, BASELINE = "vec2vec_fast", "numpy/scipy/sklearn reference"

# The notebook's defaults (spec section 9), in the baseline's keyword names; --quick shrinks the costly ones.
NOTEBOOK = dict(runs=30, clusters=20, subsample=10_000, qap_restarts=30, neighbors=50, refine1_iterations=100,
                refine1_sample=1000, refine1_neighbors=50, smoothing=0.5, refine2_clusters=500)
QUICK = dict(NOTEBOOK, runs=3, refine1_iterations=5, refine1_sample=200, refine2_clusters=20, qap_restarts=5)


def mini_params(s: Dict[str, Any]) -> MiniParams:
    """The same settings as MiniParams (kernel 'centred' and QAP '2opt', as the notebook, are its defaults)."""
    return MiniParams(anchor_runs=s["runs"], anchor_clusters=s["clusters"], anchor_subsample=s["subsample"],
                      qap_restarts=s["qap_restarts"], neighbors=s["neighbors"],
                      refine1_iterations=s["refine1_iterations"], refine1_sample=s["refine1_sample"],
                      refine1_neighbors=s["refine1_neighbors"], smoothing=s["smoothing"],
                      refine2_clusters=s["refine2_clusters"])


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", type=Path, default=None,
                   help=f"folder with paired a.npy and b.npy (default: {DEFAULT_PAIRS} if it exists)")
    p.add_argument("--eval", type=int, default=None, help="paired eval rows taken from the end (default 8192)")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1, each run by both implementations")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--skip-baseline", action="store_true", help="time vec2vec_fast only")
    p.add_argument("--quick", action="store_true",
                   help="the 2k fixture (unless --pairs), eval 400, runs=3, refine1 5 x 200, refine2 20 clusters, "
                        "5 QAP restarts")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON path (default: {LOCAL_DIR.relative_to(REPO)}/end_to_end[_quick].json, ignored by git; "
                        f"the committed record is {COMMITTED.relative_to(REPO)}: pass it as --out to update it)")
    args = p.parse_args()
    if args.eval is None:
        args.eval = 400 if args.quick else 8192
    if args.pairs is None and not args.quick:
        if not (DEFAULT_PAIRS / "a.npy").exists():
            p.error(f"--pairs DIR is required ({DEFAULT_PAIRS} has no a.npy); --quick uses the committed fixture")
        args.pairs = DEFAULT_PAIRS
    return args


def load(args: argparse.Namespace) -> Tuple[np.ndarray, np.ndarray, str]:
    if args.pairs is None:
        z = np.load(FIXTURE)
        return z["a"].astype(np.float32), z["b"].astype(np.float32), str(FIXTURE.relative_to(REPO))
    a, b = np.load(args.pairs / "a.npy", mmap_mode="r"), np.load(args.pairs / "b.npy", mmap_mode="r")
    if a.shape[0] != b.shape[0]:
        raise SystemExit(f"{args.pairs}: a.npy has {a.shape[0]} rows, b.npy {b.shape[0]}: not paired")
    return np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32), str(args.pairs)


def split(a: np.ndarray, b: np.ndarray, n_eval: int) -> Dict[str, np.ndarray]:
    """Spec 3: eval = the last n_eval rows (paired); A trains on the first half of the rest, B on the second."""
    n = len(a) - n_eval
    if n < 2:
        raise SystemExit(f"{len(a)} rows leave no training rows after {n_eval} eval rows")
    half = n // 2
    return {"a_train": a[:half], "b_train": b[half:n], "a_eval": a[n:], "b_eval": b[n:]}


def run_one(impl: str, data: Dict[str, np.ndarray], settings: Dict[str, Any], seed: int,
            threads: int) -> Dict[str, Any]:
    """Fit once under the memory sampler; return wall time, stage seconds, peak extra MB and eval metrics."""
    if impl == OURS:
        def fit() -> Any:
            return fit_mini(data["a_train"], data["b_train"], mini_params(settings), seed=seed, n_threads=threads)
    else:
        def fit() -> Any:
            return reference_fit(data["a_train"], data["b_train"], seed=seed, **settings)
    time.sleep(0.3)  # let the previous run's BLAS/OpenMP threads go idle
    with limit_threads(threads):
        t0 = time.perf_counter()
        result, extra = peak_rss_during(fit)
        wall = time.perf_counter() - t0
    if impl == OURS:
        pred, mean_b, seconds = result.map.transform(data["a_eval"]), result.mean_b, result.report["seconds"]
    else:
        pred, mean_b, seconds = reference_transform(result, data["a_eval"]), result["mean_b"], result["seconds"]
    metrics = retrieval_metrics(pred, preprocess(data["b_eval"], mean_b), block=len(pred))
    row = {"impl": impl, "seed": seed, "wall_s": wall, "seconds": dict(seconds), "peak_mem_mb": extra / 2**20,
           **{f"quality_{k}": v for k, v in metrics.items()}}
    if impl == OURS:
        rep = result.report
        row["diagnostics"] = {"matching_score": rep.get("matching_score"),
                              "refine1_objective_final": rep["refine1_objective"][-1],
                              "refine2_self_consistency": rep.get("refine2_self_consistency"),
                              "orthogonality_error": rep.get("orthogonality_error"),
                              "qap_score_normalised_median": float(np.median(rep["qap_score_normalised"]))}
    print(f"  {impl:<30} seed {seed}: {wall:8.2f} s, peak {extra / 2**20:7.0f} MB, "
          f"top1 {metrics['top1']:.4f}, mean rank {metrics['mean_rank']:.2f}, cos {metrics['mean_cos']:.3f}",
          flush=True)
    return row


def summarise(impl: str, runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Medians over seeds; top-1 spread and the count of failed seeds (top-1 < half the best seed's)."""
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)
    top1 = [r["quality_top1"] for r in runs]
    out = {"impl": impl, "median_s": med("wall_s"), "min_s": min(r["wall_s"] for r in runs),
           "stage_median_s": {s: statistics.median(r["seconds"][s] for r in runs) for s in STAGES + ("total",)},
           "peak_mem_mb": max(r["peak_mem_mb"] for r in runs), "seeds": len(runs),
           "top1_min": min(top1), "top1_median": statistics.median(top1), "top1_max": max(top1),
           "failed_seeds": sum(t < 0.5 * max(top1) for t in top1)}
    for key in ("top1", "top5", "mean_rank", "mean_cos"):
        out[f"quality_{key}"] = med(f"quality_{key}")
    return out


def print_table(rows: List[Dict[str, Any]]) -> None:
    cols = ("total",) + STAGES
    print(f"\n{'implementation':<31}" + "".join(f"{c:>13}" for c in cols)
          + f"{'wall s':>9}{'peak MB':>9}{'top1':>8}{'top5':>8}{'rank':>8}{'cos':>7}")
    for r in rows:
        print(f"{r['impl']:<31}" + "".join(f"{r['stage_median_s'][c]:>13.3f}" for c in cols)
              + f"{r['median_s']:>9.2f}{r['peak_mem_mb']:>9.0f}{r['quality_top1']:>8.4f}{r['quality_top5']:>8.4f}"
              f"{r['quality_mean_rank']:>8.2f}{r['quality_mean_cos']:>7.3f}")
    by = {r["impl"]: r for r in rows}
    if BASELINE in by:
        ratio = {c: by[BASELINE]["stage_median_s"][c] / max(by[OURS]["stage_median_s"][c], 1e-12) for c in cols}
        by[OURS]["speedup_vs_reference"] = {**ratio, "wall": by[BASELINE]["median_s"] / by[OURS]["median_s"]}
        print(f"{'ratio reference / vec2vec_fast':<31}" + "".join(f"{ratio[c]:>12.1f}x" for c in cols)
              + f"{by[OURS]['speedup_vs_reference']['wall']:>8.1f}x")
    for r in rows:
        print(f"{r['impl']}: top-1 over {r['seeds']} seed(s) min {r['top1_min']:.4f} / median {r['top1_median']:.4f}"
              f" / max {r['top1_max']:.4f}; failed seeds (top-1 < half the best): {r['failed_seeds']}")


def main() -> None:
    args = parse_args()
    a, b, source = load(args)
    data = split(a, b, args.eval)
    settings = QUICK if args.quick else NOTEBOOK
    impls = [OURS] + ([] if args.skip_baseline else [BASELINE])
    config = {"data": source, "rows": len(a), "d_a": a.shape[1], "d_b": b.shape[1], "eval": args.eval,
              "train_a": len(data["a_train"]), "train_b": len(data["b_train"]), "seeds": args.seeds,
              "threads": args.threads, "quick": args.quick, "settings": settings,
              "mini_params": mini_params(settings).__dict__}
    print("end_to_end: " + ", ".join(f"{k}={v}" for k, v in config.items() if k not in ("settings", "mini_params")))
    print(f"settings: {settings}", flush=True)
    per_seed: List[Dict[str, Any]] = []
    for seed in range(args.seeds):
        for impl in impls:
            per_seed.append(run_one(impl, data, settings, seed, args.threads))
    rows = [summarise(impl, [r for r in per_seed if r["impl"] == impl]) for impl in impls]
    print_table(rows)
    path = args.out or LOCAL_DIR / ("end_to_end_quick.json" if args.quick else "end_to_end.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": "end_to_end", "config": config, "rows": rows, "per_seed": per_seed,
              "build_info": v2v.build_info(), "versions": versions(), "machine": machine(),
              "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.write_text(json.dumps(record, indent=2, default=float))
    print(f"wrote {path}" + (f" (the committed record is {COMMITTED}; pass --out {COMMITTED} to update it)"
                             if args.out is None and not args.quick else ""))


if __name__ == "__main__":
    main()
