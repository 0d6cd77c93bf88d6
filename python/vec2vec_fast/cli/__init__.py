"""The ``vec2vec-fast`` command: align, transform, evaluate, info (and train, with the gan extra).

Each subcommand lives in its own module with ``register(subparsers)``, which adds its parser and sets
``func=run``; ``run(args) -> int`` returns the exit status. Errors a user can fix (a missing file, wrong dimensions,
an existing output, a bad model file, a missing optional dependency) print one line, ``vec2vec-fast: error: ...``,
and return a non-zero status; tracebacks are reserved for bugs (or ``--debug``).
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import sys
from typing import Any, List, Optional, Sequence

from . import align, evaluate, info, transform
from ._common import CommandError

PROG = "vec2vec-fast"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_MISSING_EXTRA, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 3, 130, 141
EXIT_ALIGNMENT_FAILED = align.EXIT_ALIGNMENT_FAILED

EPILOG = f"""\
exit status:
  {EXIT_OK}    success
  {EXIT_ERROR}    an error in the data, a file or a model: missing or unreadable file, wrong dimensions, an output
       that exists (without --overwrite), a corrupt or foreign model file, a bad hyperparameter value
  {EXIT_USAGE}    a command-line usage error (unknown option, missing argument)
  {EXIT_MISSING_EXTRA}    an optional dependency is missing (train/--method gan need the gan extra: torch; Parquet
       files the parquet extra: pyarrow; faiss indexes the faiss extra: faiss-cpu)
  {EXIT_ALIGNMENT_FAILED}    align: the map's label-free confidence says the fit failed (the model is not written;
       --allow-failed writes it and exits 0)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
  {EXIT_BROKEN_PIPE}  the output pipe closed early (e.g. `| head`)

inputs: .npy (memory-mapped), .npz (PATH.npz:KEY names an array; loaded into memory), .fvecs/.ivecs/.bvecs
(int32 dimension + values per row, as in the SIFT/GIST benchmark sets), PATH.parquet:COLUMN (a list column of
floats, or PATH.parquet:PREFIX* for one float column per dimension; read in batches), and for transform a flat
faiss index (INDEX.faiss -o OUT.faiss). Outputs are written to a temporary file
that replaces the destination only when complete, and never replace an existing file without --overwrite.

example:
  {PROG} align a_train.npy b_train.npy -o a_to_b.npz --seed 0
  {PROG} info a_to_b.npz
  {PROG} transform a_to_b.npz a_all.npy -o a_in_b.npy
  {PROG} evaluate a_to_b.npz a_eval.npy b_eval.npy --json
"""

_EXPECTED = (ValueError, TypeError, OSError, CommandError, ImportError, NotImplementedError, MemoryError)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error returns through main instead of exiting the interpreter, options are never
    abbreviated (``--anchor-run`` is an error, not ``--anchor-runs``), and every parser (each subcommand's too)
    takes ``--debug``, so it works before or after the command name."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        # Each subcommand's default is SUPPRESS: a subparser's default would otherwise overwrite a top-level
        # `--debug` in the namespace. main() decides on tracebacks from the raw arguments anyway.
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show the Python traceback of an error")

    def unrecognized(self, extra: Sequence[str]) -> None:
        """The usage error for arguments this parser does not know, with the closest option when one is close."""
        message = f"unrecognized arguments: {' '.join(extra)}"
        options = [s for action in self._actions for s in action.option_strings if s.startswith("--")]
        for arg in extra:
            if arg.startswith("--"):
                close = difflib.get_close_matches(arg.split("=", 1)[0], options, n=1)
                if close:
                    message += f" (did you mean {close[0]}?)"
                    break
        self.error(message)

    def exit(self, status: int = 0, message: Optional[str] = None) -> None:  # type: ignore[override]
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _missing_train(reason: str):
    def run(args: argparse.Namespace) -> int:
        raise ImportError(f"the train command needs the gan extra (PyTorch): pip install 'vec2vec_fast[gan]' "
                          f"({reason})")

    return run


def _register_train(subparsers: Any) -> None:
    """The GAN trainer's command, from vec2vec_fast.cli.train when it imports; else a stand-in that explains."""
    try:
        from . import train  # type: ignore[attr-defined]
    except ImportError as err:
        reason = (f"this installation has no {__name__}.train" if importlib.util.find_spec(f"{__name__}.train") is None
                  else f"import failed: {err}")
        p = subparsers.add_parser("train", help="train a vec2vec GAN (needs the gan extra: pip install "
                                                "'vec2vec_fast[gan]')",
                                  description=f"Train a vec2vec GAN. Not available here: it needs the gan extra "
                                              f"(PyTorch), pip install 'vec2vec_fast[gan]' ({reason}).")
        p.set_defaults(func=_missing_train(reason), accepts_extra=True)
        return
    train.register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = _Parser(prog=PROG, description="Translate embeddings between embedding models: fit a map from one "
                                            "space to another without paired data, apply it to files of any size, "
                                            "and measure it.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in (align, transform, evaluate, info):
        module.register(subparsers)
    _register_train(subparsers)
    return parser


def _command_parser(parser: argparse.ArgumentParser, command: Optional[str], args: Sequence[str],
                    extra: Sequence[str]) -> argparse.ArgumentParser:
    """The parser whose usage an error about ``extra`` should show: the subcommand's when they follow its name."""
    if command not in args or extra[0] not in args or args.index(extra[0]) < args.index(command):
        return parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def _wants_debug(args: Sequence[str]) -> bool:
    """``--debug`` anywhere among the options (not after a ``--`` that ends them)."""
    end = args.index("--") if "--" in args else len(args)
    return "--debug" in args[:end]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status (see ``vec2vec-fast --help``)."""
    args_list: List[str] = list(sys.argv[1:] if argv is None else argv)
    debug = _wants_debug(args_list)
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(args_list)
        if extra and not getattr(args, "accepts_extra", False):
            _command_parser(parser, args.command, args_list, extra).unrecognized(extra)  # type: ignore[attr-defined]
        return int(args.func(args))
    except _Exit as stop:
        return stop.status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as a SIGPIPE'd tool would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except _EXPECTED as err:
        if debug:
            raise
        status = EXIT_MISSING_EXTRA if isinstance(err, ImportError) else EXIT_ERROR
        print(f"{PROG}: error: {_one_line(err)}", file=sys.stderr)
        return status


def _one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    if isinstance(err, OSError) and err.strerror and err.filename:  # "[Errno 13] ..." -> "PATH: Permission denied"
        text = f"{err.filename}: {err.strerror}"
    if isinstance(err, MemoryError):
        text = f"out of memory{': ' + str(err) if str(err) else ''}; try a smaller --chunk-rows or --max-rows"
    return " ".join(text.split())


__all__ = ["build_parser", "main"]
