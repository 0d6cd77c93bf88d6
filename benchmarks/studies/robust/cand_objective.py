"""Does the transport objective pick the better basin among mini-ot's candidates? Every candidate refines on the same
sampled rows, so their final plan mean cosines compare directly. For each seed: each candidate's objective after its
rounds, its confidence score, and its top-1 on the held-out pairs (before the polish), and which one the confidence
kept.
usage (repository root): python benchmarks/studies/robust/cand_objective.py PAIR CANDIDATES SEED [SEED ...]"""
import sys

sys.path.insert(0, "benchmarks")
import bench_quality as bq  # noqa: E402
from study_pair import split  # noqa: E402
from vec2vec_fast import Aligner  # noqa: E402
from vec2vec_fast.methods import mini_ot  # noqa: E402

pair = sys.argv[1]
CANDIDATES = int(sys.argv[2])
a_tr, b_tr, ev_a, ev_b, _ = split(pair)
refine, calls = mini_ot.ot_refine, []


def recording(*args, **kw):
    W, history = refine(*args, **kw)
    calls.append((W, history))
    return W, history


mini_ot.ot_refine = recording
for seed in map(int, sys.argv[3:]):
    calls.clear()
    al = Aligner(seed=seed, polish_rounds=0, n_threads=1, candidates=CANDIDATES).fit(a_tr, b_tr)
    scores = [c["score"] for c in al.report_["candidates"]]
    line = [f"cand {i}: objective {h[-1]['objective']:.5f} score {s:.4f} top1 {bq.quality(W, ev_a, ev_b)['top1']:.4f}"
            for i, ((W, h), s) in enumerate(zip(calls, scores))]
    print(f"{pair} seed {seed}: kept top1 {bq.quality(al.W_, ev_a, ev_b)['top1']:.4f} | " + " | ".join(line),
          flush=True)
