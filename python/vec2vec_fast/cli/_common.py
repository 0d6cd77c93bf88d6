"""Helpers shared by the subcommands: input specs, console output and progress bars, model loading, streaming."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

import numpy as np

from ..io import VectorFile, inspect_vectors, iter_chunks

DEFAULT_CHUNK_ROWS = 16_384  # rows per streamed block: ~50 MB of float32 at d = 768, about 5x that while mapped


class CommandError(Exception):
    """An error the user can fix, reported as one line (exit status 1)."""


def input_spec(text: str) -> Tuple[Path, Optional[str]]:
    """``PATH`` or ``PATH.npz:KEY`` (an array inside an .npz file) -> (path, key)."""
    head, sep, key = text.rpartition(":")
    if sep and head.lower().endswith(".npz") and key:
        return Path(head), key
    return Path(text), None


def open_input(text: str, label: str) -> VectorFile:
    """Describe an input file from its header (nothing is loaded); errors name the argument."""
    path, key = input_spec(text)
    try:
        return inspect_vectors(path, key)
    except FileNotFoundError:
        raise FileNotFoundError(f"{label} {path}: no such file") from None


def load_input(info: VectorFile) -> Any:
    """The array behind an input: a read-only memory map for .npy/.fvecs/.ivecs/.bvecs, loaded for .npz."""
    from ..io import open_vectors

    return open_vectors(info.path, info.key)


def add_common(parser: argparse.ArgumentParser, *, threads: bool = True) -> None:
    """--quiet, and --threads where the command computes."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or status lines (errors are "
                        "still printed)")
    if threads:
        parser.add_argument("--threads", type=int, default=None, metavar="N",
                            help="threads for the C++ kernels: default all usable cores (or OMP_NUM_THREADS), "
                                 "-1 all, -2 all but one")


def add_chunk_rows(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, metavar="N",
                        help=f"rows read, mapped and written at a time (default {DEFAULT_CHUNK_ROWS}); memory stays "
                             f"a few times N x dim floats whatever the file size")


class Console:
    """Status lines and progress bars on stderr, silenced by --quiet. Bars appear on terminals only."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def status(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def bar(self, total: int, desc: str, unit: str = "rows"):
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr,
                    disable=True if self.quiet else None, dynamic_ncols=True, leave=False)

    @contextmanager
    def timer(self, desc: str) -> Iterator[None]:
        """An elapsed-time bar for one long call that reports no progress of its own (e.g. a fit)."""
        from tqdm.auto import tqdm

        bar = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", file=sys.stderr,
                   disable=True if self.quiet else None, leave=False)
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(0.5):
                bar.refresh()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            bar.close()


def load_model(text: str, threads: Optional[int] = None):
    """Aligner.load with a one-line error for a missing file; ``threads`` sets the model's n_threads."""
    from ..aligner import Aligner

    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"model {path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"model {path} is a folder, not a model file")
    return Aligner.load(path).set_params(n_threads=threads)


def model_dims(aligner: Any) -> Tuple[int, int]:
    """(d_a, d_b) of a loaded model, whatever its method."""
    return aligner.n_features_in_, aligner.n_features_out_


def check_dim(info: VectorFile, expected: int, what: str, label: str) -> None:
    if info.shape[1] != expected:
        raise CommandError(f"{label} {info.path} has {info.shape[1]}-d vectors but the model {what} {expected}-d "
                           f"vectors")


def apply_in_chunks(aligner: Any, info: VectorFile, *, inverse: bool, raw: bool, chunk_rows: int,
                    console: Console, desc: str) -> Iterator[np.ndarray]:
    """Map an input file block by block (transform, or inverse_transform), with a progress bar over rows.

    Each row's result depends on that row alone, so the blocks concatenated equal the one-call result bit for bit.
    """
    apply = aligner.inverse_transform if inverse else aligner.transform
    with console.bar(info.shape[0], desc) as bar:
        for block in iter_chunks(info, chunk_rows):
            out = apply(block, raw=raw)
            bar.update(block.shape[0])
            yield out


def check_chunk_rows(value: int) -> int:
    if value < 1:
        raise CommandError(f"--chunk-rows must be a positive number of rows, got {value}")
    return value


def file_size(path: Path) -> str:
    size = float(os.path.getsize(path))
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


def elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.1f} s"
