"""``vec2vec-fast transform MODEL INPUT -o OUTPUT``: map a file of vectors in streamed chunks."""

from __future__ import annotations

import argparse
import time

from ._common import (
    Console,
    add_chunk_rows,
    add_common,
    apply_in_chunks,
    check_chunk_rows,
    check_dim,
    elapsed,
    file_size,
    load_model,
    model_dims,
    open_input,
)


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "transform", help="map a file of A vectors into B's space (streamed: the output may exceed memory)",
        description="Map every row of INPUT through MODEL and write the result, reading and writing CHUNK-ROWS rows "
                    "at a time: memory holds a few chunks, never the file, so INPUT and OUTPUT may be larger than "
                    "memory. The result equals the in-memory Aligner.transform bit for bit. OUTPUT is written to a "
                    "temporary file that replaces it only when complete; its format follows its suffix: .npy "
                    "(float32), .npz (one stored array, --key) or .fvecs.")
    p.add_argument("model", metavar="MODEL", help="model file written by `vec2vec-fast align` (or Aligner.save)")
    p.add_argument("input", metavar="INPUT", help="vectors to map: PATH (.npy/.fvecs/.ivecs/.bvecs) or "
                                                  "PATH.npz[:KEY]")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="file to write: .npy, .npz or .fvecs")
    p.add_argument("--raw", action="store_true",
                   help="output in B's own raw frame (B's mean and typical norm restored; A's with --inverse) "
                        "instead of unit rows in the centred frame")
    p.add_argument("--inverse", action="store_true", help="map B vectors back into A's space (inverse_transform)")
    p.add_argument("--key", default="arr_0", help="array name inside an .npz OUTPUT (default arr_0)")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    add_chunk_rows(p)
    add_common(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..io import VectorWriter, check_output_path

    console = Console(args.quiet)
    chunk_rows = check_chunk_rows(args.chunk_rows)
    check_output_path(args.output, args.overwrite)
    info = open_input(args.input, "INPUT")
    aligner = load_model(args.model, args.threads)
    d_a, d_b = model_dims(aligner)
    d_in, d_out = (d_b, d_a) if args.inverse else (d_a, d_b)
    check_dim(info, d_in, "maps" if not args.inverse else "maps back", "INPUT")
    start = time.perf_counter()
    with VectorWriter(args.output, info.shape[0], d_out, overwrite=args.overwrite, key=args.key) as writer:
        for block in apply_in_chunks(aligner, info, inverse=args.inverse, raw=args.raw, chunk_rows=chunk_rows,
                                     console=console, desc="transform"):
            writer.write(block)
    console.status(f"wrote {args.output}: {info.shape[0]} x {d_out} float32 ({file_size(writer.path)}) in "
                   f"{elapsed(start)}")
    return 0
