"""``vec2vec-fast info MODEL``: what a model file holds."""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any, Iterator, Tuple

from ..model_file import read_metadata
from ._common import file_size, load_model

_SKIP_REPORT = ("params", "seconds", "history")  # shown elsewhere (params) or too long for the text view (history)


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "info", help="method, dims, hyperparameters, diagnostics and version of a model file",
        description="Check a model file (as Aligner.load does) and print what it holds: method, dimensions, the "
                    "hyperparameters given at fit time and all those in effect, the seed, per-stage seconds, the "
                    "label-free diagnostics of the fit, and the library version that wrote it.")
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("--json", action="store_true", help="print the file's full metadata as JSON")
    p.set_defaults(func=run)
    return p


def _flatten(value: Any, prefix: str = "") -> Iterator[Tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _describe(value: Any) -> str:
    """One line for a diagnostic: numbers rounded, number lists summarised."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                 for v in value):
        if len(value) <= 4:
            return "[" + ", ".join(_describe(v) for v in value) + "]"
        return (f"{len(value)} values: first {value[0]:.4g}, last {value[-1]:.4g}, min {min(value):.4g}, "
                f"median {statistics.median(value):.4g}, max {max(value):.4g}")
    text = json.dumps(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _describe_map(fitted: Any) -> str:
    """One line about the fitted map's arrays, whatever the method: their shapes and sizes."""
    arrays = fitted.arrays()
    total = sum(a.nbytes for a in arrays.values())
    shapes = ", ".join(f"{k} {' x '.join(map(str, a.shape))}" for k, a in list(arrays.items())[:3])
    more = f", ... ({len(arrays)} arrays)" if len(arrays) > 3 else ""
    return f"{type(fitted).__name__}: {shapes}{more}; {total / 2**20:.1f} MB"


def run(args: argparse.Namespace) -> int:
    from .. import __version__

    aligner = load_model(args.model)
    path = Path(args.model)
    meta = read_metadata(path)
    if args.json:
        print(json.dumps(meta, indent=2))
        return 0
    report = meta.get("report") if isinstance(meta.get("report"), dict) else {}
    lines = [
        f"file             {path} ({file_size(path)})",
        f"method           {meta['method']}",
        f"dims             {meta['d_a']} -> {meta['d_b']}",
        f"seed             {meta['seed']}",
        f"written by       vec2vec_fast {meta.get('library_version')} (file format {meta.get('format_version')}); "
        f"this is {__version__}",
        f"typical norms    A {meta['scale_a']:.4g}, B {meta['scale_b']:.4g}",
        f"given params     {json.dumps(meta['params']) if meta['params'] else '(none: all defaults)'}",
    ]
    effective = report.get("params")
    if isinstance(effective, dict):
        lines.append("params in effect " + ", ".join(f"{k}={v}" for k, v in effective.items()))
    lines.append(f"map              {_describe_map(aligner.map_)}")
    confidence = report.get("confidence")
    if isinstance(confidence, dict) and "status" in confidence:
        score = confidence.get("score")
        rows = confidence.get("rows")
        lines.append(f"confidence       {confidence['status']}"
                     + (f": {score:.4f}" if isinstance(score, float) else "")
                     + (f" on {rows[0]} / {rows[1]} held-out rows" if isinstance(rows, list) and len(rows) == 2
                        else "")
                     + f" (ok >= {confidence.get('ok_at_least')}, failed below {confidence.get('failed_below')})")
        if isinstance(confidence.get("why"), str):  # e.g. why an ok score is not enough, or what rescued the fit
            lines.append(f"confidence why   {confidence['why']}")
    seconds = report.get("seconds")
    if isinstance(seconds, dict) and seconds:
        lines.append("seconds          " + ", ".join(f"{k} {_describe(v)}" for k, v in seconds.items()))
    diagnostics = [(k, v) for k, v in _flatten({k: v for k, v in report.items() if k not in _SKIP_REPORT})]
    if diagnostics:
        lines.append("diagnostics")
        lines.extend(f"  {k:<30} {_describe(v)}" for k, v in diagnostics)
    print("\n".join(lines))
    return 0
