"""``vec2vec-fast align A B -o MODEL``: fit an Aligner on two embedding files and save it."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any, Dict, List

from .. import methods
from ..errors import AlignmentFailedWarning, AlignmentUncertainWarning
from ._common import CommandError, Console, add_common, elapsed, file_size, load_input, open_input

_DEST = "param_"  # argparse dest prefix of the hyperparameter options
EXIT_ALIGNMENT_FAILED = 4  # the fit's confidence says it failed (see --allow-failed)


def _option_owners() -> Dict[str, List[str]]:
    """Each hyperparameter name -> the registered methods that have it, in registry order."""
    owners: Dict[str, List[str]] = {}
    for name in methods.names():
        for key in methods.get(name).schema:
            owners.setdefault(key, []).append(name)
    return owners


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "align", help="learn a map from space A to space B and save it as one model file",
        # The generated usage would list every hyperparameter of every method: --help lists them below, grouped.
        usage="%(prog)s A B -o MODEL [--method METHOD] [--seed N] [--threads N] [--overwrite] [--allow-failed] "
              "[-q] [--param KEY=VALUE] [--HYPERPARAMETER VALUE ...]",
        description="Learn a map from embedding space A to space B from two files of vectors and save it (one .npz "
                    "file: arrays plus JSON metadata). mini-ot (the default), mini and gan need no pairs: A's and "
                    "B's rows may be different texts and counts. mini-ot also scores its map on rows held out of "
                    "the fit, without labels, and exits with status 4 (no model written) when the score says the "
                    "fit failed. procrustes is the supervised baseline: row i of A and row i of B must embed the "
                    "same text. Inputs: .npy (memory-mapped, never loaded whole; large sides are fitted on a seeded "
                    "sample of --max-rows rows), .npz (loaded), .fvecs/.ivecs/.bvecs, .parquet columns.")
    p.add_argument("a", metavar="A", help="vectors of space A: PATH (.npy/.fvecs/.ivecs/.bvecs), PATH.npz[:KEY] or "
                                          "PATH.parquet:COLUMN (or :PREFIX* for one float column per dimension)")
    p.add_argument("b", metavar="B", help="vectors of space B, same forms")
    p.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write (.npz)")
    p.add_argument("--method", choices=methods.names(), default=methods.DEFAULT,
                   help="; ".join(f"{m}: {methods.get(m).summary}" for m in methods.names())
                   + f" (default {methods.DEFAULT})")
    p.add_argument("--seed", type=int, default=0, help="every random step derives from it (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace MODEL if it exists")
    p.add_argument("--allow-failed", action="store_true",
                   help="write MODEL and exit 0 even when the fit's confidence says it failed (by default such a "
                        "map is not written and the exit status is 4)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a method hyperparameter by name (repeatable), typed by the method's schema: the same as "
                        "the option --KEY VALUE")
    add_common(p)
    # One option per hyperparameter of every registered method, from the methods' schemas; a name two methods
    # share is one option, listed under the first.
    owners = _option_owners()
    groups: Dict[tuple, List[str]] = {}  # the methods that share the keys -> the keys, in registry order
    for name in methods.names():
        for key in methods.get(name).schema:
            if owners[key][0] == name:
                groups.setdefault(tuple(owners[key]), []).append(key)
    for owned_by, keys in groups.items():
        schema = methods.get(owned_by[0]).schema
        title = ", ".join(f"--method {m}" for m in owned_by)
        group = p.add_argument_group(f"hyperparameters of {title}")
        type(schema)([schema[key] for key in keys]).add_arguments(group, dest_prefix=_DEST)
    p.set_defaults(func=run)
    return p


def collect_params(args: argparse.Namespace) -> Dict[str, Any]:
    """Hyperparameters given on the command line: typed options and --param KEY=VALUE, checked against the chosen
    method's schema (an option of another method is an error naming it)."""
    schema = methods.get(args.method).schema
    given = {k[len(_DEST):]: v for k, v in vars(args).items() if k.startswith(_DEST)}
    foreign = sorted(k for k in given if k not in schema)
    if foreign:
        flags = ", ".join("--" + k.replace("_", "-") for k in foreign)
        raise CommandError(f"{flags} do{'es' if len(foreign) == 1 else ''} not apply to --method {args.method}")
    params = {k: schema[k].check(v, "--" + k.replace("_", "-")) for k, v in given.items()}
    for item in args.param:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise CommandError(f"--param expects KEY=VALUE, got {item!r}")
        if key in params:
            raise CommandError(f"hyperparameter {key!r} is given twice")
        if key not in schema:
            raise schema.unknown(key, f" for method {args.method!r}")
        params[key] = schema.parse(key, value)
    return params


def run(args: argparse.Namespace) -> int:
    from ..aligner import Aligner
    from ..io import check_output_path

    console = Console(args.quiet)
    params = collect_params(args)
    # Everything that can be checked before a long fit is checked first: the output, the inputs, the parameters.
    check_output_path(args.output, args.overwrite)
    a_info, b_info = open_input(args.a, "A"), open_input(args.b, "B")
    if methods.get(args.method).paired and a_info.shape[0] != b_info.shape[0]:
        raise CommandError(f"--method {args.method} needs paired rows: A has {a_info.shape[0]} rows, "
                           f"B has {b_info.shape[0]}")
    # A method that draws its own progress bar draws it on a terminal, unless told otherwise; elsewhere the parameter
    # is left out, so that the model records only what the user gave.
    if "progress" in methods.get(args.method).schema and "progress" not in params and not args.quiet \
            and sys.stderr.isatty():
        params["progress"] = True
    aligner = Aligner(args.method, seed=args.seed, n_threads=args.threads, **params)
    a, b = load_input(a_info), load_input(b_info)
    console.status(f"A: {a_info.path} {a_info.shape[0]} x {a_info.shape[1]} {a_info.dtype}; "
                   f"B: {b_info.path} {b_info.shape[0]} x {b_info.shape[1]} {b_info.dtype}")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AlignmentFailedWarning)
        warnings.simplefilter("always", AlignmentUncertainWarning)
        if params.get("progress"):
            aligner.fit(a, b)
        else:
            with console.timer(f"fitting {args.method}"):
                aligner.fit(a, b)
    failed = [w for w in caught if issubclass(w.category, AlignmentFailedWarning)]
    uncertain = [w for w in caught if issubclass(w.category, AlignmentUncertainWarning)]
    for w in caught:  # anything else the fit warned about goes out as usual
        if w not in failed and w not in uncertain:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    took = elapsed(start)
    report = aligner.report_ if isinstance(aligner.report_, dict) else {}
    seconds = report.get("seconds", {})
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items() if isinstance(v, (int, float)) and k != "total")
    console.status(f"fitted {args.method} in {took}" + (f" ({stages})" if stages else "") + confidence_note(report))
    for w in uncertain:
        print(f"vec2vec-fast: warning: {w.message}", file=sys.stderr)
    if failed:
        kept = "written anyway (--allow-failed)" if args.allow_failed else "not written (--allow-failed writes it)"
        print(f"vec2vec-fast: alignment failed: {failed[0].message}. {args.output} {kept}", file=sys.stderr)
        if not args.allow_failed:
            return EXIT_ALIGNMENT_FAILED
    path = aligner.save(args.output, overwrite=args.overwrite)
    console.status(f"wrote {path} ({file_size(path)})")
    return 0


def confidence_note(report: Dict[str, Any]) -> str:
    """'; confidence 0.0683 (ok)' for a method that scores its fit, else ''."""
    confidence = report.get("confidence")
    if not isinstance(confidence, dict) or "status" not in confidence:
        return ""
    score = confidence.get("score")
    shown = f" {score:.4f}" if isinstance(score, float) else ""
    return f"; confidence{shown} ({confidence['status']})" + candidates_note(report) + chain_note(report)


def chain_note(report: Dict[str, Any]) -> str:
    """'; polished again 3 times' when the polish chain kept a polish (it explains minutes and a map that moved),
    else ''."""
    polish = report.get("polish")
    chain = polish.get("chain") if isinstance(polish, dict) else None
    kept = chain.get("kept") if isinstance(chain, dict) else None
    if not isinstance(kept, int) or kept < 1:
        return ""
    return f"; polished again {kept} time{'s' if kept > 1 else ''}"


def candidates_note(report: Dict[str, Any]) -> str:
    """'; 6 candidates (the first two agreed at 0.84: explored), kept mini seed 7' when a fit added candidates (they
    explain why it took minutes), what the polish rescue did when it kept a map, else ''."""
    candidates = report.get("candidates")
    rescue = report.get("polish_rescue")
    if isinstance(candidates, list) and isinstance(rescue, dict) and rescue.get("found") is True \
            and isinstance(rescue.get("agreement"), float):
        return (f"; {len(candidates)} candidates found different maps; rescued: two of their polishes, refined by "
                f"stochastic rounds, met at {rescue['agreement']:.2f}")
    first = (report.get("params") or {}).get("candidates", 2)  # the fit's own setting, not an assumed 2
    if not isinstance(candidates, list) or not isinstance(first, int) or len(candidates) <= first:
        return ""
    exploration = report.get("exploration")
    if isinstance(exploration, dict) and isinstance(exploration.get("agreement"), float):
        why = f"the first two agreed at {exploration['agreement']:.2f}: explored"
    else:
        why = "the first ones found different maps"
    seed = report.get("chosen_mini_seed")
    if not isinstance(seed, int):
        return f"; {len(candidates)} candidates ({why})"
    if report.get("chosen_reverse") is True:
        return f"; {len(candidates)} candidates ({why}), kept mini seed {seed} fitted B -> A"
    if report.get("chosen_stochastic") is True:
        return f"; {len(candidates)} candidates ({why}), kept mini seed {seed} refined by stochastic rounds"
    # An extra seed is fitted at two anchor-cluster counts: say which one was kept.
    clusters = report.get("anchor_clusters")
    shared = sum(isinstance(c, dict) and c.get("seed") == seed and not c.get("reverse") and not c.get("stochastic")
                 for c in candidates) > 1
    at = f" at {clusters} anchor clusters" if shared and isinstance(clusters, int) else ""
    return f"; {len(candidates)} candidates ({why}), kept mini seed {seed}{at}"
