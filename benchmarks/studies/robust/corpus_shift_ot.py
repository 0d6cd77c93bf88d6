"""corpus_shift.py found the default fit "failed" (top-1 0.001) when 30% of B's rows are WordNet glosses and A holds
only Wikipedia. Which stage breaks: the first correspondence, or the transport rounds too? Started at the supervised
ceiling map (Procrustes on Wikipedia's true pairs), the candidates' rounds (eps 0.03, plain, 12) and the polish's
(eps 0.03, ridge-whitened, 5 folds, momentum 0.5, 16), on A = MiniLM Wikipedia and B = USE with a share of WordNet
rows; top-1 on Wikipedia's held-out pairs, each eval side centred with its own mean.

usage (repository root): python benchmarks/studies/robust/corpus_shift_ot.py WIKI_DIR WORDNET_DIR ROWS SHARE ..."""
import sys

from corpus_shift import draw_b, shift_data, top1

from vec2vec_fast._numerics import preprocess
from vec2vec_fast.transport import ot_refine

data = shift_data(sys.argv[1], sys.argv[2], int(sys.argv[3]))
a_train, ceiling, (ev_a, ev_b) = data.a_train, data.ceiling, data.evals["wiki"]
print(f"ceiling {top1(ceiling, ev_a, ev_b):.4f}", flush=True)
for share in (float(s) for s in sys.argv[4:]):
    b_train = draw_b(data, share, 0)
    x, z = preprocess(a_train, a_train.mean(0)), preprocess(b_train, b_train.mean(0))
    W_c, hist_c = ot_refine(x, z, ceiling, eps=0.03, max_rounds=12, sweeps=10, tol=1e-4, n_threads=2)
    W_p, _ = ot_refine(x, z, ceiling, eps=0.03, max_rounds=16, sweeps=10, tol=1e-4, n_threads=2, min_rounds=16,
                       ridge=1.0, folds=5, momentum=0.5)
    print(f"share {share}: candidate rounds ({len(hist_c)}) {top1(W_c, ev_a, ev_b):.4f}, "
          f"polish rounds {top1(W_p, ev_a, ev_b):.4f}", flush=True)
