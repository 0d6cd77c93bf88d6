"""What does the default fit say when the two sides embed texts of different corpora? A user aligns whatever sets
they have; the method assumes both sides sample one distribution of texts. A = MiniLM on Wikipedia sentences; B = USE
on a mix of other Wikipedia sentences and, for a share SHARE of its rows, WordNet glosses (share 1: B holds no
Wikipedia at all). The true map is the same whatever the texts (same two models), so the supervised ceiling (Procrustes
on Wikipedia's true pairs) says what a map could reach; each map is scored on both corpora's held-out true pairs,
every eval set centred with its own means (the map's rotation, not the training means' shift, is under test). The
question: is a map that misses reported "ok"?

usage (repository root): python benchmarks/studies/robust/corpus_shift.py WIKI_DIR WORDNET_DIR ROWS SHARE:SEED ...
(WIKI_DIR / WORDNET_DIR: make_pairs.py --layout shared folders of MiniLM -> USE; ROWS training rows a side)"""
import json
import sys
import time
import warnings
from types import SimpleNamespace

import numpy as np
from study_pair import bq

from vec2vec_fast import Aligner, procrustes

unit = bq.unit


def top1(W, a, b):
    """top-1 of W on the paired rows a, b, each side centred with its own mean."""
    return bq.quality(W, unit(a - a.mean(0)), unit(b - b.mean(0)))["top1"]


def shift_data(wiki_dir, wordnet_dir, rows):
    """SimpleNamespace: a_train (A's first ROWS Wikipedia rows), evals (each corpus's held-out pairs), wiki_pool /
    wn_pool (B's rows to draw from: none of A's sentences, none of the eval rows), ceiling (Procrustes on A's true
    pairs)."""
    wiki_a, wiki_b = (np.load(f"{wiki_dir}/{s}.npy").astype(np.float32) for s in "AB")
    wn_a, wn_b = (np.load(f"{wordnet_dir}/{s}.npy").astype(np.float32) for s in "AB")
    a_train = wiki_a[:rows]
    return SimpleNamespace(
        a_train=a_train, evals={"wiki": (wiki_a[-8192:], wiki_b[-8192:]), "wordnet": (wn_a[-4096:], wn_b[-4096:])},
        wiki_pool=wiki_b[rows:len(wiki_b) - 8192], wn_pool=wn_b[: len(wn_b) - 4096],
        ceiling=procrustes(unit(a_train - a_train.mean(0)), unit(wiki_b[:rows] - wiki_b[:rows].mean(0))))


def draw_b(data, share, seed):
    """B's training rows: as many as A's, a share of them WordNet glosses (last), the rest Wikipedia, seeded."""
    rows = len(data.a_train)
    n_wn = int(round(share * rows))
    rng = np.random.default_rng(seed)
    return np.concatenate([data.wiki_pool[rng.choice(len(data.wiki_pool), rows - n_wn, replace=False)],
                           data.wn_pool[rng.choice(len(data.wn_pool), n_wn, replace=False)]])


def main():
    rows = int(sys.argv[3])
    data = shift_data(sys.argv[1], sys.argv[2], rows)
    a_train, evals = data.a_train, data.evals
    print("ceiling", {k: round(top1(data.ceiling, *v), 4) for k, v in evals.items()}, flush=True)
    for job in sys.argv[4:]:
        share, seed = float(job.split(":")[0]), int(job.split(":")[1])
        b_train = draw_b(data, share, seed)
        t = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            al = Aligner(seed=seed).fit(a_train, b_train)
        conf = al.report_["confidence"]
        print(json.dumps({"share_wordnet_in_B": share, "seed": seed, "rows": rows,
                          **{f"top1_{k}": round(top1(al.W_, *v), 4) for k, v in evals.items()},
                          "status": al.report_["status"], "score": conf.get("score"), "agreement": conf.get("agreement"),
                          "candidates": [(c["seed"], c["anchor_clusters"], round(c["score"], 4))
                                         for c in al.report_.get("candidates", [])],
                          "seconds": round(time.perf_counter() - t), "warned": [str(w.message)[:100] for w in caught]}),
              flush=True)


if __name__ == "__main__":
    main()
