"""``vec2vec-fast train CONFIG --data-a A --data-b B [--KEY VALUE ...]``: train a vec2vec GAN.

CONFIG is a packaged config (unsupervised, unsup_new, small, fmri_avg) or a TOML file. Every config key is also an
option of this command (``--lr 1e-4``, ``--disc_lr 2e-5`` or ``--disc-lr 2e-5``, ``--init mini``): argparse
declares one option per key of :data:`vec2vec_fast.configs.SCHEMA`, so ``--help`` lists them all and a misspelt key
is a usage error that names it. Values are parsed by the key's type (``--detach_cycle false`` is False), and a
wrong value is a one-line error naming the key.

Output folder (``--out``, default ``vec2vec_runs/<config>-<time>``): refused when it already holds files, unless
``--overwrite``. As training goes it holds the best checkpoint so far (model.pt, disc.pt, config.toml,
summary.json; see :mod:`vec2vec_fast.gan.checkpoint`) and metrics.jsonl; at the end also ``model.v2v.npz``, the
best translator as an Aligner model file for ``vec2vec-fast transform`` / ``evaluate``.

Exit status: 0 done; 1 a bad input, config value or existing output (one line on stderr), or training diverged
(NaN; the best checkpoint before it stays in the folder); 2 a usage error; 3 torch is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

from ..configs import NAMES, SCHEMA


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="train a vec2vec GAN (torch) on unpaired embeddings of two spaces",
        description="Train a vec2vec GAN translator between space A (--data-a) and space B (--data-b). Rows are "
                    "unpaired unless --paired (then row i of A and B embed the same text; the rows are split as "
                    "the original does: held-out paired validation, disjoint training halves). Every config key "
                    "is an option below.",
        allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  vec2vec-fast train unsupervised --data-a a.npy --data-b b.npy --out run1 --epochs 20 "
               "--init mini\n\nsee vec2vec_fast/configs/unsupervised.toml for the defaults")
    p.add_argument("config", metavar="CONFIG", help=f"a packaged config ({', '.join(NAMES)}) or a TOML file")
    p.add_argument("--data-a", required=True, metavar="FILE", help="space A rows (.npy, .npz[:KEY], .fvecs)")
    p.add_argument("--data-b", required=True, metavar="FILE", help="space B rows")
    p.add_argument("--val-a", metavar="FILE", help="paired validation rows of A (with --val-b): top-1, rank, cos")
    p.add_argument("--val-b", metavar="FILE", help="paired validation rows of B, row i = the text of --val-a row i")
    p.add_argument("--paired", action="store_true",
                   help="A and B rows are paired: hold out val_size pairs, train on disjoint halves")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default vec2vec_runs/CONFIG-TIME)")
    p.add_argument("--overwrite", action="store_true", help="allow an output folder that already holds files")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when present, else CPU)")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="threads of the mini-vec2vec warm start")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or metric lines")
    keys = p.add_argument_group("config keys (override CONFIG)")
    for key in SCHEMA.values():
        flags = [f"--{key.name}"] + ([f"--{key.name.replace('_', '-')}"] if "_" in key.name else [])
        choices = f" {{{', '.join(map(str, key.choices))}}}" if key.choices else ""
        keys.add_argument(*flags, dest=f"key_{key.name}", default=None, metavar=key.type.__name__.upper(),
                          help=f"[{key.section}] {key.doc}{choices} (default {key.default!r})")
    p.set_defaults(func=run)
    return p


def _overrides(args: argparse.Namespace) -> Dict[str, str]:
    return {name: getattr(args, f"key_{name}") for name in SCHEMA if getattr(args, f"key_{name}", None) is not None}


def _load(text: str, label: str) -> Any:
    from ._common import load_input, open_input

    return load_input(open_input(text, label))


def run(args: argparse.Namespace) -> int:
    """Check everything cheap first (config, output folder, inputs), then train."""
    from ..configs import load_config

    cfg = load_config(args.config, _overrides(args), strings=True)
    if (args.val_a is None) != (args.val_b is None):
        raise ValueError("--val-a and --val-b go together")
    if args.paired and args.val_a is not None:
        raise ValueError("give either --paired or --val-a/--val-b, not both")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else Path("vec2vec_runs") / f"{Path(str(args.config)).stem}-{stamp}"
    from ..gan.checkpoint import check_out_dir

    check_out_dir(out, overwrite=args.overwrite, hint="choose another --out or pass --overwrite")
    a, b = _load(args.data_a, "--data-a"), _load(args.data_b, "--data-b")
    val_a = _load(args.val_a, "--val-a") if args.val_a else None
    val_b = _load(args.val_b, "--val-b") if args.val_b else None
    from ..gan import GanDivergedError, train_gan
    from ._common import Heartbeat, stderr_is_terminal

    quiet = args.quiet
    progress = not quiet and stderr_is_terminal()
    lines: List[str] = []
    # Without a terminal there is no progress bar: a status line on stderr whenever no line came for a while.
    heartbeat = Heartbeat(lambda seconds: f"training: {seconds:.0f} s elapsed" + (f" (last: {lines[-1][:80]})"
                                                                                  if lines else ""))

    def log(line: str) -> None:
        lines.append(line)
        if quiet:
            return
        heartbeat.touch()
        if progress:
            from tqdm.auto import tqdm

            tqdm.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    if not quiet:
        print(f"training {cfg.source} on A {args.data_a} {tuple(a.shape)} and B {args.data_b} {tuple(b.shape)}; "
              f"output {out}", flush=True)
    try:
        with heartbeat if not quiet and not progress else contextlib.nullcontext():
            result = train_gan(a, b, cfg, paired=args.paired, val_a=val_a, val_b=val_b, device=args.device,
                               n_threads=args.threads, out_dir=out, overwrite=True, progress=progress, log=log)
    except GanDivergedError as err:
        print(f"vec2vec-fast: error: training diverged: {' '.join(str(err).split())}; the best checkpoint before "
              f"it (if any) is in {out}", file=sys.stderr)
        return 1
    _write_aligner(result, a, b, out / "model.v2v.npz")
    if not quiet:
        best = result.best
        print(f"best: seed {best['seed']} epoch {best['epoch']} score {best['score']:.4g}; wrote {out}/model.pt, "
              f"disc.pt, config.toml, summary.json, metrics.jsonl, model.v2v.npz", flush=True)
    return 0


def _write_aligner(result: Any, a: Any, b: Any, path: Path) -> None:
    """The best translator as an Aligner model file (the format of ``vec2vec-fast align --method gan``)."""
    from ..aligner import Aligner
    from ..methods.base import FitResult
    from ..methods.gan import gan_map, gan_report

    fitted = FitResult(gan_map(result, a, b), int(result.config.seed), gan_report(result))
    Aligner.from_map("gan", fitted, config=str(result.config.source)).save(path, overwrite=True)
