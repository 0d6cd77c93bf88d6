"""Helpers shared by the subcommands: input specs, console output and progress bars, model loading, streaming."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from ..io import VectorFile, inspect_vectors, iter_chunks

DEFAULT_CHUNK_ROWS = 16_384  # rows per streamed block: ~50 MB of float32 at d = 768, about 5x that while mapped
# Without a terminal (output to a file or a pipe) there are no progress bars; long steps print a plain status line
# this often instead (seconds; the environment variable V2V_PROGRESS_INTERVAL overrides it).
PROGRESS_INTERVAL = 10.0
PROGRESS_INTERVAL_ENV = "V2V_PROGRESS_INTERVAL"


class CommandError(Exception):
    """An error the user can fix, reported as one line (exit status 1)."""


def input_spec(text: str) -> Tuple[Path, Optional[str]]:
    """``PATH`` or ``PATH.npz:KEY`` (an array inside an .npz file) -> (path, key)."""
    head, sep, key = text.rpartition(":")
    if sep and head.lower().endswith(".npz") and key:
        return Path(head), key
    return Path(text), None


def open_input(text: str, label: str) -> Any:
    """Describe an input from its header or footer (nothing is loaded); errors name the argument.

    ``PATH.parquet:COLUMN`` gives a :class:`~vec2vec_fast.io.ParquetColumn`, anything else a
    :class:`~vec2vec_fast.io.VectorFile`; both have ``path``, ``shape`` and ``dtype``."""
    from ..io.parquet import inspect_parquet, parquet_spec

    spec = parquet_spec(text)
    path, key = spec if spec is not None else input_spec(text)
    try:
        return inspect_parquet(path, key) if spec is not None else inspect_vectors(path, key)
    except FileNotFoundError:
        raise FileNotFoundError(f"{label} {path}: no such file") from None


def input_source(info: Any, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Any:
    """What :func:`~vec2vec_fast.io.iter_chunks` streams for an input: the file itself, or a Parquet column's
    reader (record batches of ``chunk_rows`` rows)."""
    from ..io.parquet import ParquetColumn, ParquetVectors

    return ParquetVectors(info, chunk_rows) if isinstance(info, ParquetColumn) else info


def load_input(info: Any) -> Any:
    """The array behind an input: a read-only memory map for .npy/.fvecs/.ivecs/.bvecs, loaded for .npz, an
    array-like read on demand for Parquet (sampled reads keep only the sampled rows)."""
    from ..io import open_vectors
    from ..io.parquet import ParquetColumn, ParquetVectors

    if isinstance(info, ParquetColumn):
        return ParquetVectors(info)
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


def progress_interval() -> float:
    """Seconds between plain status lines: V2V_PROGRESS_INTERVAL when it is a positive number, else the default."""
    try:
        value = float(os.environ.get(PROGRESS_INTERVAL_ENV, ""))
    except ValueError:
        return PROGRESS_INTERVAL
    return value if value > 0 else PROGRESS_INTERVAL


def stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def _print_status(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Heartbeat:
    """A background thread that prints ``message(seconds_elapsed)`` on stderr whenever ``interval`` seconds have
    passed without a line (:meth:`touch` records one printed by someone else), so a long step shows it is alive in a
    log file or pipe, where a progress bar cannot be drawn."""

    def __init__(self, message: Callable[[float], str], interval: Optional[float] = None):
        self.message, self.interval = message, interval if interval is not None else progress_interval()
        self._start = self._last = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vec2vec-fast-progress", daemon=True)

    def touch(self) -> None:
        self._last = time.perf_counter()

    def _run(self) -> None:
        while not self._stop.wait(max(0.01, self._last + self.interval - time.perf_counter())):
            now = time.perf_counter()
            if now - self._last >= self.interval:
                _print_status(self.message(now - self._start))
                self._last = now

    def __enter__(self) -> "Heartbeat":
        self._start = self._last = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


class PlainProgress:
    """The progress bar of a run without a terminal: "transform: 120000/400000 rows (30%), 12 s" on stderr, at most
    once per interval (checked as progress arrives). Has the part of tqdm's interface the commands use."""

    def __init__(self, total: int, desc: str, unit: str = "rows", interval: Optional[float] = None):
        self.total, self.desc, self.unit, self.n = int(total), desc, unit, 0
        self.interval = interval if interval is not None else progress_interval()
        self._start = self._last = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.n += int(n)
        now = time.perf_counter()
        if now - self._last >= self.interval and self.n < self.total:
            self._last = now
            percent = f" ({100 * self.n // self.total}%)" if self.total > 0 else ""
            _print_status(f"{self.desc}: {self.n}/{self.total} {self.unit}{percent}, {now - self._start:.0f} s")

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "PlainProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Console:
    """Status lines and progress bars on stderr, silenced by --quiet. Bars appear on terminals only; elsewhere (a
    log file, a pipe) long steps print a plain status line every :func:`progress_interval` seconds instead."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def status(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def bar(self, total: int, desc: str, unit: str = "rows"):
        if not self.quiet and not stderr_is_terminal():
            return PlainProgress(total, desc, unit)
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr,
                    disable=True if self.quiet else None, dynamic_ncols=True, leave=False)

    @contextmanager
    def timer(self, desc: str) -> Iterator[None]:
        """An elapsed-time bar for one long call that reports no progress of its own (e.g. a fit); without a
        terminal, a line "DESC: 40 s elapsed" every interval."""
        if not self.quiet and not stderr_is_terminal():
            with Heartbeat(lambda seconds: f"{desc}: {seconds:.0f} s elapsed"):
                yield
            return
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


def block_mapper(aligner: Any, info: Any, *, inverse: bool, raw: bool, label: str = "INPUT",
                 bar: Any = None) -> Callable[[np.ndarray, int], np.ndarray]:
    """``apply(block, first_row)``: a block of an input mapped (transform, or inverse_transform), with ``bar``
    advanced. A non-finite (or out of float32 range) value is reported by the file (``label`` and path) and its row
    in the file, not in the block."""
    fn = aligner.inverse_transform if inverse else aligner.transform

    def apply(block: np.ndarray, first_row: int) -> np.ndarray:
        try:
            out = fn(block, raw=raw)
        except ValueError as err:
            where = bad_value(block, first_row)
            if where is None:
                raise
            raise CommandError(f"{label} {info.path}: {where}") from err
        if bar is not None:
            bar.update(block.shape[0])
        return out

    return apply


def apply_in_chunks(aligner: Any, info: Any, *, inverse: bool, raw: bool, chunk_rows: int,
                    console: Console, desc: str, label: str = "INPUT") -> Iterator[np.ndarray]:
    """Map an input file block by block (transform, or inverse_transform), with a progress bar over rows.

    Each row's result depends on that row alone, so the blocks concatenated equal the one-call result bit for bit.
    Errors in the data name the file and the row (:func:`block_mapper`).
    """
    start = 0
    with console.bar(info.shape[0], desc) as bar:
        apply = block_mapper(aligner, info, inverse=inverse, raw=raw, label=label, bar=bar)
        for block in iter_chunks(input_source(info, chunk_rows), chunk_rows):
            out = apply(block, start)
            start += block.shape[0]
            yield out


def bad_value(block: Any, first_row: int = 0) -> Optional[str]:
    """Where the first value of ``block`` that float32 cannot hold (inf, nan, or beyond its range) is, as "non-finite
    value inf at row R, column C" with R counted from ``first_row``; None when there is none. Runs only after a
    transform has refused the block, so the happy path pays nothing for it."""
    arr = np.asarray(block)
    if arr.ndim != 2 or arr.dtype.kind not in "fiu":
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        bad = ~np.isfinite(arr.astype(np.float32, copy=False))
    if not bad.any():
        return None
    row, col = (int(i) for i in np.argwhere(bad)[0])
    value = arr[row, col].item()
    if np.isfinite(value):
        return f"value {value!r} at row {first_row + row}, column {col} is out of float32 range"
    return f"non-finite value {value} at row {first_row + row}, column {col}"


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
