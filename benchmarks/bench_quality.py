"""Quality of the unsupervised methods on real cross-family pairs: a pair x method x seed matrix, side by side.

    python benchmarks/bench_quality.py                                  # the pairs of ../shared/data, both directions
    python benchmarks/bench_quality.py --pairs use_AB e5_BA --seeds 3 --methods mini mini-ot
    python benchmarks/bench_quality.py --rows 4000 8000                 # also: top-1 against rows per side
    python benchmarks/bench_quality.py --noise                          # also: B replaced by Gaussian noise
    python benchmarks/bench_quality.py --quick                          # the committed fixtures, tiny: a CI smoke run

Protocol (../shared/data/README.md): the last E rows are the paired evaluation set (E = 8,192 when there are at least
3 x 8,192 rows, else 4,096); the rest is cut in two halves; A trains on half 1 and B on half 2, so no sentence is seen
by both sides. Each side is centred with its own training mean and normalised; every mapped A eval row is ranked among
all E B eval rows by cosine (top-1, 1-based mean rank). Baselines in the same run: the supervised ceiling (orthogonal
Procrustes on the true pairs of half 1) and the identity (A's coordinates read as B's, zero-padded or cut: what
searching B's index with A's vectors directly would give). A directed pair "X_BA" swaps the two models.

``--noise`` replaces B's training rows by Gaussian noise with their mean and covariance: nothing can be aligned, and a
method that scores itself must say "failed". Each record holds top-1, mean rank, seconds, and the method's own
confidence and status where it reports one; ``--plot`` draws confidence against top-1 over every fit.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from vec2vec_fast import Aligner, methods, procrustes

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
FOLDERS = {"use": "minilm_use_wiki", "e5": "minilm_e5small_wiki"}
# A pair without MiniLM, read from the B columns of the two folders above: their first 20,000 rows embed the same
# sentences in the same order (load_pair checks the texts), so e5-small -> USE costs no new embedding.
DERIVED = {"e5use": (("minilm_e5small_wiki", "B"), ("minilm_use_wiki", "B"))}
RESULTS = HERE / "results" / "local"


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def load_pair(name: str, data_dir: Path, quick: bool) -> Tuple[np.ndarray, np.ndarray]:
    """(A, B) paired rows of a directed pair name like "use_AB" (A = the folder's A model) or "e5_BA"."""
    key, direction = name.rsplit("_", 1)
    if key in DERIVED:
        a, b = load_derived(data_dir, *DERIVED[key])
    else:
        folder = data_dir / FOLDERS.get(key, key)
        a, b = np.load(folder / "A.npy"), np.load(folder / "B.npy")
    if quick:
        a, b = a[:3000], b[:3000]
    a, b = a.astype(np.float32), b.astype(np.float32)
    return (b, a) if direction == "BA" else (a, b)


def load_derived(data_dir: Path, a_from: Tuple[str, str], b_from: Tuple[str, str]) -> Tuple[np.ndarray, np.ndarray]:
    """One model's column from each of two folders, on the rows where both folders embed the same sentences."""
    texts = [[json.loads(line)["text"] for line in (data_dir / folder / "texts.jsonl").open()]
             for folder, _ in (a_from, b_from)]
    n = min(len(t) for t in texts)
    if texts[0][:n] != texts[1][:n]:
        raise SystemExit(f"{a_from[0]} and {b_from[0]} do not embed the same sentences in their first {n} rows")
    a = np.load(data_dir / a_from[0] / f"{a_from[1]}.npy", mmap_mode="r")[:n]
    b = np.load(data_dir / b_from[0] / f"{b_from[1]}.npy", mmap_mode="r")[:n]
    return np.asarray(a), np.asarray(b)


def split(n: int, quick: bool, rows: Optional[int]) -> Tuple[slice, slice, slice]:
    e = 500 if quick else (8192 if n >= 3 * 8192 else 4096)
    h = (n - e) // 2
    if rows is not None:
        if rows > h:
            raise SystemExit(f"--rows {rows} exceeds the {h} training rows a side this pair has")
        h1, h2 = slice(0, rows), slice(h, h + rows)
    else:
        h1, h2 = slice(0, h), slice(h, 2 * h)
    return h1, h2, slice(n - e, n)


def ranks(mapped: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of row i of targets among all targets for mapped row i (cosine, exact)."""
    out = np.empty(len(mapped), dtype=np.int64)
    for i in range(0, len(mapped), 2048):
        sims = mapped[i:i + 2048] @ targets.T
        own = sims[np.arange(len(sims)), np.arange(i, i + len(sims))]
        out[i:i + 2048] = (sims > own[:, None]).sum(axis=1) + 1
    return out


def quality(W: np.ndarray, ev_a: np.ndarray, ev_b: np.ndarray) -> Dict[str, float]:
    r = ranks(unit(ev_a @ W), ev_b)
    return {"top1": float(np.mean(r == 1)), "mean_rank": float(np.mean(r))}


def identity_map(d_a: int, d_b: int) -> np.ndarray:
    return np.eye(d_a, d_b, dtype=np.float32)


def run(args: argparse.Namespace) -> Iterator[Dict[str, Any]]:
    for pair in args.pairs:
        a, b = load_pair(pair, args.data, args.quick)
        for rows in [] if args.noise_only else args.rows or [None]:
            h1, h2, ev = split(len(a), args.quick, rows)
            a_tr, b_tr = a[h1], b[h2]
            mean_a, mean_b = a_tr.mean(0), b_tr.mean(0)
            ev_a, ev_b = unit(a[ev] - mean_a), unit(b[ev] - mean_b)
            base = {"pair": pair, "rows_per_side": len(a_tr), "eval_rows": len(ev_a), "d_a": a.shape[1],
                    "d_b": b.shape[1]}
            # At every --rows: the ceiling grows with the rows too, and each row count's share is of its own.
            W = procrustes(unit(a_tr - mean_a), unit(b[h1] - mean_b))  # the TRUE pairs of half 1
            yield {**base, "method": "ceiling", "seed": None, **quality(W, ev_a, ev_b), "seconds": None}
            yield {**base, "method": "identity", "seed": None,
                   **quality(identity_map(a.shape[1], b.shape[1]), ev_a, ev_b), "seconds": None}
            for method in args.methods:
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    yield {**base, **fit_and_score(method, seed, a_tr, b_tr, ev_a, ev_b, args)}
        if args.noise or args.noise_only:
            h1, h2, ev = split(len(a), args.quick, None)
            rng = np.random.default_rng(1234)
            b_tr = b[h2].astype(np.float64)
            noise = rng.multivariate_normal(b_tr.mean(0), np.cov(b_tr, rowvar=False), size=len(b_tr))
            ev_a, ev_b = unit(a[ev] - a[h1].mean(0)), unit(b[ev] - b[h2].mean(0))
            for method in args.methods:
                yield {"pair": pair + "+noiseB", "rows_per_side": len(b_tr), "eval_rows": len(ev_a),
                       "d_a": a.shape[1], "d_b": b.shape[1],
                       **fit_and_score(method, 0, a[h1], noise.astype(np.float32), ev_a, ev_b, args)}


def _polish_record(report: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """mini-ot's polish without its per-round history: how many rounds it ran, and its seconds."""
    polish = report.get("polish")
    if not polish:
        return None
    return {**{k: v for k, v in polish.items() if k != "rounds"}, "rounds": len(polish.get("rounds", [])),
            "seconds": report.get("seconds", {}).get("polish")}


def fit_and_score(method: str, seed: int, a_tr: np.ndarray, b_tr: np.ndarray, ev_a: np.ndarray, ev_b: np.ndarray,
                  args: argparse.Namespace) -> Dict[str, Any]:
    params = dict(args.params)
    if args.quick:
        params.update({"anchor_runs": 2, "refine1_iterations": 3, "refine1_sample": 200, "refine2_clusters": 20})
    schema = methods.get(method).schema
    params = {k: v for k, v in params.items() if k in schema}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        aligner = Aligner(method, seed=seed, n_threads=args.threads, **params).fit(a_tr, b_tr)
    seconds = time.perf_counter() - start
    # The map in the protocol's frame: the aligner centres with its own training means, which are the protocol's.
    W = aligner.W_
    report = aligner.report_
    confidence = report.get("confidence", {})
    return {"method": method, "seed": seed, **quality(W, ev_a, ev_b), "seconds": seconds,
            "status": report.get("status"), "confidence": confidence.get("score"),
            "agreement": confidence.get("agreement"), "candidates": report.get("candidates"),
            "candidate_agreement": report.get("candidate_agreement"),
            "polish": _polish_record(report), "exploration": report.get("exploration"),
            "quick": report.get("quick"), "polish_rescue": report.get("polish_rescue"),
            "warned": [str(w.message)[:120] for w in caught]}


def table(records: List[Dict[str, Any]]) -> str:
    lines = ["| pair | rows/side | method | seed | top-1 | mean rank | seconds | confidence | agreement | status |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        def fmt(key: str, spec: str, r: Dict[str, Any] = r) -> str:
            value = r.get(key)
            return "" if value is None else format(value, spec)

        lines.append(f"| {r['pair']} | {r['rows_per_side']} | {r['method']} | {fmt('seed', 'd')} | "
                     f"{r['top1']:.3f} | {r['mean_rank']:.2f} | {fmt('seconds', '.1f')} | {fmt('confidence', '.4f')} "
                     f"| {fmt('agreement', '.3f')} | {r.get('status') or ''} |")
    return "\n".join(lines)


def summary(records: List[Dict[str, Any]]) -> str:
    """Per pair and method over the seeds: median top-1 [min, max], its share of the ceiling, median seconds and the
    statuses reported (the README's table)."""
    ceilings = {(r["pair"], r["rows_per_side"]): r["top1"] for r in records if r["method"] == "ceiling"}
    lines = ["| pair | rows/side | method | seeds | top-1 median [min, max] | share of ceiling median [min] | "
             "seconds (median) | statuses |", "|---|---|---|---|---|---|---|---|"]
    groups: Dict[Tuple[str, int, str], List[Dict[str, Any]]] = {}
    for r in records:
        if r["seed"] is not None:
            groups.setdefault((r["pair"], r["rows_per_side"], r["method"]), []).append(r)
    for (pair, rows, method), rs in groups.items():
        top1 = [r["top1"] for r in rs]
        ceiling = ceilings.get((pair, rows))
        share = (f"{np.median(top1) / ceiling:.2f} [{min(top1) / ceiling:.2f}]" if ceiling else "")
        statuses = ", ".join(f"{s} x{sum(r.get('status') == s for r in rs)}"
                             for s in sorted({r.get("status") for r in rs if r.get("status")}))
        lines.append(f"| {pair} | {rows} | {method} | {len(rs)} | "
                     f"{np.median(top1):.3f} [{min(top1):.3f}, {max(top1):.3f}] | {share} | "
                     f"{np.median([r['seconds'] for r in rs]):.0f} | {statuses} |")
    return "\n".join(lines)


def plot(records: List[Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for status, colour in (("ok", "tab:green"), ("uncertain", "tab:orange"), ("failed", "tab:red")):
        pts = [(r["confidence"], r["top1"]) for r in records if r.get("status") == status
               and r.get("confidence") is not None]
        if pts:
            ax.scatter(*zip(*pts), c=colour, label=status, s=18)
    ax.axvline(0.02, ls="--", c="grey", lw=0.8)
    ax.axvline(0.01, ls=":", c="grey", lw=0.8)
    ax.set_xlabel("label-free confidence (held-out k-NN gain over reflected B)")
    ax.set_ylabel("top-1 on held-out true pairs")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pairs", nargs="+", default=["use_AB", "use_BA", "e5_AB", "e5_BA"],
                   help="directed pairs: KEY_AB or KEY_BA with KEY one of use, e5, e5use (e5-small -> USE) or a folder "
                   "of --data")
    p.add_argument("--data", type=Path, default=SHARED, help="folder of paired A.npy/B.npy folders")
    p.add_argument("--methods", nargs="+", default=["mini", "mini-ot"], choices=methods.names())
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0, help="seeds run from this one (to add seeds to a run)")
    p.add_argument("--rows", type=int, nargs="+", default=None, help="rows per side to sweep (default: all)")
    p.add_argument("--noise", action="store_true", help="also fit every method with B replaced by Gaussian noise")
    p.add_argument("--noise-only", action="store_true", help="only the noise fits")
    p.add_argument("--param", action="append", default=[], metavar="KEY=JSON", help="a hyperparameter for every method "
                   "that has it")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--quick", action="store_true", help="first 3,000 rows, tiny settings: a smoke run")
    p.add_argument("--plot", type=Path, default=None, help="write confidence against top-1 as a PNG")
    p.add_argument("--out", type=Path, default=None, help="JSON lines record (default results/local/quality.jsonl)")
    args = p.parse_args()
    args.params = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.param)}
    if args.quick:
        args.seeds = min(args.seeds, 1)
        args.pairs = args.pairs[:1]
    return args


def main() -> int:
    args = parse_args()
    out = args.out or RESULTS / "quality.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    records = []
    with out.open("a") as f:
        for record in run(args):
            records.append(record)
            f.write(json.dumps(record) + "\n")
            f.flush()
            shown = {k: v for k, v in record.items() if k not in ("warned", "candidates", "candidate_agreement",
                                                               "exploration", "polish_rescue")}
            print(json.dumps(shown), flush=True)
    print(table(records))
    print(summary(records))
    if args.plot:
        plot(records, args.plot)
        print(f"wrote {args.plot}")
    print(f"appended {len(records)} records to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
