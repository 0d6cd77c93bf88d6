"""QAP: speed against scipy.optimize.quadratic_assignment, and how often each method finds the true matching of
anchor clusters built from real paired embeddings.

    python benchmarks/bench_qap.py                           # speed: n=20, 30 restarts, 2-opt and FAQ
    python benchmarks/bench_qap.py --pairs DIR --trials 20   # recovery on real pairs (DIR/a.npy, DIR/b.npy)

Recovery follows mini-vec2vec's anchor stage (spec 1.3): draw a subsample of paired rows, centre and normalise each
side, cluster A into c clusters (k-means++), average B's rows of the same sentences per cluster (so the true matching
is known), shuffle B's centroids, build each side's kernel H C C^T H, and solve. A trial counts as recovered when the
permutation is exactly right.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import vec2vec_fast as v2v
from common import limit_threads, open_pairs, parser, report, time_side_by_side


def scipy_best_of(A, B, method, restarts, seed):
    from scipy.optimize import quadratic_assignment

    best = None
    for r in range(restarts):
        opts = {"maximize": True, "rng": np.random.default_rng([seed, r])}
        if method == "faq":
            opts["P0"] = "randomized"
        res = quadratic_assignment(A, B, method=method, options=opts)
        if best is None or res.fun > best.fun:
            best = res
    return best.col_ind, best.fun


def centred_kernel(c):
    c = c - c.mean(0)
    return c @ c.T


def speed(args):
    rng = np.random.default_rng(args.seed)
    n, restarts = (12, 4) if args.quick else (args.k, 30)
    cent = rng.standard_normal((n, 64))
    A = centred_kernel(cent)
    B = centred_kernel(cent[rng.permutation(n)] + 0.1 * rng.standard_normal((n, 64)))
    for method in ("2opt", "faq"):
        impls = {"vec2vec_fast": lambda method=method: v2v.qap(A, B, method=method, n_restarts=restarts,
                                                               seed=args.seed, n_threads=args.threads).score,
                 "scipy (best of restarts)": lambda method=method: scipy_best_of(A, B, method, restarts,
                                                                                  args.seed)[1]}
        with limit_threads(args.threads):
            timed = time_side_by_side(impls, args.repeat, inner=1 if args.quick else 10)
        scores = {name: float(r.pop("result")) for name, r in timed.items()}
        rows = [{"impl": name, **r, "quality_score": scores[name]} for name, r in timed.items()]
        config = {"n": n, "restarts": restarts, "method": method, "threads": args.threads, "repeat": args.repeat,
                  "calls_per_sample": 1 if args.quick else 10}
        report(f"qap_speed_{method}" + ("_quick" if args.quick else ""), config, rows, None)


def preprocess(x):
    x = np.asarray(x, dtype=np.float32)
    x = x - x.mean(0)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recovery(args):
    a_all, b_all = open_pairs(args.pairs)
    methods = {
        "vec2vec_fast 2opt x30": lambda A, B, s: v2v.qap(A, B, method="2opt", seed=s).perm,
        "vec2vec_fast faq x30": lambda A, B, s: v2v.qap(A, B, method="faq", seed=s).perm,
        "vec2vec_fast faq+2opt x30": lambda A, B, s: v2v.qap(A, B, method="faq+2opt", seed=s).perm,
        "scipy 2opt best of 30": lambda A, B, s: scipy_best_of(A, B, "2opt", 30, s)[0],
    }
    results = {}
    for c in args.clusters:
        hits = {m: 0 for m in methods}
        matched = {m: 0.0 for m in methods}
        for trial in range(args.trials):
            rng = np.random.default_rng([args.seed, c, trial])
            rows = rng.choice(len(a_all), size=min(args.subsample, len(a_all)), replace=False)
            a, b = preprocess(a_all[np.sort(rows)]), preprocess(b_all[np.sort(rows)])
            labels = v2v.kmeans(a, c, seed=int(rng.integers(2**32))).labels
            ca = np.stack([a[labels == j].mean(0) for j in range(c)])
            cb = np.stack([b[labels == j].mean(0) for j in range(c)])
            shuffle = rng.permutation(c)
            truth = np.argsort(shuffle)  # row truth[i] of the shuffled B centroids belongs to A's cluster i
            A, B = centred_kernel(ca), centred_kernel(cb[shuffle])
            for name, solve in methods.items():
                perm = np.asarray(solve(A, B, trial))
                hits[name] += int(np.array_equal(perm, truth))
                matched[name] += float(np.mean(perm == truth))
        results[c] = {m: {"exact_recoveries": hits[m], "trials": args.trials,
                          "mean_fraction_matched": matched[m] / args.trials} for m in methods}
        print(f"\nc={c}: exact recoveries out of {args.trials} trials (mean fraction of clusters matched)")
        for m in methods:
            print(f"  {m:<28}{hits[m]:>4}/{args.trials}   ({matched[m] / args.trials:.3f})")
    meta_path = args.pairs / "meta.json"
    record = {"pairs": str(args.pairs), "meta": json.loads(meta_path.read_text()) if meta_path.exists() else None,
              "subsample": args.subsample, "trials": args.trials, "results": results}
    out = args.out or Path(__file__).resolve().parent / "results" / "qap_recovery.json"
    out.write_text(json.dumps(record, indent=2))
    print(f"wrote {out}")


def main() -> None:
    p = parser(__doc__, k=20, repeat=3)
    p.add_argument("--pairs", type=Path, default=None, help="folder with paired a.npy / b.npy (or A.npy / B.npy): "
                   "run the recovery study")
    p.add_argument("--clusters", type=int, nargs="+", default=[20, 30])
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--subsample", type=int, default=10_000)
    args = p.parse_args()
    if args.pairs is None:
        speed(args)
    else:
        recovery(args)


if __name__ == "__main__":
    main()
