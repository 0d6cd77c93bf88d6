"""Run every benchmark, then write the report: JSON records, a markdown summary table and PNG plots.

    python benchmarks/run_all.py --quick                 # CI smoke: tiny sizes, a few minutes on 2 cores
    python benchmarks/run_all.py --pairs DIR             # the full report (DIR: real paired a.npy / b.npy)
    python benchmarks/run_all.py --report-only           # rebuild the summary and plots from existing records

Each benchmark runs as its own process (so one's threads and memory cannot disturb the next), with its own command
line: the JSON records go to benchmarks/results/ (``*_quick.json`` with --quick), the summary to summary.md and the
plots to time_vs_size.png and stages.png (``summary_quick.md``, ``*_quick.png``). Benchmarks that need something
absent are skipped and said so: bench_gan.py when the file or torch is missing, the real-pairs runs without pairs.
The run fails (status 1) if any benchmark that ran failed, after the report of the others is written.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import report
from common import pair_files

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
# Where real pairs usually are: the README's `make_pairs.py --out pairs`, or the shared data folder.
PAIRS_CANDIDATES = (HERE.parent / "pairs", HERE.parent.parent / "shared" / "data")


@dataclass
class Job:
    name: str                      # the record's file stem (without _quick)
    script: str
    args: List[str]
    quick: Optional[List[str]]     # arguments in --quick mode; None: not run in --quick mode
    full: bool = True              # run in the full mode
    needs_pairs: bool = False
    needs_torch: bool = False
    takes_out: bool = True         # accepts --out; if not, it writes `fixed_outputs` into results/ itself
    fixed_outputs: List[str] = field(default_factory=list)


def jobs(args: argparse.Namespace) -> List[Job]:
    pairs = [] if args.pairs is None else ["--pairs", str(args.pairs)]
    return [
        Job("kmeans", "bench_kmeans.py", [], ["--quick"]),
        Job("kmeans_anchor", "bench_kmeans.py", ["--n", "10000", "--k", "20"], None),
        Job("kmeans_defaults", "bench_kmeans.py", ["--mode", "defaults"], ["--mode", "defaults", "--quick"]),
        Job("kmeans_defaults_anchor", "bench_kmeans.py", ["--mode", "defaults", "--n", "10000", "--k", "20"], None),
        Job("knn", "bench_knn.py", [], ["--quick"]),
        Job("knn_n10000", "bench_knn.py", ["--n", "10000"], None),
        Job("qap_speed", "bench_qap.py", [], ["--quick"], takes_out=False,
            fixed_outputs=["qap_speed_2opt", "qap_speed_faq"]),
        Job("qap_recovery", "bench_qap.py", [*pairs, "--trials", "20"], None, needs_pairs=True),
        Job("procrustes", "bench_procrustes.py", [], ["--quick"], full=False),
        *[Job(f"procrustes_d{d}", "bench_procrustes.py", ["--d", str(d)], None) for d in (384, 768, 1024)],
        Job("end_to_end", "bench_end_to_end.py", pairs, ["--quick"], needs_pairs=True),
        Job("gan", "bench_gan.py", pairs, ["--quick"], needs_torch=True),
        Job("large", "bench_large.py", ["--n", str(args.large_n)], ["--quick"]),
        Job("large_pairs", "bench_large.py", [*pairs, "--eval", "8192"], None, needs_pairs=True),
        Job("migration", "bench_migration.py", [], ["--quick"]),  # the real pairs of ../shared/data, if there
    ]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat each: a smoke run for CI")
    p.add_argument("--pairs", type=Path, default=None,
                   help="real paired a.npy / b.npy for the end-to-end, QAP-recovery and large-pairs runs (default: "
                        "pairs/ or ../shared/data when one holds a.npy or A.npy; --quick uses the committed fixture)")
    p.add_argument("--large-n", type=int, default=1_000_000, help="rows per side of the synthetic large run")
    p.add_argument("--only", nargs="*", default=None, metavar="NAME", help="run only these benchmarks (names above)")
    p.add_argument("--skip", nargs="*", default=[], metavar="NAME", help="benchmarks to leave out")
    p.add_argument("--report-only", action="store_true", help="run nothing; rebuild the report from the records")
    p.add_argument("--out-dir", type=Path, default=RESULTS_DIR, help="folder for records and report (default: "
                                                                     "benchmarks/results)")
    args = p.parse_args()
    if args.pairs is None and not args.quick:
        args.pairs = next((p for p in PAIRS_CANDIDATES if pair_files(p)), None)
    return args


def _skip_reason(job: Job, args: argparse.Namespace) -> Optional[str]:
    if not (HERE / job.script).exists():
        return f"{job.script} does not exist"
    if job.needs_torch and importlib.util.find_spec("torch") is None:
        return "torch is not installed (the gan extra)"
    if job.needs_pairs and not args.quick and args.pairs is None:
        return "needs --pairs DIR (real paired a.npy / b.npy)"
    return None


def run_job(job: Job, args: argparse.Namespace, suffix: str) -> tuple:
    """Run one benchmark; returns (status, seconds, records written)."""
    argv = list(job.quick if args.quick else job.args)
    outputs = [args.out_dir / f"{job.name}{suffix}.json"] if job.takes_out else []
    if job.takes_out:
        argv += ["--out", str(outputs[0])]
    cmd = [sys.executable, str(HERE / job.script), *argv]
    print(f"\n=== {job.name}: {' '.join(cmd[1:])}", flush=True)
    start = time.perf_counter()
    status = subprocess.call(cmd, cwd=HERE)
    seconds = time.perf_counter() - start
    for stem in job.fixed_outputs:  # written into results/ by the script itself
        produced = RESULTS_DIR / f"{stem}{suffix}.json"
        if produced.exists() and produced.stat().st_mtime >= time.time() - seconds - 1:
            target = args.out_dir / produced.name
            if target != produced:
                shutil.move(str(produced), target)
            outputs.append(target)
    return status, seconds, [p for p in outputs if p.exists()]


def main() -> int:
    args = parse_args()
    suffix = "_quick" if args.quick else ""
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        report.build(args.out_dir, quick=args.quick)
        return 0
    started = time.perf_counter()
    produced: List[Path] = []
    summary = []
    for job in jobs(args):
        if (args.quick and job.quick is None) or (not args.quick and not job.full):
            continue
        if (args.only is not None and job.name not in args.only) or job.name in args.skip:
            continue
        reason = _skip_reason(job, args)
        if reason:
            print(f"\n=== {job.name}: skipped, {reason}", flush=True)
            summary.append((job.name, "skipped", 0.0, reason))
            continue
        status, seconds, outputs = run_job(job, args, suffix)
        produced += outputs
        summary.append((job.name, "ok" if status == 0 else f"FAILED ({status})", seconds,
                        ", ".join(p.name for p in outputs)))
    print("\n=== report", flush=True)
    if args.quick or args.only is not None:
        report.build(args.out_dir, files=produced, quick=args.quick)
    else:  # the full report also keeps records of benchmarks not rerun this time
        report.build(args.out_dir, quick=False)
    print(f"\n{'benchmark':<24}{'status':<14}{'seconds':>9}  records")
    for name, status, seconds, note in summary:
        print(f"{name:<24}{status:<14}{seconds:>9.1f}  {note}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 1 if any(s.startswith("FAILED") for _, s, _, _ in summary) else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
