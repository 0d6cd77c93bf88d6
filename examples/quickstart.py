"""Align MiniLM (384-d) with MPNet (768-d) on the committed fixture and score the maps on held-out pairs.

Run from the repository root: python examples/quickstart.py

The fixture holds the same 2,000 English sentences (WordNet glosses) embedded by both models; row i of "a" and row i
of "b" embed the same sentence. Rows 1600-1999 are held out: neither map sees them. Each map translates the 400
held-out MiniLM vectors into MPNet's space, and each translation is ranked by cosine against all 400 held-out MPNet
vectors: top-1 is the fraction whose own partner ranks first (1/400 = 0.0025 by chance), mean rank is that partner's
average rank (200.5 by chance).
"""

import tempfile
from pathlib import Path

import numpy as np

from vec2vec_fast import Aligner
from vec2vec_fast.metrics import retrieval_metrics

pairs = np.load("tests/data/minilm_mpnet_wordnet_2k.npz")
a, b = pairs["a"].astype(np.float32), pairs["b"].astype(np.float32)  # (2000, 384), (2000, 768)
a_test, b_test = a[1600:], b[1600:]

# The supervised baseline: Procrustes on 1,600 *paired* rows (it is told which rows embed the same sentence).
procrustes = Aligner("procrustes").fit(a[:1600], b[:1600])

# mini-vec2vec without pairs: MiniLM rows 0-799 and MPNet rows 800-1599, so no sentence is on both sides.
# The notebook defaults need thousands of rows per side; these two are scaled down for 800.
mini = Aligner("mini", seed=0, refine1_sample=300, refine2_clusters=50).fit(a[:800], b[800:1600])

print("map                            top-1   top-5   mean rank   cosine")
for name, aligner in [("procrustes, 1,600 pairs", procrustes), ("mini, 800 + 800 unpaired rows", mini)]:
    # transform gives unit rows in B's centred frame: compare them with B's rows in the same frame
    m = retrieval_metrics(aligner.transform(a_test), aligner.output_frame(b_test))
    print(f"{name:<30} {m['top1']:.3f}   {m['top5']:.3f}   {m['mean_rank']:9.1f}   {m['mean_cos']:.3f}")

# A fitted map is one .npz file (arrays plus JSON metadata); load gives back the same map.
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "minilm_to_mpnet.npz"
    mini.save(path)
    same = Aligner.load(path)
print("reloaded map identical:", bool(np.array_equal(same.transform(a_test), mini.transform(a_test))))
