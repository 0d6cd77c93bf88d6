"""``vec2vec-fast evaluate MODEL A_EVAL B_EVAL``: retrieval metrics on paired held-out rows."""

from __future__ import annotations

import argparse
import json

import numpy as np

from ._common import (
    CommandError,
    Console,
    add_chunk_rows,
    add_common,
    apply_in_chunks,
    check_chunk_rows,
    check_dim,
    load_input,
    load_model,
    model_dims,
    open_input,
)


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help="top-1, top-5, mean rank and cosine on paired held-out rows",
        description="Map A_EVAL through MODEL and rank each row's true partner (the same row of B_EVAL, centred on "
                    "the model's B mean) by cosine among the candidates of its block, as "
                    "vec2vec_fast.metrics.retrieval_metrics(aligner.transform(a), b - aligner.mean_b_) does: top-1, "
                    "top-5, mean rank (1 = best) and mean cosine to the true partner. Both eval sets are held in "
                    "memory (n x d float32 each).")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("a_eval", metavar="A_EVAL", help="A vectors (row i pairs with row i of B_EVAL); PATH, "
                                                    "PATH.npz[:KEY] or PATH.parquet:COLUMN")
    p.add_argument("b_eval", metavar="B_EVAL", help="B vectors, same rows, same forms")
    p.add_argument("--block", type=int, default=8192,
                   help="candidates per query: pairs are cut into blocks of this many rows (default 8192, as the "
                        "mini-vec2vec reference)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    add_chunk_rows(p)
    add_common(p)
    p.set_defaults(func=run)
    return p


def evaluate_files(args: argparse.Namespace, console: Console) -> dict:
    from .._validation import as_float32_matrix
    from ..metrics import retrieval_metrics

    a_info, b_info = open_input(args.a_eval, "A_EVAL"), open_input(args.b_eval, "B_EVAL")
    aligner = load_model(args.model, args.threads)
    d_a, d_b = model_dims(aligner)
    check_dim(a_info, d_a, "maps", "A_EVAL")
    check_dim(b_info, d_b, "produces", "B_EVAL")
    if a_info.shape[0] != b_info.shape[0]:
        raise CommandError(f"A_EVAL has {a_info.shape[0]} rows but B_EVAL has {b_info.shape[0]}: rows must be paired")
    if args.block < 1:
        raise CommandError(f"--block must be a positive number of rows, got {args.block}")
    pred = np.concatenate(list(apply_in_chunks(aligner, a_info, inverse=False, raw=False,
                                               chunk_rows=check_chunk_rows(args.chunk_rows), console=console,
                                               desc="transform A_EVAL")))
    b = as_float32_matrix(load_input(b_info), "B_EVAL")
    return retrieval_metrics(pred, aligner.output_frame(b), block=args.block)


def run(args: argparse.Namespace) -> int:
    console = Console(args.quiet)
    metrics = evaluate_files(args, console)
    if args.json:
        print(json.dumps(metrics))
    else:
        print(f"pairs      {metrics['n']} (ranked in blocks of {min(args.block, metrics['n'])})")
        print(f"top-1      {metrics['top1']:.4f}")
        print(f"top-5      {metrics['top5']:.4f}")
        print(f"mean rank  {metrics['mean_rank']:.3f}")
        print(f"cosine     {metrics['mean_cos']:.4f}")
    return 0
