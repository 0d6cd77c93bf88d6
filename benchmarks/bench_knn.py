"""Exact top-k search: vec2vec_fast against faiss-cpu IndexFlatIP, blocked numpy and scikit-learn brute force.

    python benchmarks/bench_knn.py          # the issue's case: 10,000 queries x 50,000 base x 768, k=10
"""

from __future__ import annotations

import numpy as np

import vec2vec_fast as v2v
from common import clustered_data, limit_threads, parser, report, time_side_by_side


def numpy_knn(q: np.ndarray, b: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    out = np.empty((len(q), k), dtype=np.int64)
    for i in range(0, len(q), block):
        s = q[i : i + block] @ b.T
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, part, 1), axis=1, kind="stable")
        out[i : i + block] = np.take_along_axis(part, order, 1)
    return out


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(np.intersect1d(a, b)) for a, b in zip(found, truth)]) / truth.shape[1])


def main() -> None:
    args = parser(__doc__, n=50_000, k=10, repeat=3).parse_args()
    m = 10_000
    if args.quick:
        args.n, args.d, args.k, args.repeat, m = 4000, 64, 10, 1, 500
    rng = np.random.default_rng(args.seed)
    base = clustered_data(rng, args.n, args.d)  # unit norm, so cosine (scikit-learn) ranks like inner product
    queries = clustered_data(rng, m, args.d)

    impls = {"vec2vec_fast": lambda: v2v.knn(queries, base, args.k, metric="ip", n_threads=args.threads)[0]}
    if "faiss" not in args.skip:
        try:
            import faiss

            index = faiss.IndexFlatIP(args.d)
            index.add(base)
            impls["faiss-cpu IndexFlatIP"] = lambda: index.search(queries, args.k)[1]
        except ImportError:
            print("faiss-cpu not installed: skipped")
    if "numpy" not in args.skip:
        impls["numpy (blocked)"] = lambda: numpy_knn(queries, base, args.k)
    if "sklearn" not in args.skip:
        try:
            from sklearn.neighbors import NearestNeighbors

            nn = NearestNeighbors(n_neighbors=args.k, algorithm="brute", metric="cosine").fit(base)
            impls["scikit-learn brute"] = lambda: nn.kneighbors(queries, return_distance=False)
        except ImportError:
            print("scikit-learn not installed: skipped")

    rows = []
    with limit_threads(args.threads):
        timed = time_side_by_side(impls, args.repeat)
    truth = timed["vec2vec_fast"]["result"]  # all are exact, so recall against ours is ~1 for every one
    for name, r in timed.items():
        found = r.pop("result")
        rows.append({"impl": name, **r, "quality_recall_vs_v2v": recall(found, truth)})
    config = {"m": m, "n": args.n, "d": args.d, "k": args.k, "metric": "ip", "threads": args.threads,
              "repeat": args.repeat}
    report("knn" if not args.quick else "knn_quick", config, rows, args.out)


if __name__ == "__main__":
    main()
