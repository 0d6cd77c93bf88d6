"""Index migration: a corpus indexed with model B, queries from model A translated into B's space by a map fitted
WITHOUT pairs. How often is the true document found?

    python benchmarks/bench_migration.py                        # both real pairs of ../shared/data, Aligner's default
    python benchmarks/bench_migration.py --method mini --pair minilm_use_wiki
    python benchmarks/bench_migration.py --quick                # the committed fixture, tiny: a smoke run for CI

The protocol of ../shared/data/README.md: the last E rows are the evaluation set (E = 8,192 when there are at least
3 x 8,192 rows, else 4,096), the rest is cut in two halves; the map trains on A's half 1 and B's half 2, so no
sentence is seen by both sides. The corpus is the E evaluation sentences embedded by B; each query is one of those
sentences embedded by A, and its true document is the same sentence in B's index. Recall@k: the fraction of queries
whose true document is among the k best by inner product (exact search). Rows of the table:

- "own index": the queries searched in an index of the corpus embedded by the query model itself (re-embedding the
  corpus with A). A query here is its document's own text, so this is 1.0 by construction: the cost of the
  re-embedding the translation avoids, not a quality bar.
- the unsupervised map, two ways: "existing B index" searches B's vectors as the model made them with
  ``transform(raw=True)`` queries (B's mean and norm restored: nothing about the index changes); "centred B index"
  searches ``output_frame(B)`` (B's vectors centred on its mean) with ``transform`` queries, the protocol's frame.
- "supervised ceiling": Procrustes fitted on the TRUE pairs of half 1, both ways.

Everything is exact (vec2vec_fast.knn); the times are the fit and the translation + search of all queries.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import vec2vec_fast as v2v
from vec2vec_fast import Aligner, methods

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
FIXTURE = HERE.parent / "tests" / "data" / "minilm_mpnet_wordnet_2k.npz"
PAIRS = ("minilm_use_wiki", "minilm_e5small_wiki")


def recall(queries: np.ndarray, corpus: np.ndarray, ks=(1, 10)) -> dict:
    """Recall@k of row i of ``corpus`` for query i, by exact inner product."""
    idx, _ = v2v.knn(queries, corpus, k=max(ks), metric="ip")
    truth = np.arange(len(queries))[:, None]
    return {f"r@{k}": float((idx[:, :k] == truth).any(axis=1).mean()) for k in ks}


def split(n: int, quick: bool):
    """(half 1, half 2, eval) row ranges of the protocol."""
    e = 400 if quick else (8192 if n >= 3 * 8192 else 4096)
    h = (n - e) // 2
    return slice(0, h), slice(h, 2 * h), slice(n - e, n)


# --quick runs the benchmark's code, not a real fit: mini's stages cut short and, for mini-ot, no candidate beyond
# the first two and two polish rounds (the default fit on the fixture's 800 rows fails and tries every fallback:
# over two minutes of a CI run for a smoke test).
TINY = {
    "mini": {"anchor_runs": 2, "refine1_iterations": 3, "refine1_sample": 200, "refine2_clusters": 20},
}
TINY["mini-ot"] = {**TINY["mini"], "quick_anchor_runs": 0, "extra_candidates": 0, "explore_candidates": 0,
                   "reverse_candidates": 0, "stochastic_candidates": 0, "rescue_candidates": 0, "rescue_polishes": 0,
                   "ot_max_rounds": 2, "polish_rounds": 2, "polish_chain": 0}


def run_pair(name: str, a: np.ndarray, b: np.ndarray, method: str, seed: int, quick: bool) -> dict:
    h1, h2, ev = split(len(a), quick)
    params = TINY.get(method, {}) if quick else {}
    start = time.perf_counter()
    unsup = Aligner(method, seed=seed, **params).fit(a[h1], b[h2])
    fit_s = time.perf_counter() - start
    ceiling = Aligner("procrustes").fit(a[h1], b[h1])
    a_q, b_docs = a[ev], b[ev]
    rows = [{"map": "own index (query model re-embeds the corpus)", "index": "A", **recall(a_q, a_q)}]
    for label, aligner in ((f"{method}, unsupervised", unsup), ("procrustes, supervised ceiling", ceiling)):
        start = time.perf_counter()
        existing = recall(aligner.transform(a_q, raw=True), b_docs)
        search_s = time.perf_counter() - start
        centred = recall(aligner.transform(a_q), aligner.output_frame(b_docs))
        rows.append({"map": label, "index": "existing B", **existing, "search_s": search_s})
        rows.append({"map": label, "index": "centred B", **centred})
    return {"pair": name, "method": method, "seed": seed, "eval": ev.stop - ev.start, "train_per_side": h1.stop,
            "d_a": a.shape[1], "d_b": b.shape[1], "fit_s": fit_s, "rows": rows}


def table(results: list) -> str:
    lines = ["| pair | map | index searched | recall@1 | recall@10 |", "|---|---|---|---|---|"]
    for res in results:
        for r in res["rows"]:
            lines.append(f"| {res['pair']} ({res['eval']:,} queries) | {r['map']} | {r['index']} | "
                         f"{r['r@1']:.3f} | {r['r@10']:.3f} |")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=SHARED, help=f"folder of the paired sets (default {SHARED})")
    p.add_argument("--pair", nargs="*", default=list(PAIRS), help="which of its folders (default both)")
    p.add_argument("--method", default=methods.DEFAULT, choices=methods.names(),
                   help=f"the unsupervised method (default: Aligner()'s, {methods.DEFAULT})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="the committed 2,000-row fixture: a smoke run")
    p.add_argument("--out", type=Path, default=None, help="JSON record (default: print only)")
    args = p.parse_args()
    if args.quick:
        f = np.load(FIXTURE)
        sets = [("fixture minilm_mpnet_wordnet_2k", f["a"].astype(np.float32), f["b"].astype(np.float32))]
    else:
        missing = [name for name in args.pair if not (args.data / name / "A.npy").exists()]
        if missing:
            print(f"bench_migration: skipped, no {', '.join(missing)} under {args.data}")
            return 0
        sets = [(name, np.load(args.data / name / "A.npy").astype(np.float32),
                 np.load(args.data / name / "B.npy").astype(np.float32)) for name in args.pair]
    results = []
    for name, a, b in sets:
        res = run_pair(name, a, b, args.method, args.seed, args.quick)
        print(f"{name}: {res['d_a']} -> {res['d_b']}, {res['train_per_side']:,} unpaired rows a side, "
              f"{args.method} fit {res['fit_s']:.1f} s", flush=True)
        results.append(res)
    print(table(results))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"benchmark": "migration", "command": " ".join(sys.argv),
                                        "build_info": v2v.build_info(), "results": results}, indent=2, default=float))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
