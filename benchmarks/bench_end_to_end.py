"""End to end: vec2vec_fast.mini.fit_mini against a plain numpy/scipy/sklearn replica of the mini-vec2vec notebook.

    python benchmarks/bench_end_to_end.py --quick                    # 2k fixture, tiny settings, < 1 minute
    python benchmarks/bench_end_to_end.py --pairs DIR --seeds 3      # DIR/a.npy, DIR/b.npy (or A.npy, B.npy): pairs
    python benchmarks/bench_end_to_end.py --pairs DIR --methods mini procrustes   # Aligner methods beside the replica

The JSON record goes where --out says, by default into benchmarks/results/local/ (ignored by git), so a run never
changes the committed record; to update that on purpose: --out benchmarks/results/end_to_end.json.

The split follows the spec's section 3: the last --eval rows are the paired eval set; the rest is cut in two halves,
A trains on the first and B on the second (disjoint texts, so no pairs are seen). Both implementations get the same
settings (the notebook's defaults, or --quick's small ones) and the same seed, run with the same thread count, and
are scored the same way: A's eval rows mapped by unit rows of normalize(x - mean_a) W, ranked among all of B's eval
rows normalize(y - mean_b) (top-1, top-5, 1-based mean rank, mean cosine; spec 1.8).

--methods runs the named Aligner methods (any of vec2vec_fast.methods.names()) in place of the direct fit_mini call:
each at its defaults, except "mini", which gets the replica's settings; a method that needs pairs (procrustes) is fitted
on the true pairs of the first half, the supervised ceiling. When a fitted aligner's report_ has "confidence" (its
"score") or "status", the table shows them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import vec2vec_fast as v2v
from baselines.mini_vec2vec_reference import fit as reference_fit, transform as reference_transform
from common import RESULTS_DIR, limit_threads, machine, open_pairs, pair_files, peak_rss_during, versions
from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import MiniParams, fit_mini, preprocess

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "data" / "minilm_mpnet_wordnet_2k.npz"
DEFAULT_PAIRS = REPO.parent / "shared" / "data"
LOCAL_DIR = RESULTS_DIR / "local"  # a run's default output: in .gitignore, so the checkout stays clean
COMMITTED = RESULTS_DIR / "end_to_end.json"
STAGES = ("preprocess", "anchors", "pseudo_pairs", "procrustes", "refine1", "refine2")
OURS, BASELINE = "vec2vec_fast", "numpy/scipy/sklearn reference"
METHOD_PREFIX = "Aligner:"  # an --methods row's impl is METHOD_PREFIX + the method's name

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
                   help=f"folder with paired a.npy and b.npy, or A.npy and B.npy as make_pairs.py --layout shared "
                        f"writes them (default: {DEFAULT_PAIRS} if it holds them)")
    p.add_argument("--eval", type=int, default=None, help="paired eval rows taken from the end (default 8192)")
    p.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1, each run by both implementations")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--skip-baseline", action="store_true", help="time vec2vec_fast only")
    p.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                   help="Aligner methods to run beside the replica, in place of the direct fit_mini call (any of "
                        f"{', '.join(v2v.methods.names())}); default: fit_mini alone")
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
        if pair_files(DEFAULT_PAIRS) is None:
            p.error(f"--pairs DIR is required ({DEFAULT_PAIRS} holds no a.npy/b.npy nor A.npy/B.npy); --quick uses "
                    "the committed fixture")
        args.pairs = DEFAULT_PAIRS
    if args.methods is not None:
        unknown = [m for m in args.methods if m not in v2v.methods.names()]
        if unknown:
            p.error(f"--methods: unknown {', '.join(unknown)}; registered: {', '.join(v2v.methods.names())}")
        args.methods = list(dict.fromkeys(args.methods))
    return args


def load(args: argparse.Namespace) -> Tuple[np.ndarray, np.ndarray, str]:
    if args.pairs is None:
        z = np.load(FIXTURE)
        return z["a"].astype(np.float32), z["b"].astype(np.float32), str(FIXTURE.relative_to(REPO))
    a, b = open_pairs(args.pairs)
    return np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32), str(args.pairs)


def pair_models(folder: Optional[Path]) -> Dict[str, Any]:
    """The models and corpus a pairs folder's meta.json names (make_pairs.py's or ../shared/data's), if it has one."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (TypeError, OSError, ValueError):
        return {}
    models = meta.get("models", {})
    a, b = meta.get("model_a") or models.get("A") or {}, meta.get("model_b") or models.get("B") or {}
    corpus = meta.get("corpus")
    out = {"model_a": a.get("name"), "model_b": b.get("name"),
           "corpus": corpus.get("name") if isinstance(corpus, dict) else corpus}
    return {k: v for k, v in out.items() if v}


def split(a: np.ndarray, b: np.ndarray, n_eval: int) -> Dict[str, np.ndarray]:
    """Spec 3: eval = the last n_eval rows (paired); A trains on the first half of the rest, B on the second.
    b_paired: B's rows of the first half, the true partners of a_train (for a method that fits on pairs)."""
    n = len(a) - n_eval
    if n < 2:
        raise SystemExit(f"{len(a)} rows leave no training rows after {n_eval} eval rows")
    half = n // 2
    return {"a_train": a[:half], "b_train": b[half:n], "a_eval": a[n:], "b_eval": b[n:], "b_paired": b[:half]}


def confidence_of(report: Dict[str, Any]) -> Dict[str, Any]:
    """The label-free confidence score and status a fitted aligner's report_ carries, where it carries them."""
    out: Dict[str, Any] = {}
    conf = report.get("confidence")
    if isinstance(conf, dict) and isinstance(conf.get("score"), (int, float)):
        out["confidence"] = float(conf["score"])
    elif isinstance(conf, (int, float)):
        out["confidence"] = float(conf)
    if isinstance(report.get("status"), str):
        out["status"] = report["status"]
    return out


def run_one(impl: str, data: Dict[str, np.ndarray], settings: Dict[str, Any], seed: int,
            threads: int) -> Dict[str, Any]:
    """Fit once under the memory sampler; return wall time, stage seconds, peak extra MB and eval metrics."""
    method = impl[len(METHOD_PREFIX):] if impl.startswith(METHOD_PREFIX) else None
    if method is not None:
        params = mini_params(settings).__dict__ if method == "mini" else {}
        b_fit = data["b_paired"] if v2v.methods.get(method).paired else data["b_train"]

        def fit() -> Any:
            return v2v.Aligner(method, seed=seed, n_threads=threads, **params).fit(data["a_train"], b_fit)
    elif impl == OURS:
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
    extra_cols: Dict[str, Any] = {}
    if method is not None:
        pred, target = result.transform(data["a_eval"]), result.output_frame(data["b_eval"])
        seconds = {k: float(v) for k, v in (result.report_.get("seconds") or {}).items()
                   if isinstance(v, (int, float))}
        extra_cols = confidence_of(result.report_)
    elif impl == OURS:
        pred, seconds = result.map.transform(data["a_eval"]), result.report["seconds"]
        target = preprocess(data["b_eval"], result.mean_b)
    else:
        pred, seconds = reference_transform(result, data["a_eval"]), result["seconds"]
        target = preprocess(data["b_eval"], result["mean_b"])
    metrics = retrieval_metrics(pred, target, block=len(pred))
    row = {"impl": impl, "seed": seed, "wall_s": wall, "seconds": dict(seconds), "peak_mem_mb": extra / 2**20,
           **{f"quality_{k}": v for k, v in metrics.items()}, **extra_cols}
    if impl == OURS:
        rep = result.report
        row["diagnostics"] = {"matching_score": rep.get("matching_score"),
                              "refine1_objective_final": rep["refine1_objective"][-1],
                              "refine2_self_consistency": rep.get("refine2_self_consistency"),
                              "orthogonality_error": rep.get("orthogonality_error"),
                              "qap_score_normalised_median": float(np.median(rep["qap_score_normalised"]))}
    shown = "".join(f", {k} {v:.3f}" if isinstance(v, float) else f", {k} {v}" for k, v in extra_cols.items())
    print(f"  {impl:<30} seed {seed}: {wall:8.2f} s, peak {extra / 2**20:7.0f} MB, "
          f"top1 {metrics['top1']:.4f}, mean rank {metrics['mean_rank']:.2f}, cos {metrics['mean_cos']:.3f}{shown}",
          flush=True)
    return row


def summarise(impl: str, runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Medians over seeds; top-1 spread and the count of failed seeds (top-1 < half the best seed's)."""
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)
    top1 = [r["quality_top1"] for r in runs]
    stages = [s for s in STAGES + ("total",) if all(s in r["seconds"] for r in runs)]
    out = {"impl": impl, "median_s": med("wall_s"), "min_s": min(r["wall_s"] for r in runs),
           "stage_median_s": {s: statistics.median(r["seconds"][s] for r in runs) for s in stages},
           "peak_mem_mb": max(r["peak_mem_mb"] for r in runs), "seeds": len(runs),
           "top1_min": min(top1), "top1_median": statistics.median(top1), "top1_max": max(top1),
           "failed_seeds": sum(t < 0.5 * max(top1) for t in top1)}
    for key in ("top1", "top5", "mean_rank", "mean_cos"):
        out[f"quality_{key}"] = med(f"quality_{key}")
    if all("confidence" in r for r in runs):
        out["confidence"] = med("confidence")
    statuses = [r["status"] for r in runs if "status" in r]
    if statuses:  # "ok", or the count of each when the seeds differ: "ok 2, failed 1"
        counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
        out["status"] = statuses[0] if len(counts) == 1 else ", ".join(f"{s} {c}" for s, c in counts.items())
    return out


def print_table(rows: List[Dict[str, Any]]) -> None:
    """Stage seconds a row lacks (a method with other stages) print as "-"; the confidence and status columns appear
    when a row has them."""
    cols = ("total",) + STAGES
    conf = any("confidence" in r or "status" in r for r in rows)
    width = max([31] + [len(r["impl"]) + 1 for r in rows])

    def cell(value: Optional[float], fmt: str, w: int) -> str:
        return f"{value:>{w}{fmt}}" if value is not None else f"{'-':>{w}}"
    print(f"\n{'implementation':<{width}}" + "".join(f"{c:>13}" for c in cols)
          + f"{'wall s':>9}{'peak MB':>9}{'top1':>8}{'top5':>8}{'rank':>8}{'cos':>7}"
          + (f"{'confidence':>12}  status" if conf else ""))
    for r in rows:
        print(f"{r['impl']:<{width}}" + "".join(cell(r["stage_median_s"].get(c), ".3f", 13) for c in cols)
              + f"{r['median_s']:>9.2f}{r['peak_mem_mb']:>9.0f}{r['quality_top1']:>8.4f}{r['quality_top5']:>8.4f}"
              f"{r['quality_mean_rank']:>8.2f}{r['quality_mean_cos']:>7.3f}"
              + (cell(r.get("confidence"), ".3f", 12) + f"  {r.get('status', '-')}" if conf else ""))
    by = {r["impl"]: r for r in rows}
    if BASELINE in by:
        base = by[BASELINE]
        for r in rows:
            name = r["impl"][len(METHOD_PREFIX):] if r["impl"].startswith(METHOD_PREFIX) else None
            if r is base or (name is not None and v2v.methods.get(name).paired):  # a supervised fit: no race
                continue
            ratio = {c: base["stage_median_s"][c] / max(r["stage_median_s"][c], 1e-12) for c in cols
                     if c in r["stage_median_s"]}
            r["speedup_vs_reference"] = {**ratio, "wall": base["median_s"] / r["median_s"]}
            print(f"{'ratio reference / ' + r['impl']:<{width}}" + "".join(
                f"{ratio[c]:>12.1f}x" if c in ratio else f"{'-':>13}" for c in cols)
                + f"{r['speedup_vs_reference']['wall']:>8.1f}x")
    for r in rows:
        print(f"{r['impl']}: top-1 over {r['seeds']} seed(s) min {r['top1_min']:.4f} / median {r['top1_median']:.4f}"
              f" / max {r['top1_max']:.4f}; failed seeds (top-1 < half the best): {r['failed_seeds']}")


def main() -> None:
    args = parse_args()
    a, b, source = load(args)
    data = split(a, b, args.eval)
    settings = QUICK if args.quick else NOTEBOOK
    ours = [OURS] if args.methods is None else [METHOD_PREFIX + m for m in args.methods]
    impls = ours + ([] if args.skip_baseline else [BASELINE])
    config = {"data": source, **pair_models(args.pairs), "rows": len(a), "d_a": a.shape[1], "d_b": b.shape[1],
              "eval": args.eval, "methods": args.methods,
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
