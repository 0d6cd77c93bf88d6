"""The polish studies' common set-up: a directed pair split as bench_quality.py splits it, preprocessed with the
scored map's means, the supervised ceiling, and mini-ot's scored map (polish_rounds=0) cached per pair and seed."""
import os
import sys
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from vec2vec_fast import Aligner  # noqa: E402
from vec2vec_fast._numerics import preprocess, unit_rows  # noqa: E402
from vec2vec_fast.procrustes import procrustes  # noqa: E402
from vec2vec_fast.transport import ot_refine, sinkhorn_targets  # noqa: E402

CACHE = os.environ.get("V2V_STUDY_CACHE", "/tmp/s19")


def split(pair):
    """(A's training rows of half 1, B's of half 2, A's and B's held-out pairs centred with the training means and
    normalised, B's rows of half 1: A's true pairs, for the ceiling only), as bench_quality.py splits the pair."""
    a, b = bq.load_pair(pair, bq.SHARED, False)
    h1, h2, ev = bq.split(len(a), False, None)
    a_tr, b_tr = a[h1], b[h2]
    return a_tr, b_tr, bq.unit(a[ev] - a_tr.mean(0)), bq.unit(b[ev] - b_tr.mean(0)), b[h1]


def polar(m):
    """The orthogonal polar factor of m, float32."""
    u, _, vt = np.linalg.svd(m, full_matrices=False)
    return (u @ vt).astype(np.float32)


def load(pair, seed=0):
    """SimpleNamespace: x, z (training rows of A's half 1 and B's half 2, centred with the scored map's means and
    normalised), ev_a, ev_b (held-out pairs), pairs_b (B's rows of half 1: x's true pairs, for the ceiling only),
    ceiling (orthogonal Procrustes on the true pairs), W0 (the scored map), top1(W)."""
    a_tr, b_tr, ev_a, ev_b, b_h1 = split(pair)
    os.makedirs(CACHE, exist_ok=True)
    cache = os.path.join(CACHE, f"W0_{pair}.npz" if seed == 0 else f"W0_{pair}_s{seed}.npz")
    if not os.path.exists(cache):
        al = Aligner(seed=seed, polish_rounds=0).fit(a_tr, b_tr)
        np.savez(cache, W=al.W_, mean_a=al.mean_a_, mean_b=al.mean_b_)
    c = np.load(cache)
    return SimpleNamespace(
        x=preprocess(a_tr, c["mean_a"]), z=preprocess(b_tr, c["mean_b"]), ev_a=ev_a, ev_b=ev_b,
        pairs_b=preprocess(b_h1, c["mean_b"]), W0=c["W"],
        ceiling=procrustes(bq.unit(a_tr - a_tr.mean(0)), bq.unit(b_h1 - b_tr.mean(0))),
        top1=lambda W: bq.quality(W, ev_a, ev_b)["top1"])


def polish(p, W, rounds):
    """``rounds`` of the method's plain polish step (eps 0.03, ridge-whitened Procrustes, all training rows) from W."""
    return ot_refine(p.x, p.z, W, eps=0.03, max_rounds=rounds, sweeps=10, tol=-1.0, n_threads=2, ridge=1.0)[0]


def fresh(pair):
    """A fresh unpaired sample of the pair's size: A's half 2 and B's half 1 (rows neither side trained on),
    preprocessed with the cached scored map's means (seed 0: ``load(pair)`` first)."""
    a, b = bq.load_pair(pair, bq.SHARED, False)
    h1, h2, _ = bq.split(len(a), False, None)
    c = np.load(os.path.join(CACHE, f"W0_{pair}.npz"))
    return preprocess(a[h2], c["mean_a"]), preprocess(b[h1], c["mean_b"])


def plan_objective(pool, x, z, W):
    """The plan's mean cosine (eps 0.03, 50 sweeps from scratch) of x W against z."""
    return sinkhorn_targets(pool, unit_rows(x @ W), z, 0.03, 50, np.ones(len(z)))[2]


def protocol(data_dir, pair):
    """Any folder's directed pair split as bench_quality.py splits it, each side centred with its training mean:
    SimpleNamespace of a_raw, b_raw, h1, h2 (the split), a, b (training rows of A's half 1 and B's half 2,
    preprocessed), ev_a, ev_b (held-out pairs), top1(W), and score(W) (the library's confidence on disjoint halves
    of the held-out rows, used unpaired)."""
    from pathlib import Path
    from vec2vec_fast.confidence import score_map
    a_raw, b_raw = bq.load_pair(pair, Path(data_dir), False)
    h1, h2, ev = bq.split(len(a_raw), False, None)
    ma, mb = a_raw[h1].mean(0), b_raw[h2].mean(0)
    ev_a, ev_b = preprocess(a_raw[ev], ma), preprocess(b_raw[ev], mb)
    xh, zh = ev_a[: len(ev_a) // 2], ev_b[len(ev_b) // 2:]
    return SimpleNamespace(
        a_raw=a_raw, b_raw=b_raw, h1=h1, h2=h2, a=preprocess(a_raw[h1], ma), b=preprocess(b_raw[h2], mb),
        ev_a=ev_a, ev_b=ev_b, mean_b=mb, top1=lambda W: bq.quality(W, ev_a, ev_b)["top1"],
        score=lambda W: score_map(xh, zh, W, np.random.default_rng(8))["score"])


def ceiling(p):
    """(A's true partners: B's rows of half 1, preprocessed as B's training rows; the supervised ceiling map, orthogonal
    Procrustes on them) for a ``protocol`` namespace."""
    y_true = preprocess(p.b_raw[p.h1], p.mean_b)
    return y_true, procrustes(p.a, y_true)


def candidate_rows(data_dir, pair, seed):
    """(protocol, mini-ot's defaults, mini's parameters at mini-ot's candidate settings, A's and B's rows a candidate
    fits): the protocol's training rows less 2,000 a side, as mini-ot holds them out (a seeded draw of its own)."""
    from vec2vec_fast.methods.mini_ot import SCHEMA, MINI_NAMES
    from vec2vec_fast.mini import MiniParams
    p = protocol(data_dir, pair)
    defaults = SCHEMA.defaults()
    rng = np.random.default_rng([seed, 7])
    a = p.a[np.sort(rng.choice(len(p.a), len(p.a) - 2000, replace=False))]
    b = p.b[np.sort(rng.choice(len(p.b), len(p.b) - 2000, replace=False))]
    print(f"{pair} seed {seed}: {len(a)} / {len(b)} rows fitted", flush=True)
    return p, defaults, MiniParams(**{k: defaults[k] for k in MINI_NAMES}), a, b


def fit_recording_polishes(p, seed):
    """(aligner, polishes, context, seconds): the default fit (one thread, warnings silenced) of the protocol ``p``'s
    training rows, with every call of mini-ot's polish recorded (start ``W_in``, map ``W``, objective, applied, whether
    a bag) and the last call's rows, held-out rows and parameters in ``context``."""
    import time
    import warnings
    from vec2vec_fast.methods import mini_ot_polish
    original, polishes, context = mini_ot_polish.polish, [], {}

    def recording_polish(rows, W, x_held, params, n_threads, fold_seed=None):
        out = original(rows, W, x_held, params, n_threads, fold_seed=fold_seed)
        context.update(rows=rows, x_held=x_held, params=params)
        polishes.append({"W_in": W, "W": out[0], "objective": out[2], "applied": out[1]["applied"],
                         "bag": fold_seed is not None})
        return out

    mini_ot_polish.polish = recording_polish
    try:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            al = Aligner(seed=seed, n_threads=1).fit(p.a_raw[p.h1], p.b_raw[p.h2])
        return al, polishes, context, time.perf_counter() - t
    finally:
        mini_ot_polish.polish = original


def polish_setup(data_dir, pair):
    """(protocol, its training rows (A, B), mini-ot's defaults with one bag, no held-out rows (the polish keeps every
    map), unpaired held-out A rows for the agreement as the method measures it): the setting of the studies that call
    mini-ot's polish on saved maps."""
    from vec2vec_fast.methods import mini_ot
    p = protocol(data_dir, pair)
    params = {**mini_ot.SCHEMA.defaults(), "polish_bags": 1}
    no_held = np.empty((0, p.a.shape[1]), dtype=np.float32)
    return p, (p.a, p.b), params, no_held, p.ev_a[: len(p.ev_a) // 2]


def turned(W, size=0.5, seed=0):
    """W turned by a seeded random rotation expm(S), S skew, scaled so that |R - I| / sqrt(d) is about ``size``: the
    start "turned away from the ceiling" of rounds 30-32, its polar factor taken as the polish takes it (float64 in,
    float32 out)."""
    from scipy.linalg import expm
    from vec2vec_fast import _core
    S = np.random.default_rng(seed).standard_normal((len(W), len(W)))
    S = (S - S.T) / 2
    S *= size * np.sqrt(len(S)) / np.linalg.norm(S)
    return _core.polar_factor(np.ascontiguousarray(expm(S) @ W, dtype=np.float64), True).astype(np.float32)
