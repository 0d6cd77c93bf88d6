"""benchmarks/bench_quality.py: the summary without fitting anything (each row count's share of the ceiling is taken of
the ceiling fitted at that row count, the ceiling grows with the rows), and what a fit's record keeps."""

import argparse
import importlib.util
from pathlib import Path

import numpy as np

from conftest import planted_mixture

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


def test_a_record_says_whether_the_quick_first_candidates_were_kept():
    """The record keeps mini-ot's quick step (stop 33): whether the fit went on from the quick pair, and at how many
    anchor runs, so that a table over seeds can say how often the cheap path was taken. A planted map on a small
    mixture: the quick pair (4 runs, below the fit's 5) finds it twice and is kept."""
    bq = load_bench_quality()
    rng = np.random.default_rng(3)
    draw, Q = planted_mixture(rng, 32, 32, spread=1.0)
    a, b, ev_a = draw(3000), draw(3000) @ Q, draw(500)
    params = {"anchor_runs": 5, "quick_anchor_runs": 4, "anchor_kmeans_iter": 300, "anchor_subsample": 1500,
              "refine1_iterations": 10, "refine1_sample": 300, "refine2_clusters": 30, "ot_rows": 2000,
              "holdout": 500, "min_trusted_rows": 1000, "polish_rounds": 2}
    args = argparse.Namespace(params=params, quick=False, threads=2)
    record = bq.fit_and_score("mini-ot", 1, a.astype(np.float32), b.astype(np.float32), ev_a, ev_a @ Q, args)
    assert record["quick"]["accepted"] is True and record["quick"]["anchor_runs"] == 4
    assert record["quick"]["agreement"] >= 0.95
    assert [c["anchor_runs"] for c in record["candidates"]] == [4, 4]
    assert record["top1"] > 0.6
