"""``vec2vec-fast align A B -o MODEL``: fit an Aligner on two embedding files and save it."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import time
import typing
from typing import Any, Callable, Dict, List

from ._common import (CommandError, Console, add_common, elapsed, file_size, load_input, open_input)

_TRUE = ("true", "1", "yes", "on")
# Longer help for the fields MiniParams has today; a new field is documented by its own comment (or metadata).
_HELP = {
    "anchor_runs": "anchor stage: independent k-means + QAP runs whose anchors are concatenated (s)",
    "anchor_clusters": "anchor stage: k-means clusters per side per run (c)",
    "anchor_subsample": "anchor stage: rows drawn per side per run",
    "kernel": "anchor stage: centroid kernel matched by the QAP, 'centred' (notebook) or 'cosine' (paper)",
    "qap_method": "anchor stage: QAP solver, '2opt' (notebook), 'faq+2opt' or 'faq'",
    "qap_restarts": "anchor stage: QAP restarts, the best kept",
    "neighbors": "pseudo-pairs: B rows averaged per pseudo-target (k)",
    "refine1_iterations": "Refine-1: iterations (T)",
    "refine1_sample": "Refine-1: A rows drawn per iteration (n_s; the paper says 10,000)",
    "refine1_neighbors": "Refine-1: B neighbours averaged per mapped row (k')",
    "smoothing": "Refine-1/2: W <- (1 - alpha) W + alpha W_new (alpha)",
    "refine2_clusters": "Refine-2: k-means clusters per side (c')",
    "reorthogonalize": "re-orthogonalise W after each smoothing step (the notebook does not)",
}
_FALSE = ("false", "0", "no", "off")


def _mini_fields() -> List[Any]:
    from ..mini import MiniParams

    return list(dataclasses.fields(MiniParams))


def _mini_types() -> Dict[str, type]:
    from ..mini import MiniParams

    hints = typing.get_type_hints(MiniParams)
    return {f.name: hints.get(f.name, str) for f in dataclasses.fields(MiniParams)}


def _field_docs() -> Dict[str, str]:
    """MiniParams' per-field comments (``name: int = 30  # what it is``), or field metadata["help"]."""
    from ..mini import MiniParams

    docs: Dict[str, str] = {}
    try:
        for line in inspect.getsource(MiniParams).splitlines():
            match = re.match(r"\s*(\w+)\s*:[^=]*=[^#]*#\s*(.+)$", line)
            if match:
                docs[match.group(1)] = match.group(2).strip()
    except (OSError, TypeError):  # no source shipped: options still work, with shorter help
        pass
    for f in dataclasses.fields(MiniParams):
        if "help" in f.metadata:
            docs[f.name] = str(f.metadata["help"])
    return docs


def _parse_bool(text: str, name: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, got {text!r}")


def _converter(kind: type, name: str) -> Callable[[str], Any]:
    """A string -> value converter from a field's type; the error names the option and the value."""
    def convert(text: str) -> Any:
        if kind is bool:
            return _parse_bool(text, name)
        try:
            if kind is int:
                return int(text.replace("_", ""))
            if kind is float:
                return float(text)
        except ValueError:
            raise ValueError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        return text

    return convert


def _argparse_type(kind: type, flag: str) -> Callable[[str], Any]:
    convert = _converter(kind, flag)

    def parse(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def _convert_param(method: str, key: str, text: str) -> Any:
    """--param KEY=VALUE for any method: typed by MiniParams for 'mini', by the GAN config schema for 'gan', else a
    JSON literal (1, 0.5, true, null, "x") or a plain string."""
    if method == "mini":
        types = _mini_types()
        if key in types:
            return _converter(types[key], key)(text)
    elif method == "gan":
        try:
            from ..configs import SCHEMA, parse_value
        except ImportError:  # pragma: no cover - configs ships with the package
            SCHEMA, parse_value = {}, None
        if key in SCHEMA:
            return parse_value(key, text)
        if key == "progress":
            return _parse_bool(text, key)
        if key == "device" and text.strip().lower() in ("none", "auto", ""):
            return None
        if key in ("config", "device"):
            return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "align", help="learn a map from space A to space B and save it as one model file",
        description="Learn a map from embedding space A to space B from two files of vectors and save it (one .npz "
                    "file: arrays plus JSON metadata). mini and gan need no pairs: A's and B's rows may be "
                    "different texts and counts. procrustes is the supervised baseline: row i of A and row i of B "
                    "must embed the same text. Inputs: .npy (memory-mapped, never loaded whole; large sides are "
                    "fitted on a seeded sample of --max-rows rows), .npz (loaded), .fvecs/.ivecs/.bvecs.")
    p.add_argument("a", metavar="A", help="vectors of space A: PATH (.npy/.fvecs/.ivecs/.bvecs) or PATH.npz[:KEY]")
    p.add_argument("b", metavar="B", help="vectors of space B, same forms")
    p.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write (.npz)")
    p.add_argument("--method", choices=("mini", "procrustes", "gan"), default="mini",
                   help="mini (default): mini-vec2vec (unpaired, linear); procrustes: paired baseline; gan: vec2vec "
                        "(unpaired, needs the gan extra)")
    p.add_argument("--seed", type=int, default=0, help="every random step derives from it (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace MODEL if it exists")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a method hyperparameter by name, typed like its field (repeatable); for --method gan any "
                        "key of vec2vec_fast.configs.SCHEMA, 'config' (a packaged name or a TOML path), 'device' "
                        "and 'progress'")
    add_common(p)
    group = p.add_argument_group("mini-vec2vec hyperparameters (--method mini; defaults: the reference notebook)")
    docs = _field_docs()
    types = _mini_types()
    for f in _mini_fields():
        flag = "--" + f.name.replace("_", "-")
        kind = types[f.name]
        default = f.default if f.default is not dataclasses.MISSING else None
        help_text = docs.get(f.name, "")
        if f.name in _HELP and "help" not in f.metadata:
            help_text = _HELP[f.name]
        help_text = (help_text or f.name.replace("_", " ")).replace("%", "%%")
        if kind is bool:
            group.add_argument(flag, dest=f"mini_{f.name}", action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=f"{help_text} (default: {default})")
        else:
            group.add_argument(flag, dest=f"mini_{f.name}", type=_argparse_type(kind, flag), default=argparse.SUPPRESS,
                               metavar=kind.__name__.upper(), help=f"{help_text} (default: {default})")
    p.set_defaults(func=run)
    return p


def collect_params(args: argparse.Namespace) -> Dict[str, Any]:
    """Hyperparameters given on the command line: typed options (mini) and --param KEY=VALUE."""
    params: Dict[str, Any] = {k[len("mini_"):]: v for k, v in vars(args).items() if k.startswith("mini_")}
    if params and args.method != "mini":
        flags = ", ".join("--" + k.replace("_", "-") for k in sorted(params))
        raise CommandError(f"{flags} only apply to --method mini (this is --method {args.method}); use --param")
    for item in args.param:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise CommandError(f"--param expects KEY=VALUE, got {item!r}")
        if key in params:
            raise CommandError(f"hyperparameter {key!r} is given twice")
        params[key] = _convert_param(args.method, key, value)
    return params


def run(args: argparse.Namespace) -> int:
    from ..aligner import Aligner
    from ..io import check_output_path

    console = Console(args.quiet)
    params = collect_params(args)
    # Everything that can be checked before a long fit is checked first: the output, the inputs, the parameters.
    check_output_path(args.output, args.overwrite)
    a_info, b_info = open_input(args.a, "A"), open_input(args.b, "B")
    if args.method == "procrustes" and a_info.shape[0] != b_info.shape[0]:
        raise CommandError(f"--method procrustes needs paired rows: A has {a_info.shape[0]} rows, "
                           f"B has {b_info.shape[0]}")
    if args.method == "gan" and "progress" not in params:  # the GAN trainer draws its own per-epoch bar
        params["progress"] = not args.quiet and sys.stderr.isatty()
    aligner = Aligner(args.method, seed=args.seed, n_threads=args.threads, **params)
    a, b = load_input(a_info), load_input(b_info)
    console.status(f"A: {a_info.path} {a_info.shape[0]} x {a_info.shape[1]} {a_info.dtype}; "
                   f"B: {b_info.path} {b_info.shape[0]} x {b_info.shape[1]} {b_info.dtype}")
    start = time.perf_counter()
    if params.get("progress"):
        aligner.fit(a, b)
    else:
        with console.timer(f"fitting {args.method}"):
            aligner.fit(a, b)
    took = elapsed(start)
    path = aligner.save(args.output, overwrite=args.overwrite)
    seconds = aligner.report_.get("seconds", {}) if isinstance(aligner.report_, dict) else {}
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items() if isinstance(v, (int, float)) and k != "total")
    console.status(f"fitted {args.method} in {took}" + (f" ({stages})" if stages else ""))
    console.status(f"wrote {path} ({file_size(path)})")
    return 0
