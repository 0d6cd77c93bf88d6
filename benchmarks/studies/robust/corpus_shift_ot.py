"""corpus_shift.py found the default fit "failed" (top-1 0.001) when 30% of B's rows are WordNet glosses and A holds
only Wikipedia. Which stage breaks: the first correspondence, or the transport rounds too? Started at the supervised
ceiling map (Procrustes on Wikipedia's true pairs), the candidates' rounds (eps 0.03, plain, 12) and the polish's
(eps 0.03, ridge-whitened, 5 folds, momentum 0.5, 16), on A = MiniLM Wikipedia and B = USE with a share of WordNet
rows; top-1 on Wikipedia's held-out pairs, each eval side centred with its own mean.

usage (repository root): python benchmarks/studies/robust/corpus_shift_ot.py WIKI_DIR WORDNET_DIR ROWS SHARE ..."""
import sys

import numpy as np
from corpus_shift import top1, unit

from vec2vec_fast import procrustes
from vec2vec_fast._numerics import preprocess
from vec2vec_fast.transport import ot_refine


wiki_a, wiki_b = (np.load(f"{sys.argv[1]}/{s}.npy").astype(np.float32) for s in "AB")
wn_b = np.load(f"{sys.argv[2]}/B.npy").astype(np.float32)
rows = int(sys.argv[3])
ev_a, ev_b = wiki_a[-8192:], wiki_b[-8192:]
a_train = wiki_a[:rows]
wiki_pool, wn_pool = wiki_b[rows:len(wiki_b) - 8192], wn_b[:len(wn_b) - 4096]
ceiling = procrustes(unit(a_train - a_train.mean(0)), unit(wiki_b[:rows] - wiki_b[:rows].mean(0)))
print(f"ceiling {top1(ceiling, ev_a, ev_b):.4f}", flush=True)
for share in (float(s) for s in sys.argv[4:]):
    n_wn = int(round(share * rows))
    rng = np.random.default_rng(0)
    b_train = np.concatenate([wiki_pool[rng.choice(len(wiki_pool), rows - n_wn, replace=False)],
                              wn_pool[rng.choice(len(wn_pool), n_wn, replace=False)]])
    x, z = preprocess(a_train, a_train.mean(0)), preprocess(b_train, b_train.mean(0))
    W_c, hist_c = ot_refine(x, z, ceiling, eps=0.03, max_rounds=12, sweeps=10, tol=1e-4, n_threads=2)
    W_p, _ = ot_refine(x, z, ceiling, eps=0.03, max_rounds=16, sweeps=10, tol=1e-4, n_threads=2, min_rounds=16,
                       ridge=1.0, folds=5, momentum=0.5)
    print(f"share {share}: candidate rounds ({len(hist_c)}) {top1(W_c, ev_a, ev_b):.4f}, "
          f"polish rounds {top1(W_p, ev_a, ev_b):.4f}", flush=True)
