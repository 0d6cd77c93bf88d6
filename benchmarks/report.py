"""The benchmark report: a markdown summary table and PNG plots built from the JSON records the bench_*.py scripts
write (benchmarks/results/). Used by run_all.py; also runs alone on existing records:

    python benchmarks/report.py                  # every full-size record in benchmarks/results/
    python benchmarks/report.py --quick          # the *_quick.json records of a --quick run

Writes summary.md (summary_quick.md), time_vs_size.png and stages.png (*_quick.png) next to the records.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

RESULTS_DIR = Path(__file__).resolve().parent / "results"
OURS = "vec2vec_fast"
_SKIP_FILES = ("summary", "migration")  # migration: recall tables, printed by bench_migration.py (README)


# ------------------------------------------------------------------------------------------------------ records
def load_records(paths: Iterable[Path]) -> List[Tuple[Path, Dict[str, Any]]]:
    """(path, record) for every readable JSON benchmark record; unreadable files are reported and skipped."""
    out = []
    for path in sorted(paths):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            print(f"report: skipping {path.name}: {err}")
            continue
        if isinstance(record, dict):
            out.append((path, record))
    return out


def _base(path: Path, record: Dict[str, Any]) -> str:
    name = str(record.get("benchmark") or path.stem)
    return name[:-len("_quick")] if name.endswith("_quick") else name


def _fmt_s(seconds: Optional[float]) -> str:
    if seconds is None or not isinstance(seconds, (int, float)) or math.isnan(seconds):
        return "–"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def _fmt_q(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.4g}"


def _family(base: str, record: Dict[str, Any]) -> Tuple[str, str, Optional[float], str]:
    """(kernel label, size label, size value for the x axis, what the size value counts)."""
    c = record.get("config", {})
    if base.startswith("kmeans"):
        mode = c.get("mode", "defaults" if "defaults" in base else "fixed")
        label = "k-means, 25 Lloyd iterations, same init" if mode == "fixed" else "k-means, library defaults"
        return label, f"n={c.get('n', 0):,}, d={c.get('d')}, k={c.get('k')}", _prod(c, "n", "d", "k"), "n·d·k"
    if base.startswith("knn"):
        return (f"exact kNN, {c.get('metric', 'ip')}, k={c.get('k')}", f"{c.get('m', 0):,} × {c.get('n', 0):,} × "
                f"{c.get('d')}", _prod(c, "m", "n", "d"), "queries·base·d")
    if base.startswith("qap_speed"):
        method = c.get("method", base.rsplit("_", 1)[-1])
        return (f"QAP {method}, best of {c.get('restarts')} restarts", f"n={c.get('n')}", c.get("n"), "n")
    if base.startswith("procrustes"):
        return ("Procrustes (float32)", f"{c.get('n', 0):,} rows, d={c.get('d')}", _prod(c, "n", "d", "d"), "n·d²")
    if base.startswith("end_to_end"):
        rows = (c.get("train_a") or 0) + (c.get("train_b") or 0)
        seeds = f", median of {c['seeds']} seeds" if isinstance(c.get("seeds"), int) and c["seeds"] > 1 else ""
        return ("mini-vec2vec fit, end to end", f"{c.get('train_a', 0):,} + {c.get('train_b', 0):,} rows, "
                f"{c.get('d_a')} → {c.get('d_b')}{seeds}", float(rows) if rows else None, "training rows")
    if base.startswith("large"):
        n = (c.get("n_a") or 0) + (c.get("n_b") or 0)
        return (f"CLI align + transform, memory-mapped .npy ({c.get('data', 'synthetic')})",
                f"{c.get('n_a', 0):,} × {c.get('d_a')} + {c.get('n_b', 0):,} × {c.get('d_b')} "
                f"({c.get('input_gb', 0):.2g} GB)", float(n) if n else None, "training rows")
    return base, ", ".join(f"{k}={v}" for k, v in c.items() if isinstance(v, (int, float, str)))[:60], None, ""


def _prod(config: Dict[str, Any], *keys: str) -> Optional[float]:
    value = 1.0
    for key in keys:
        if not isinstance(config.get(key), (int, float)):
            return None
        value *= config[key]
    return value


def _rows(record: Dict[str, Any]) -> List[Dict[str, Any]]:
    rows = record.get("rows")
    return [r for r in rows if isinstance(r, dict) and "impl" in r] if isinstance(rows, list) else []


def _quality_keys(rows: List[Dict[str, Any]]) -> List[str]:
    keys: List[str] = []
    for r in rows:
        keys.extend(k for k in r if k.startswith("quality_") and k not in keys and k != "quality_n")
    return keys


def summary_rows(records: List[Tuple[Path, Dict[str, Any]]]) -> List[Dict[str, str]]:
    """One table row per record: kernel, size, our time, baseline times with ratios, quality side by side."""
    table = []
    order = ("end_to_end", "large", "gan", "kmeans", "knn", "procrustes", "qap")
    records = sorted(records, key=lambda pr: (
        next((i for i, f in enumerate(order) if _base(*pr).startswith(f)), len(order)),
        _family(_base(*pr), pr[1])[0], _family(_base(*pr), pr[1])[2] or 0.0))
    for path, record in records:
        base = _base(path, record)
        if base.startswith("qap_recovery"):
            continue  # its own table below
        kernel, size, _, _ = _family(base, record)
        if base.startswith("large"):
            table.append(_large_row(kernel, size, record))
            continue
        if base.startswith("gan"):
            table.extend(_gan_rows(record))
            continue
        rows = _rows(record)
        ours = next((r for r in rows if r["impl"] == OURS), None)
        if ours is None:
            continue
        t_ours = ours.get("median_s")
        baselines = []
        for r in rows:
            if r is ours:
                continue
            t = r.get("median_s")
            ratio = f" ({t / t_ours:.3g}×)" if isinstance(t, (int, float)) and t_ours else ""
            baselines.append(f"{r['impl']}: {_fmt_s(t)}{ratio}")
        qkeys = _quality_keys(rows)
        quality = []
        for key in qkeys[:4]:
            others = [_fmt_q(r[key]) for r in rows if r is not ours and key in r]
            quality.append(f"{key[len('quality_'):].replace('_', ' ')} {_fmt_q(ours.get(key))}"
                           + (f" ({' / '.join(others)})" if others else ""))
        table.append({"kernel": kernel, "size": size, "ours": _fmt_s(t_ours),
                      "baselines": "; ".join(baselines) or "–", "quality": "; ".join(quality) or "–",
                      "file": path.name})
    return table


def _large_row(kernel: str, size: str, record: Dict[str, Any]) -> Dict[str, str]:
    steps = {s.get("step"): s for s in record.get("steps", []) if isinstance(s, dict)}
    parts = []
    for name in ("align", "transform"):
        s = steps.get(name)
        if s:
            parts.append(f"{name} {_fmt_s(s.get('wall_s'))}, peak {s.get('peak_rss_mb', 0) / 1024:.2f} GB")
    q = record.get("quality", {})
    quality = (f"top1 {_fmt_q(q.get('quality_top1'))}; top5 {_fmt_q(q.get('quality_top5'))}; "
               f"mean rank {_fmt_q(q.get('quality_mean_rank'))}; cos {_fmt_q(q.get('quality_mean_cos'))}"
               if q else "–")
    return {"kernel": kernel, "size": size, "ours": "; ".join(parts) or "–", "baselines": "–", "quality": quality,
            "file": ""}


def _gan_rows(record: Dict[str, Any]) -> List[Dict[str, str]]:
    """bench_gan.py: training-step speed per architecture, and the fixed-budget quality runs next to the linear map."""
    c = record.get("config", {})
    out = []
    for s in record.get("speed", []) if isinstance(record.get("speed"), list) else []:
        out.append({"kernel": f"vec2vec GAN train step ({s.get('device', '?')}, batch {s.get('batch')})",
                    "size": f"{s.get('config')}: {s.get('translator_params', 0):,} + "
                            f"{s.get('discriminator_params', 0):,} parameters",
                    "ours": _fmt_s(s.get("s_per_step")) + " per step", "baselines": "–", "quality": "–", "file": ""})
    runs = [q for q in record.get("quality", []) if isinstance(q, dict)] if isinstance(record.get("quality"),
                                                                                      list) else []
    if runs:
        def metrics(q: Dict[str, Any]) -> str:
            frames = q.get("a_to_b", {})
            m = frames.get("centred") or frames.get("raw") or {}
            return f"{q.get('impl')}: top1 {_fmt_q(m.get('top1'))}, mean rank {_fmt_q(m.get('mean_rank'))}"
        out.append({"kernel": "vec2vec GAN vs linear map, same unpaired split",
                    "size": f"{c.get('train_a', 0):,} + {c.get('train_b', 0):,} rows, {c.get('d_a')} → "
                            f"{c.get('d_b')}, budget {_fmt_s(c.get('budget_s'))}",
                    "ours": "; ".join(f"{q.get('impl')}: {_fmt_s(q.get('wall_s'))}" for q in runs),
                    "baselines": "–", "quality": "; ".join(metrics(q) for q in runs), "file": ""})
    return out


def machine_line(records: List[Tuple[Path, Dict[str, Any]]]) -> str:
    """The machine(s) the records were measured on, from the records that name one."""
    seen: List[str] = []
    openmp = set()
    for _, record in records:
        m, b = record.get("machine"), record.get("build_info")
        if isinstance(m, dict) and m.get("cpu"):
            text = f"{m['cpu']}, {m.get('cores')} cores, {m.get('platform', '')}, Python {m.get('python', '?')}"
            if text not in seen:
                seen.append(text)
        if isinstance(b, dict) and "openmp" in b:
            openmp.add(f"OpenMP {'on' if b['openmp'] else 'off'}, {b.get('max_threads', '?')} threads")
    text = " | ".join(seen) if seen else "unknown machine"
    return text + (f" ({'; '.join(sorted(openmp))})" if openmp else "")


def markdown(records: List[Tuple[Path, Dict[str, Any]]], title: str = "Benchmark summary") -> str:
    lines = [f"# {title}", "", f"Measured on: {machine_line(records)}.", "",
             "Times are medians of repeats; × is the baseline's time divided by vec2vec_fast's (above 1: we are "
             "faster). Quality: vec2vec_fast's value, the baselines' in parentheses in the same order.", "",
             "| kernel | size | vec2vec_fast | baselines (×) | quality |", "|---|---|---|---|---|"]
    for row in summary_rows(records):
        lines.append(f"| {row['kernel']} | {row['size']} | {row['ours']} | {row['baselines']} | {row['quality']} |")
    recovery = [(p, r) for p, r in records if _base(p, r).startswith("qap_recovery")]
    for path, record in recovery:
        results = record.get("results", {})
        methods = sorted({m for per_c in results.values() for m in per_c})
        lines += ["", f"QAP recovery of the true anchor matching on real pairs ({path.name}):", "",
                  "| solver | " + " | ".join(f"c = {c}" for c in results) + " |",
                  "|---|" + "---|" * len(results)]
        for m in methods:
            cells = [f"{results[c][m]['exact_recoveries']}/{results[c][m]['trials']}" for c in results
                     if m in results[c]]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    stamps = sorted({str(r.get("timestamp", ""))[:10] for _, r in records if r.get("timestamp")})
    lines += ["", f"Records: {', '.join(p.name for p, _ in records)}" + (f" (dated {stamps[0]} to {stamps[-1]})"
                                                                        if stamps else "") + "."]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------------------- plots
def plot_time_vs_size(records: List[Tuple[Path, Dict[str, Any]]], path: Path) -> Optional[Path]:
    """One panel per kernel: median time against problem size, one series per implementation (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: Dict[str, Dict[str, Any]] = {}
    for p, record in records:
        base = _base(p, record)
        if base.startswith("qap_recovery"):
            continue
        kernel, size_label, size, unit = _family(base, record)
        if size is None:
            continue
        panel = panels.setdefault(kernel.split(",")[0] + (" (defaults)" if "defaults" in kernel else ""),
                                  {"unit": unit, "series": {}})
        if base.startswith("large"):
            for step in record.get("steps", []):
                if step.get("step") in ("align", "transform"):
                    panel["series"].setdefault(f"{OURS} {step['step']}", []).append((size, step["wall_s"]))
            continue
        for r in _rows(record):
            if isinstance(r.get("median_s"), (int, float)):
                panel["series"].setdefault(r["impl"], []).append((size, r["median_s"]))
    if not panels:
        return None
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax, (kernel, panel) in zip(axes.flat, panels.items()):
        for impl, points in sorted(panel["series"].items(), key=lambda kv: (kv[0] != OURS, kv[0])):
            points.sort()
            xs, ys = zip(*points)
            joined = len(set(xs)) == len(xs)  # a line only through distinct sizes; repeats are plain markers
            ax.plot(xs, ys, marker="o", linestyle="-" if joined else "none",
                    linewidth=2.2 if impl.startswith(OURS) else 1.2, label=impl)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(kernel, fontsize=10)
        ax.set_xlabel(f"size ({panel['unit']})", fontsize=8)
        ax.set_ylabel("median time (s)", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"Time vs size per kernel — {machine_line(records)[:110]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_stages(records: List[Tuple[Path, Dict[str, Any]]], path: Path) -> Optional[Path]:
    """Stacked bars of the end-to-end fit's stages per implementation (and the large CLI fit, when recorded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars: List[Tuple[str, Dict[str, float]]] = []
    for p, record in records:
        base = _base(p, record)
        if base.startswith("end_to_end"):
            c = record.get("config", {})
            seeds = c.get("seeds", 1)
            for r in _rows(record):
                stages = r.get("stage_median_s") or {}
                bars.append((f"{r['impl']}\n{p.stem}: {c.get('train_a', 0):,} rows/side"
                             + (f", {seeds} seeds" if isinstance(seeds, int) and seeds > 1 else ""), dict(stages)))
        elif base.startswith("large") and record.get("fit_seconds"):
            c = record.get("config", {})
            bars.append((f"{OURS} CLI align\n({c.get('n_a', 0):,} rows/side)", dict(record["fit_seconds"])))
    bars = [(label, {k: float(v) for k, v in s.items() if k != "total" and isinstance(v, (int, float))})
            for label, s in bars]
    bars = [(label, s) for label, s in bars if s]
    if not bars:
        return None
    order: List[str] = []
    for _, stages in bars:
        order.extend(k for k in stages if k not in order)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.9 * len(bars)))
    left = [0.0] * len(bars)
    colors = plt.get_cmap("tab10")
    for i, stage in enumerate(order):
        widths = [stages.get(stage, 0.0) for _, stages in bars]
        ax.barh(range(len(bars)), widths, left=left, color=colors(i % 10), label=stage)
        left = [start + w for start, w in zip(left, widths)]
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:.1f} s", va="center", fontsize=8)
    ax.set_yticks(range(len(bars)))
    ax.set_yticklabels([label for label, _ in bars], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds (median over seeds)")
    ax.set_xlim(0, max(left) * 1.15)
    ax.legend(fontsize=7, ncol=min(len(order), 4), loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    ax.set_title("mini-vec2vec fit, stage breakdown end to end", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def build(results_dir: Path, files: Optional[List[Path]] = None, quick: bool = False) -> Dict[str, Optional[Path]]:
    """Write the summary table and plots for ``files`` (default: every record of the chosen kind in the folder)."""
    suffix = "_quick" if quick else ""
    if files is None:
        files = [p for p in results_dir.glob("*.json")
                 if p.stem.endswith("_quick") == quick and not p.stem.startswith(_SKIP_FILES)]
    records = load_records(files)
    summary = results_dir / f"summary{suffix}.md"
    summary.write_text(markdown(records, "Benchmark summary" + (" (--quick smoke sizes)" if quick else "")))
    written = {"summary": summary,
               "time_vs_size": plot_time_vs_size(records, results_dir / f"time_vs_size{suffix}.png"),
               "stages": plot_stages(records, results_dir / f"stages{suffix}.png")}
    for name, path in written.items():
        print(f"report: {name}: {path if path else '(no data)'}")
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", type=Path, default=RESULTS_DIR, help="folder of JSON records (default: results/)")
    p.add_argument("--quick", action="store_true", help="summarise the *_quick.json records")
    args = p.parse_args()
    build(args.dir, quick=args.quick)


if __name__ == "__main__":
    main()
