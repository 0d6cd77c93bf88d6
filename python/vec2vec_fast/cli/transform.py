"""``vec2vec-fast transform MODEL INPUT -o OUTPUT``: map a file of vectors in streamed chunks (vector files, a Parquet
vector column with the table's other columns carried through, or a flat faiss index with its ids)."""

from __future__ import annotations

import argparse
import time

from ._common import (
    CommandError,
    Console,
    add_chunk_rows,
    add_common,
    apply_in_chunks,
    block_mapper,
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
                    "(float32), .npz (one stored array, --key), .fvecs, or .parquet (the vectors as a fixed-size "
                    "list of float32, column --out-column; from a Parquet INPUT, every other column is carried "
                    "through unchanged, rows in order, the vectors taking the input vector column's place). A faiss "
                    "INPUT (IndexFlatIP, IndexFlatL2, or IndexIDMap/IndexIDMap2 around one) is written as an index "
                    "of the same kind and metric with the same ids; faiss holds both indexes in memory.")
    p.add_argument("model", metavar="MODEL", help="model file written by `vec2vec-fast align` (or Aligner.save)")
    p.add_argument("input", metavar="INPUT", help="vectors to map: PATH (.npy/.fvecs/.ivecs/.bvecs), "
                                                  "PATH.npz[:KEY], PATH.parquet:COLUMN (or :PREFIX* for one float "
                                                  "column per dimension) or INDEX.faiss")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                   help="file to write: .npy, .npz, .fvecs, .parquet, or .faiss (from a faiss INPUT)")
    p.add_argument("--raw", action="store_true",
                   help="output in B's own raw frame (B's mean and typical norm restored; A's with --inverse) "
                        "instead of unit rows in the centred frame")
    p.add_argument("--inverse", action="store_true", help="map B vectors back into A's space (inverse_transform)")
    p.add_argument("--key", default="arr_0", help="array name inside an .npz OUTPUT (default arr_0)")
    p.add_argument("--out-column", default=None, metavar="NAME",
                   help="vector column of a .parquet OUTPUT (default: the input's vector column; for PREFIX* input "
                        "the prefix, emb_* -> emb; for other inputs 'embedding')")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    add_chunk_rows(p)
    add_common(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..io import VectorWriter, check_output_path
    from ..io.faiss_index import is_faiss_path, read_faiss_index, transform_faiss_index
    from ..io.parquet import ParquetColumn, ParquetVectorWriter, is_parquet_path, transform_parquet_file

    console = Console(args.quiet)
    chunk_rows = check_chunk_rows(args.chunk_rows)
    check_output_path(args.output, args.overwrite)
    to_parquet, to_faiss = is_parquet_path(args.output), is_faiss_path(args.output)
    if is_faiss_path(args.input) != to_faiss:
        raise CommandError("a faiss index maps to a faiss index: INPUT and OUTPUT must both end in .faiss (or "
                           f".index), got {args.input} and {args.output}")
    if args.out_column is not None and not to_parquet:
        raise CommandError(f"--out-column names the vector column of a .parquet OUTPUT; {args.output} is not one")
    info = read_faiss_index(args.input) if to_faiss else open_input(args.input, "INPUT")
    aligner = load_model(args.model, args.threads)
    d_a, d_b = model_dims(aligner)
    d_in, d_out = (d_b, d_a) if args.inverse else (d_a, d_b)
    check_dim(info, d_in, "maps" if not args.inverse else "maps back", "INPUT")
    start = time.perf_counter()
    if to_faiss or (to_parquet and isinstance(info, ParquetColumn)):
        with console.bar(info.shape[0], "transform") as bar:
            apply = block_mapper(aligner, info, inverse=args.inverse, raw=args.raw, bar=bar)
            if to_faiss:
                path = transform_faiss_index(info, args.output, apply, d_out, chunk_rows=chunk_rows,
                                             overwrite=args.overwrite)
            else:
                transform_parquet_file(info, args.output, apply, d_out, column=args.out_column,
                                       chunk_rows=chunk_rows, overwrite=args.overwrite)
                path = args.output
        what = f"an {info.kind}" if to_faiss else "Parquet, other columns carried"
        console.status(f"wrote {args.output}: {info.shape[0]} x {d_out} float32, {what} ({file_size(path)}) in "
                       f"{elapsed(start)}")
        return 0
    if to_parquet:
        writer = ParquetVectorWriter(args.output, d_out, column=args.out_column or "embedding",
                                     overwrite=args.overwrite)
    else:
        writer = VectorWriter(args.output, info.shape[0], d_out, overwrite=args.overwrite, key=args.key)
    with writer:
        for block in apply_in_chunks(aligner, info, inverse=args.inverse, raw=args.raw, chunk_rows=chunk_rows,
                                     console=console, desc="transform"):
            writer.write(block)
    console.status(f"wrote {args.output}: {info.shape[0]} x {d_out} float32 ({file_size(writer.path)}) in "
                   f"{elapsed(start)}")
    return 0
