"""benchmarks/bench_quality.py's summary without fitting anything: each row count's share of the ceiling is taken of
the ceiling fitted at that row count (the ceiling grows with the rows)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_bench_quality():
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "benchmarks" / "bench_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_share_of_ceiling_is_per_row_count():
    bq = load_bench_quality()
    records = [
        {"pair": "p_AB", "rows_per_side": 4000, "method": "ceiling", "seed": None, "top1": 0.5},
        {"pair": "p_AB", "rows_per_side": 4000, "method": "mini-ot", "seed": 0, "top1": 0.4, "seconds": 1.0},
        {"pair": "p_AB", "rows_per_side": 8000, "method": "ceiling", "seed": None, "top1": 1.0},
        {"pair": "p_AB", "rows_per_side": 8000, "method": "mini-ot", "seed": 0, "top1": 0.9, "seconds": 2.0},
    ]
    lines = {line.split("|")[2].strip(): line for line in bq.summary(records).splitlines()[2:]}
    assert "| 0.80 [0.80] |" in lines["4000"]  # 0.4 of its own 0.5, not of 8,000 rows' 1.0
    assert "| 0.90 [0.90] |" in lines["8000"]
