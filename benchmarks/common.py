"""Shared benchmark plumbing: arguments, side-by-side timing (warm-up, median of repeats), peak memory, JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import threading
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

import vec2vec_fast as v2v

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# The two layouts of a folder of real pairs: make_pairs.py's default, and its --layout shared (as ../shared/data).
PAIR_LAYOUTS = (("a.npy", "b.npy"), ("A.npy", "B.npy"))


def pair_files(folder: Path) -> Optional[Tuple[Path, Path]]:
    """The paired arrays of `folder` (a.npy and b.npy, or A.npy and B.npy), or None when it holds neither."""
    for name_a, name_b in PAIR_LAYOUTS:
        if (folder / name_a).is_file() and (folder / name_b).is_file():
            return folder / name_a, folder / name_b
    return None


def open_pairs(folder: Path) -> Tuple[np.ndarray, np.ndarray]:
    """Memory-mapped paired arrays of `folder` (row i of both: the same text), float32 or float16 as stored; exits
    naming the problem when the folder holds no pairs or the row counts differ."""
    files = pair_files(folder)
    if files is None:
        inside = sorted(p.name for p in folder.iterdir() if p.is_dir() and pair_files(p)) if folder.is_dir() else []
        raise SystemExit(f"{folder}: holds neither a.npy/b.npy nor A.npy/B.npy"
                         + (f" (its subfolders {', '.join(inside)} do)" if inside else ""))
    a, b = (np.load(f, mmap_mode="r") for f in files)
    if a.shape[0] != b.shape[0]:
        raise SystemExit(f"{folder}: {files[0].name} has {a.shape[0]} rows, {files[1].name} {b.shape[0]}: not paired")
    return a, b


def parser(description: str, **defaults: Any) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--n", type=int, default=defaults.get("n"), help="rows (base rows for knn)")
    p.add_argument("--d", type=int, default=defaults.get("d", 768), help="dimension")
    p.add_argument("--k", type=int, default=defaults.get("k"), help="clusters / neighbours")
    p.add_argument("--threads", type=int, default=defaults.get("threads", len(os.sched_getaffinity(0))))
    p.add_argument("--repeat", type=int, default=defaults.get("repeat", 3), help="timed repeats (median is reported)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run for CI")
    p.add_argument("--skip", nargs="*", default=[], help="baselines to leave out (sklearn, numpy, faiss)")
    p.add_argument("--out", type=Path, default=None, help="JSON output path (default: benchmarks/results/NAME.json)")
    return p


@contextmanager
def limit_threads(threads: int):
    """Give every library the same thread count: BLAS/OpenMP pools via threadpoolctl, faiss via its own call."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        threadpool_limits = None
    try:
        import faiss

        faiss.omp_set_num_threads(threads)
    except ImportError:
        pass
    if threadpool_limits is None:
        yield
    else:
        with threadpool_limits(limits=threads):
            yield


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_during(fn: Callable[[], Any], interval: float = 0.002):
    """Run fn, sampling resident memory; returns (result, peak bytes above the level at the start)."""
    start = _rss_bytes()
    peak = [start]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = fn()
    finally:
        stop.set()
        sampler.join()
    peak[0] = max(peak[0], _rss_bytes())
    return result, peak[0] - start


def time_side_by_side(impls: Dict[str, Callable[[], Any]], repeat: int, inner: int = 1) -> Dict[str, Dict[str, Any]]:
    """Warm each implementation up once, then run them in turn `repeat` times (A, B, C, A, B, C, ...), so that a
    drift in machine speed during the run hits all of them alike. Per implementation: median and min seconds,
    all times, peak extra resident memory, and its last result. With `inner` > 1 each sample is the mean of that
    many back-to-back calls: sub-millisecond kernels are otherwise timed waking the CPU up."""
    out: Dict[str, Dict[str, Any]] = {}
    for name, fn in impls.items():
        print(f"  warming up {name}...", flush=True)
        fn()
        out[name] = {"times_s": [], "peak_mem_mb": 0.0, "result": None}
    for r in range(repeat):
        print(f"  round {r + 1}/{repeat}", flush=True)
        for name, fn in impls.items():
            # BLAS and OpenMP pools spin for a while after returning: let the previous run's threads go idle so
            # they do not steal the cores from this one.
            time.sleep(0.3)
            t0 = time.perf_counter()
            result, extra = peak_rss_during(lambda fn=fn: [fn() for _ in range(inner)][-1])
            rec = out[name]
            rec["times_s"].append((time.perf_counter() - t0) / inner)
            rec["peak_mem_mb"] = max(rec["peak_mem_mb"], extra / 2**20)
            rec["result"] = result
    for rec in out.values():
        rec["median_s"] = statistics.median(rec["times_s"])
        rec["min_s"] = min(rec["times_s"])
    return out


def versions() -> Dict[str, Optional[str]]:
    out: Dict[str, Optional[str]] = {}
    for name in ("vec2vec_fast", "numpy", "scipy", "scikit-learn", "faiss-cpu", "threadpoolctl"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> Dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def report(name: str, config: Dict[str, Any], rows: List[Dict[str, Any]], out: Optional[Path]) -> Path:
    """Print a table (time, ratio = baseline time / vec2vec_fast time, quality) and write the JSON record."""
    ours = next(r for r in rows if r["impl"] == "vec2vec_fast")
    for r in rows:
        r["speedup_of_vec2vec_fast"] = r["median_s"] / ours["median_s"]
    quality_key = next((k for k in rows[0] if k.startswith("quality_")), None)
    has_iters = "n_iter" in rows[0]
    print(f"\n{name}: " + ", ".join(f"{k}={v}" for k, v in config.items()))
    header = f"{'implementation':<26}{'median s':>10}{'min s':>10}{'peak MB':>10}{'v2v faster':>12}"
    header += f"{'iterations':>12}" if has_iters else ""
    width = max(16, len(quality_key) - 6) if quality_key else 0
    header += f"{quality_key[8:]:>{width}}" if quality_key else ""
    print(header)
    for r in rows:
        line = (f"{r['impl']:<26}{r['median_s']:>10.4g}{r['min_s']:>10.4g}{r['peak_mem_mb']:>10.0f}"
                f"{r['speedup_of_vec2vec_fast']:>11.2f}x")
        line += f"{r['n_iter']:>12}" if has_iters else ""
        line += f"{r.get(quality_key, float('nan')):>{width}.6g}" if quality_key else ""
        print(line)
    path = out or RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, "config": config, "rows": rows, "build_info": v2v.build_info(),
              "versions": versions(), "machine": machine(), "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.write_text(json.dumps(record, indent=2, default=float))
    print(f"wrote {path}")
    return path


def clustered_data(rng: np.random.Generator, n: int, d: int, centers: int = 64) -> np.ndarray:
    """Unit-norm vectors around random directions, roughly like sentence embeddings."""
    means = rng.standard_normal((centers, d)).astype(np.float32)
    x = means[rng.integers(0, centers, n)] + 1.5 * rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x
