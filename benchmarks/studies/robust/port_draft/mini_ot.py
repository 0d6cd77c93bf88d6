"""``method="mini-ot"``: mini-vec2vec's map refined by optimal transport, with a label-free confidence and a loud
failure (experimental; see benchmarks/studies/robust/README.md).

1. A seeded share of each side (``holdout`` rows, at most a fifth) is held out for the confidence score.
2. mini-vec2vec (every ``mini`` hyperparameter, notebook defaults) on the rest gives the first map.
3. ``ot_rounds`` rounds of entropic-OT refinement (:func:`vec2vec_fast.ot_refine.ot_refine`) on ``ot_rows`` sampled
   rows a side.
4. The structure gain on the held-out rows: ``report_["confidence"]``, ``report_["status"]`` ("ok", "uncertain",
   "failed"); "failed" also warns (:class:`vec2vec_fast.errors.AlignmentFailedWarning`).
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
from numpy.typing import ArrayLike
from threadpoolctl import threadpool_limits

from .._numerics import preprocess
from .._validation import SeedLike, resolve_seed
from ..errors import AlignmentFailedWarning
from ..linear_map import LinearMap
from ..mini import SCHEMA as MINI_SCHEMA, MiniParams, fit_mini, training_rows
from ..ot_refine import FAILED_GAIN, GOOD_GAIN, ot_refine, status_of, structure_gain
from ..schema import Param, Schema
from .base import FitResult
from .linear import LinearMethod

_OT = (
    Param("ot_rows", int, 8_000, "OT refinement: rows sampled per side (memory: ot_rows^2 float32)", low=2,
          high=40_000),
    Param("ot_eps", float, 0.03, "OT refinement: entropic regularisation (cosine units; >= 0.1 drifts)", above=0.0,
          high=10.0),
    Param("ot_rounds", int, 4, "OT refinement: rounds (transport plan, then Procrustes)", low=0, high=1_000),
    Param("ot_sweeps", int, 50, "OT refinement: Sinkhorn sweeps per round", low=1, high=100_000),
    Param("holdout", int, 2_000, "rows per side held out for the confidence score (at most a fifth; 0: none)",
          low=0, high=10**6),
)
SCHEMA = Schema(list(MINI_SCHEMA.values()) + list(_OT))
_MINI_NAMES = tuple(MINI_SCHEMA)


class MiniOTMethod(LinearMethod):
    name = "mini-ot"
    summary = ("experimental: mini-vec2vec refined by optimal transport, with a label-free confidence that warns on "
               "a failed fit (unpaired)")
    schema = SCHEMA

    def fit(self, X_a: ArrayLike, X_b: ArrayLike, *, seed: SeedLike, n_threads: int) -> FitResult:
        p = {**SCHEMA.defaults(), **self.params}
        base_seed = resolve_seed(seed)
        mini_params = MiniParams(**{k: p[k] for k in _MINI_NAMES})
        rng = np.random.default_rng([base_seed, 7])  # its own stream: mini's stays the published one
        a_all = training_rows(X_a, "X_a", p["max_rows"], rng, n_threads)
        b_all = training_rows(X_b, "X_b", p["max_rows"], rng, n_threads)
        held_a, fit_a = _split(len(a_all), p["holdout"], rng)
        held_b, fit_b = _split(len(b_all), p["holdout"], rng)
        result = fit_mini(a_all[fit_a], b_all[fit_b], mini_params, seed=base_seed, n_threads=n_threads)
        report = dict(result.report)
        with threadpool_limits(limits=1, user_api="blas"):  # the same bits at any thread count
            t = time.perf_counter()
            x = preprocess(a_all[fit_a], result.mean_a)
            z = preprocess(b_all[fit_b], result.mean_b)
            x = x[np.sort(rng.choice(len(x), min(p["ot_rows"], len(x)), replace=False))]
            z = z[np.sort(rng.choice(len(z), min(p["ot_rows"], len(z)), replace=False))]
            W, history = ot_refine(x, z, result.W.astype(np.float32), eps=p["ot_eps"], rounds=p["ot_rounds"],
                                   sweeps=p["ot_sweeps"], n_threads=n_threads)
            report["ot_refinement"] = history
            report["seconds"]["ot_refinement"] = time.perf_counter() - t
            t = time.perf_counter()
            if len(held_a) >= 2 and len(held_b) >= 2:
                b_raw = b_all[fit_b].astype(np.float64)
                confidence = structure_gain(preprocess(a_all[held_a], result.mean_a),
                                            preprocess(b_all[held_b], result.mean_b), W, b_raw.mean(0),
                                            np.cov(b_raw, rowvar=False), np.random.default_rng([base_seed, 8]))
                confidence.update(rows=[len(held_a), len(held_b)], good_at_least=GOOD_GAIN, failed_below=FAILED_GAIN)
                status = status_of(confidence["structure_gain"])
            else:
                confidence, status = {"rows": [len(held_a), len(held_b)]}, "unknown"
            report["seconds"]["confidence"] = time.perf_counter() - t
        report["confidence"], report["status"] = confidence, status
        report["params"] = {**dataclasses.asdict(mini_params), **{k: p[k] for k in (q.name for q in _OT)}}
        report["seconds"]["total"] = sum(v for k, v in report["seconds"].items() if k != "total")
        if status == "failed":
            warnings.warn(AlignmentFailedWarning(
                f"the map did not find B's structure: structure gain {confidence['structure_gain']:.4f} on held-out "
                f"rows (good >= {GOOD_GAIN}, failed < {FAILED_GAIN}); the inputs may not be alignable, or need more "
                f"rows"), stacklevel=3)
        fitted = LinearMap(W, result.mean_a, result.mean_b, result.scale_a, result.scale_b)
        return FitResult(fitted, result.seed, report)


def _split(n: int, holdout: int, rng: np.random.Generator):
    """(held-out rows, fit rows), both sorted: at most a fifth of the rows is held out."""
    h = min(holdout, n // 5)
    held = np.sort(rng.choice(n, h, replace=False)) if h else np.empty(0, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    mask[held] = False
    return held, np.flatnonzero(mask)
