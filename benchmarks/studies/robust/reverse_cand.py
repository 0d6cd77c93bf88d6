"""Candidates fitted the other way round. The two directions of one pair do not fail alike: MiniLM -> USE WordNet finds
the map on 9 of 10 seeds while USE -> MiniLM seed 0 failed (stop 35), and e5-small -> USE's candidates reach the
upper basin on 4 of 6 seeds while USE -> e5-small's 300-run ones never do (sixteenth round). A candidate for A -> B
can come from mini fitted B -> A: its map V (d_b, d_a) transposed is a semi-orthogonal A -> B map. Each such
candidate here: mini B -> A at mini-ot's candidate settings (mini seed SEED + o * n_seeds), transposed, then the
candidate's transport rounds A -> B and the library's score on held-out rows; then the method's polish (16
cross-fitted rounds, momentum 0.5, ridge 1) on all training rows. Prints top-1 at each step.
usage (repository root): python benchmarks/studies/robust/reverse_cand.py DATA_DIR PAIR SEED COUNT [forward]"""
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, "benchmarks/studies/robust")
from study_pair import candidate_rows  # noqa: E402
from vec2vec_fast._numerics import preprocess  # noqa: E402
from vec2vec_fast.confidence import score_map  # noqa: E402
from vec2vec_fast.mini import fit_mini  # noqa: E402
from vec2vec_fast.transport import ot_refine  # noqa: E402

data_dir, pair, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
forward = len(sys.argv) > 5 and sys.argv[5] == "forward"
p, d, params, a, b = candidate_rows(data_dir, pair, seed)
held = 2000
xh, zh = p.ev_a[: len(p.ev_a) // 2], p.ev_b[len(p.ev_b) // 2:]
for o in range(count):
    t = time.perf_counter()
    mini_seed = seed + o * params.n_seeds
    if forward:
        r = fit_mini(a, b, params, seed=mini_seed, n_threads=1)
        W0, mean_a, mean_b = r.W, r.mean_a, r.mean_b
    else:
        r = fit_mini(b, a, params, seed=mini_seed, n_threads=1)
        W0, mean_a, mean_b = r.W.T.copy(), r.mean_b, r.mean_a
    x, z = preprocess(a, mean_a), preprocess(b, mean_b)
    with threadpool_limits(1, "blas"):
        W1 = ot_refine(x, z, W0, eps=d["ot_eps"], max_rounds=d["ot_max_rounds"], sweeps=d["ot_sweeps"],
                       tol=d["ot_tol"], n_threads=1)[0]
        score = score_map(xh, zh, W1, np.random.default_rng(8))["score"]
        W2, hist = ot_refine(p.a, p.b, W1, eps=d["ot_eps"], max_rounds=16, sweeps=d["ot_sweeps"], tol=d["ot_tol"],
                             n_threads=1, min_rounds=16, ridge=1.0, folds=5, momentum=0.5)
    print(f"{pair} seed {seed} {'forward' if forward else 'reverse'} mini seed {mini_seed}: first map "
          f"{p.top1(W0):.3f}, after the candidate's rounds {p.top1(W1):.3f} (score {score:.4f}), polished "
          f"{p.top1(W2):.3f} (objective {hist[-1]['objective']:.5f}); {time.perf_counter() - t:.0f} s", flush=True)
