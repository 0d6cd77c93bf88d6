"""Procrustes: vec2vec_fast against scipy.linalg.orthogonal_procrustes, same float32 data, side by side.

    python benchmarks/bench_procrustes.py                 # n=20,000 rows, d=768
    python benchmarks/bench_procrustes.py --d 384 1024    # other dimensions
"""

from __future__ import annotations

import numpy as np

import vec2vec_fast as v2v
from common import limit_threads, parser, report, time_side_by_side


def main() -> None:
    p = parser(__doc__, n=20_000, repeat=5)
    p.set_defaults(d=None)
    p.add_argument("--dims", type=int, nargs="+", default=[768], help="dimensions to run (square maps)")
    args = p.parse_args()
    dims = [args.d] if args.d else args.dims
    if args.quick:
        args.n, dims, args.repeat = 2000, [64], 1
    import scipy.linalg

    for d in dims:
        rng = np.random.default_rng(args.seed)
        x = rng.standard_normal((args.n, d)).astype(np.float32)
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        y = (x @ q + 0.5 * rng.standard_normal((args.n, d))).astype(np.float32)
        exact, _ = scipy.linalg.orthogonal_procrustes(x.astype(np.float64), y.astype(np.float64))
        impls = {"vec2vec_fast": lambda x=x, y=y: v2v.procrustes(x, y, n_threads=args.threads),
                 "scipy": lambda x=x, y=y: scipy.linalg.orthogonal_procrustes(x, y)[0]}
        rows = []
        with limit_threads(args.threads):
            timed = time_side_by_side(impls, args.repeat)
        for name, r in timed.items():
            w = r.pop("result").astype(np.float64)
            rows.append({"impl": name, **r, "orthogonality_error": float(np.abs(w.T @ w - np.eye(d)).max()),
                         "quality_max_diff_vs_float64": float(np.abs(w - exact).max())})
        config = {"n": args.n, "d": d, "dtype": "float32", "threads": args.threads, "repeat": args.repeat}
        name = f"procrustes_d{d}" + ("_quick" if args.quick else "")
        report(name, config, rows, args.out if len(dims) == 1 else None)


if __name__ == "__main__":
    main()
