"""Stochastic dictionary induction (VecMap, Artetxe et al. 2018) in the transport rounds. VecMap's self-learning keeps
each entry of the similarity matrix with probability p (0.1 at first, doubled whenever the objective stalls), which
lets the dictionary leave a poor local optimum; in their ablation it is what makes the method robust. Here the entries
of the entropic plan's kernel are kept with probability p instead: each round, a fresh seeded mask, a balanced
Sinkhorn plan on the masked kernel, barycentric targets, orthogonal Procrustes; p doubles every STAGE rounds until 1.
Started from a candidate (mini's first map, then the candidate's transport rounds, as mini-ot fits one) whose polish
ends in a lower basin or misses the map, the question is whether these rounds reach a better basin; each start is
then polished as the method polishes (16 cross-fitted rounds, momentum 0.5, ridge 1) on all training rows.
usage (repository root): PYTHONPATH=benchmarks/studies/robust python benchmarks/studies/robust/stochastic_plan.py
DATA_DIR PAIR SEED OFFSETS [P0 STAGE ROWS [reverse]]   (OFFSETS: comma-separated candidate offsets; defaults 0.1 10
6000). Env KITER/RUNS override the candidate's anchor k-means iterations and runs (explored candidates: 300 / 30)."""
import dataclasses
import json
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from study_pair import candidate_rows, polar
from vec2vec_fast._numerics import preprocess, unit_rows
from vec2vec_fast.confidence import score_map
from vec2vec_fast.mini import fit_mini
from vec2vec_fast.transport import ot_refine

data_dir, pair, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
offsets = [int(o) for o in sys.argv[4].split(",")]
p0 = float(sys.argv[5]) if len(sys.argv) > 5 else 0.1
stage = int(sys.argv[6]) if len(sys.argv) > 6 else 10
n_rows = int(sys.argv[7]) if len(sys.argv) > 7 else 6000
reverse = len(sys.argv) > 8 and sys.argv[8] == "reverse"
EPS, SWEEPS = 0.03, 20
p, d, params, a, b = candidate_rows(data_dir, pair, seed)
if "RUNS" in os.environ:
    params = dataclasses.replace(params, anchor_runs=int(os.environ["RUNS"]),
                                 anchor_kmeans_iter=int(os.environ.get("KITER", params.anchor_kmeans_iter)))
xh, zh = p.ev_a[: len(p.ev_a) // 2], p.ev_b[len(p.ev_b) // 2:]
cache_dir = os.environ.get("V2V_STUDY_CACHE", "/tmp/s37")
os.makedirs(cache_dir, exist_ok=True)


def masked_plan_round(x, z, W, keep, rng):
    """One round: targets from the balanced entropic plan on the kernel with each entry kept with probability keep,
    then plain orthogonal Procrustes. Returns the map and the plan's mean cosine (on the kept entries)."""
    mapped = unit_rows(x @ W)
    s = mapped @ z.T
    k = np.exp((s - s.max()) / EPS, dtype=np.float32)
    if keep < 1.0:
        k *= rng.random(k.shape, dtype=np.float32) < keep
    u, v = np.ones(len(x), np.float32), np.ones(len(z), np.float32)
    for _ in range(SWEEPS):
        u = (1.0 / len(x)) / np.maximum(k @ v, 1e-30)
        v = (1.0 / len(z)) / np.maximum(k.T @ u, 1e-30)
    plan = k * u[:, None] * v[None, :]
    mass = plan.sum(1, keepdims=True)
    targets = (plan @ z) / np.maximum(mass, 1e-30)
    objective = float(np.sum(plan * s))
    return polar(x.T.astype(np.float64) @ targets.astype(np.float64)), objective


def start_map(offset):
    """The candidate's map: mini's first map (forward, or fitted B -> A and transposed), then its transport rounds."""
    mini_seed = seed + offset * params.n_seeds
    path = os.path.join(cache_dir, f"cand_{pair}_{seed}_{mini_seed}_{params.anchor_runs}_{int(reverse)}.npz")
    if not os.path.exists(path):
        if reverse:
            r = fit_mini(b, a, params, seed=mini_seed, n_threads=1)
            W0, mean_a, mean_b = r.W.T.copy(), r.mean_b, r.mean_a
        else:
            r = fit_mini(a, b, params, seed=mini_seed, n_threads=1)
            W0, mean_a, mean_b = r.W, r.mean_a, r.mean_b
        x, z = preprocess(a, mean_a), preprocess(b, mean_b)
        W1 = ot_refine(x, z, W0, eps=d["ot_eps"], max_rounds=d["ot_max_rounds"], sweeps=d["ot_sweeps"],
                       tol=d["ot_tol"], n_threads=1)[0]
        np.savez(path, W0=W0, W1=W1, mean_a=mean_a, mean_b=mean_b)
    c = np.load(path)
    return mini_seed, c["W0"], c["W1"], preprocess(a, c["mean_a"]), preprocess(b, c["mean_b"])


def polished(W):
    W2, hist = ot_refine(p.a, p.b, W, eps=d["ot_eps"], max_rounds=16, sweeps=d["ot_sweeps"], tol=d["ot_tol"],
                         n_threads=1, min_rounds=16, ridge=1.0, folds=5, momentum=0.5)
    return W2, hist[-1]["objective"]


with threadpool_limits(1, "blas"):
    for offset in offsets:
        t = time.perf_counter()
        mini_seed, W0, W1, x, z = start_map(offset)
        t_cand = time.perf_counter() - t
        score1 = score_map(xh, zh, W1, np.random.default_rng(8))["score"]
        W_pol, obj_pol = polished(W1)
        line = {"pair": pair, "seed": seed, "mini_seed": mini_seed, "reverse": reverse, "runs": params.anchor_runs,
                "first": p.top1(W0), "candidate": p.top1(W1), "score": score1, "polished": p.top1(W_pol),
                "polished_objective": obj_pol, "candidate_seconds": t_cand}
        print(f"{pair} seed {seed} mini seed {mini_seed}{' B->A' if reverse else ''}: first {line['first']:.3f}, "
              f"candidate {line['candidate']:.3f} (score {score1:.4f}), polished {line['polished']:.3f} "
              f"(objective {obj_pol:.5f})", flush=True)
        rng = np.random.default_rng([seed, offset, 37])
        rows_a = np.sort(rng.choice(len(x), min(n_rows, len(x)), replace=False))
        rows_b = np.sort(rng.choice(len(z), min(n_rows, len(z)), replace=False))
        xs, zs = x[rows_a], z[rows_b]
        W, keep, trace = W1.astype(np.float32), p0, []
        t = time.perf_counter()
        while True:
            for _ in range(stage):
                W, objective = masked_plan_round(xs, zs, W, keep, rng)
            trace.append((keep, p.top1(W), objective))
            print(f"  keep {keep:.2f}: top-1 {trace[-1][1]:.3f} objective {objective:.5f} "
                  f"({time.perf_counter() - t:.0f} s)", flush=True)
            if keep >= 1.0:
                break
            keep = min(1.0, keep * 2)
        score2 = score_map(xh, zh, W, np.random.default_rng(8))["score"]
        W_pol2, obj_pol2 = polished(W)
        line.update(stochastic=trace, stochastic_score=score2, stochastic_polished=p.top1(W_pol2),
                    stochastic_polished_objective=obj_pol2, stochastic_seconds=time.perf_counter() - t,
                    p0=p0, stage=stage, rows=n_rows)
        print(f"  after the stochastic rounds: score {score2:.4f}, polished {line['stochastic_polished']:.3f} "
              f"(objective {obj_pol2:.5f}); {line['stochastic_seconds']:.0f} s", flush=True)
        print(json.dumps(line), flush=True)
