"""Large jobs through the command line: `vec2vec-fast align` on memory-mapped .npy files, then a streamed
`transform` of the whole A side and `evaluate` on held-out pairs, each in a child process whose wall time and peak
memory are measured.

    python benchmarks/bench_large.py                          # 1,000,000 x 768 float32 per side (~3 GB each)
    python benchmarks/bench_large.py --n 50000 --data /tmp/v2v_large   # smaller; keep the data for reruns
    python benchmarks/bench_large.py --pairs DIR              # real paired a.npy / b.npy instead of synthetic data
    python benchmarks/bench_large.py --quick                  # CI smoke: n=4000, d=64

Synthetic data: a shared latent space of clustered points (uneven cluster sizes, decaying spectrum), embedded in
space A and in space B by two different random orthonormal maps (B is a rotation of A's latent geometry), plus
ambient noise and a per-side offset. A's and B's training rows are drawn independently (unpaired); the eval rows are
the same latent points embedded on both sides (paired). Files are generated in chunks, so generation itself stays
at a few hundred MB whatever --n, and are reused when --data names a folder that already holds them.

Memory is measured on the child process: peak resident set (VmHWM, equal to getrusage's ru_maxrss) and the peak of
its anonymous part (RssAnon: the process's own allocations) versus file-backed pages (RssFile: the parts of the
memory-mapped inputs it touched, which the kernel can drop at any time), sampled every 0.1 s from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

import vec2vec_fast as v2v
from common import RESULTS_DIR, machine, pair_files, versions
from vec2vec_fast.io import VectorWriter, open_vectors, save_vectors

GENERATOR_VERSION = 1
CHUNK = 32_768  # rows generated at a time


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000, help="training rows per side (synthetic data)")
    p.add_argument("--d", type=int, default=768, help="dimension of space A (synthetic data)")
    p.add_argument("--d-b", type=int, default=None, help="dimension of space B (default: --d)")
    p.add_argument("--eval", type=int, default=8192, help="paired eval rows")
    p.add_argument("--pairs", type=Path, default=None,
                   help="folder with real paired a.npy / b.npy: eval = the last --eval rows, A trains on the first "
                        "half of the rest, B on the second")
    p.add_argument("--data", type=Path, default=None,
                   help="folder for the input files, kept and reused (default: a temporary folder, removed)")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-transform", action="store_true", help="skip the full streamed transform of A")
    p.add_argument("--align-args", default="", help="extra options for `vec2vec-fast align`, e.g. '--max-rows 50000'")
    p.add_argument("--quick", action="store_true", help="n=4000, d=64, eval 500, small hyperparameters: a smoke run")
    p.add_argument("--out", type=Path, default=None, help="JSON path (default: benchmarks/results/large.json)")
    args = p.parse_args()
    if args.quick:
        args.n, args.d, args.eval = 4000, 64, 500
        args.align_args = ("--anchor-runs 3 --refine1-iterations 5 --refine1-sample 200 --refine2-clusters 20 "
                           "--qap-restarts 5 " + args.align_args)
    args.d_b = args.d_b or args.d
    return args


# ----------------------------------------------------------------------------------------------------- the data
def _orthonormal_rows(rng: np.random.Generator, r: int, d: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((d, r)))
    return q.T.astype(np.float32)  # (r, d), orthonormal rows


class Synthetic:
    """Clustered latent points, embedded into A and B by different orthonormal maps."""

    def __init__(self, d_a: int, d_b: int, seed: int):
        rng = np.random.default_rng([seed, 0])
        self.seed = seed
        self.r = min(64, d_a, d_b)
        self.k = 200
        self.spectrum = (1.0 / np.sqrt(1.0 + np.arange(self.r))).astype(np.float32)
        self.centers = (2.0 * rng.standard_normal((self.k, self.r)) * self.spectrum).astype(np.float32)
        w = 1.0 / (1.0 + np.arange(self.k)) ** 0.7
        self.weights = w / w.sum()
        self.maps = {"a": _orthonormal_rows(rng, self.r, d_a), "b": _orthonormal_rows(rng, self.r, d_b)}
        self.offsets = {"a": (0.3 * rng.standard_normal(d_a) / np.sqrt(d_a)).astype(np.float32),
                        "b": (0.3 * rng.standard_normal(d_b) / np.sqrt(d_b)).astype(np.float32)}
        self.ambient = 0.3  # total norm of the ambient noise, vs latent points of norm ~2-3

    def latent(self, rng: np.random.Generator, n: int) -> np.ndarray:
        labels = rng.choice(self.k, size=n, p=self.weights)
        return self.centers[labels] + 0.6 * rng.standard_normal((n, self.r), dtype=np.float32) * self.spectrum

    def embed(self, rng: np.random.Generator, z: np.ndarray, side: str) -> np.ndarray:
        d = self.maps[side].shape[1]
        noise = rng.standard_normal((len(z), d), dtype=np.float32) * np.float32(self.ambient / np.sqrt(d))
        return z @ self.maps[side] + noise + self.offsets[side]


def generate(folder: Path, n: int, n_eval: int, d_a: int, d_b: int, seed: int) -> Dict[str, Any]:
    """Write a.npy, b.npy (unpaired training rows), a_eval.npy, b_eval.npy (paired) and meta.json."""
    meta = {"generator_version": GENERATOR_VERSION, "n": n, "eval": n_eval, "d_a": d_a, "d_b": d_b, "seed": seed}
    meta_path = folder / "meta.json"
    if meta_path.exists() and json.loads(meta_path.read_text()) == meta:
        print(f"reusing the data in {folder}", flush=True)
        return {"generated": False, "seconds": 0.0}
    folder.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    model = Synthetic(d_a, d_b, seed)
    t0 = time.perf_counter()
    for side, dim, stream in (("a", d_a, 1), ("b", d_b, 2)):
        with VectorWriter(folder / f"{side}.npy", n, dim, overwrite=True) as writer:
            for i, start in enumerate(range(0, n, CHUNK)):
                rng = np.random.default_rng([seed, stream, i])
                writer.write(model.embed(rng, model.latent(rng, min(CHUNK, n - start)), side))
                print(f"\r  generating {side}.npy: {min(start + CHUNK, n):,}/{n:,} rows", end="", flush=True)
        print(flush=True)
    rng = np.random.default_rng([seed, 3])
    z = model.latent(rng, n_eval)
    save_vectors(folder / "a_eval.npy", model.embed(rng, z, "a"), overwrite=True)
    save_vectors(folder / "b_eval.npy", model.embed(rng, z, "b"), overwrite=True)
    meta_path.write_text(json.dumps(meta))
    return {"generated": True, "seconds": time.perf_counter() - t0}


def split_pairs(pairs: Path, folder: Path, n_eval: int) -> Dict[str, Any]:
    """Real pairs: the files the commands read (A's and B's training halves, the paired eval rows)."""
    files = pair_files(pairs)
    if files is None:
        raise SystemExit(f"{pairs}: holds neither a.npy/b.npy nor A.npy/B.npy")
    a, b = open_vectors(files[0]), open_vectors(files[1])
    if len(a) != len(b):
        raise SystemExit(f"{pairs}: {files[0].name} has {len(a)} rows, {files[1].name} {len(b)}: not paired")
    n = len(a) - n_eval
    half = n // 2
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in (("a", a[:half]), ("b", b[half:n]), ("a_eval", a[n:]), ("b_eval", b[n:])):
        save_vectors(folder / f"{name}.npy", arr, overwrite=True)
    return {"generated": False, "seconds": 0.0, "pairs": str(pairs), "rows": len(a), "train_per_side": half}


# ------------------------------------------------------------------------------------------------ measuring
def _status_kb(pid: int) -> Dict[str, int]:
    fields: Dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    fields[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return fields


def measure(cmd: List[str], label: str) -> Dict[str, Any]:
    """Run one command: wall time; peak RSS from the kernel's own account of the child (wait4's ru_maxrss); peaks of
    its anonymous and file-backed parts sampled from /proc every 0.1 s."""
    print(f"$ {' '.join(cmd)}", flush=True)
    peaks = {"RssAnon": 0, "RssFile": 0}
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, text=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            for key, value in _status_kb(proc.pid).items():
                if key in peaks:
                    peaks[key] = max(peaks[key], value)
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed with status {proc.returncode}:\n{err}")
    return {"step": label, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "peak_anon_mb": peaks["RssAnon"] / 1024, "peak_file_mb": peaks["RssFile"] / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "stdout": out, "stderr_tail": err[-2000:]}


def command() -> List[str]:
    script = Path(sys.executable).with_name("vec2vec-fast")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vec2vec_fast.cli"]


def main() -> None:
    args = parse_args()
    temp: Optional[str] = None
    folder = args.data
    if folder is None:
        temp = tempfile.mkdtemp(prefix="v2v_large_")
        folder = Path(temp)
    try:
        if args.pairs is not None:
            data = split_pairs(args.pairs, folder, args.eval)
        else:
            data = generate(folder, args.n, args.eval, args.d, args.d_b, args.seed)
        a = open_vectors(folder / "a.npy")
        b = open_vectors(folder / "b.npy")
        config = {"data": "pairs" if args.pairs else "synthetic", "n_a": len(a), "n_b": len(b), "d_a": a.shape[1],
                  "d_b": b.shape[1], "eval": args.eval, "threads": args.threads, "seed": args.seed,
                  "input_gb": (a.nbytes + b.nbytes) / 1e9, "align_args": args.align_args, "quick": args.quick,
                  "data_prep": data}
        del a, b
        print("large: " + ", ".join(f"{k}={v}" for k, v in config.items() if k != "data_prep"), flush=True)
        cli = command()
        model = folder / "model.npz"
        steps = [measure([*cli, "align", str(folder / "a.npy"), str(folder / "b.npy"), "-o", str(model),
                          "--overwrite", "--quiet", "--seed", str(args.seed), "--threads", str(args.threads),
                          *args.align_args.split()], "align")]
        if not args.no_transform:
            out = folder / "a_in_b.npy"
            steps.append(measure([*cli, "transform", str(model), str(folder / "a.npy"), "-o", str(out), "--overwrite",
                                  "--quiet", "--threads", str(args.threads)], "transform"))
            out.unlink()
        steps.append(measure([*cli, "evaluate", str(model), str(folder / "a_eval.npy"), str(folder / "b_eval.npy"),
                              "--json", "--quiet", "--threads", str(args.threads)], "evaluate"))
        quality = json.loads(steps[-1]["stdout"])
        info = json.loads(measure([*cli, "info", str(model), "--json"], "info")["stdout"])
        for step in steps:
            step.pop("stdout")
            print(f"  {step['step']:<10} {step['wall_s']:8.1f} s   peak RSS {step['peak_rss_mb']:7.0f} MB "
                  f"(anonymous {step['peak_anon_mb']:.0f} MB, file-backed {step['peak_file_mb']:.0f} MB)")
        print(f"  quality: top-1 {quality['top1']:.4f}, top-5 {quality['top5']:.4f}, mean rank "
              f"{quality['mean_rank']:.2f}, cosine {quality['mean_cos']:.3f} on {quality['n']} pairs")
        report = info.get("report", {})
        record = {"benchmark": "large", "config": config, "steps": steps,
                  "quality": {f"quality_{k}": v for k, v in quality.items()},
                  "fit_seconds": report.get("seconds", {}), "fit_params": report.get("params"),
                  "fit_diagnostics": {k: report.get(k) for k in ("refine2_self_consistency", "orthogonality_error",
                                                                 "matching_score", "rows_used")},
                  "build_info": v2v.build_info(), "versions": versions(), "machine": machine(),
                  "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        path = args.out or RESULTS_DIR / ("large_quick.json" if args.quick else "large.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2, default=float))
        print(f"wrote {path}")
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
