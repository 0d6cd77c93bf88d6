"""Retrieval metrics for translated embeddings, computed as the mini-vec2vec reference does (spec 1.8)."""

from __future__ import annotations

from typing import Dict

import numpy as np
from numpy.typing import ArrayLike

from ._numerics import unit_rows  # float64 norms: exact for any finite row
from ._validation import as_float32_matrix, check_int, check_same_dim

_QUERY_CHUNK = 1024  # queries scored at once: a chunk x block float32 score matrix (32 MB at block 8192)


def retrieval_metrics(pred: ArrayLike, target: ArrayLike, *, block: int = 8192) -> Dict[str, float]:
    """How well translated vectors find their true partners among all candidates.

    Row i of `pred` (e.g. A's eval vectors mapped into B's space) is paired with row i of `target`. The pairs are cut
    into consecutive blocks of `block` rows, and each query is ranked by cosine similarity against every target of
    its block (the reference uses one block of 8,192; vec2vec's paper averages blocks of 8,192).

    Returns
    -------
    dict with
        top1 : fraction of queries whose true target scores highest in their block
        top5 : fraction whose true target is among the 5 highest
        mean_rank : mean 1-based rank of the true target (1 = best); targets scoring exactly as high as the true one
            do not push it down
        mean_cos : mean cosine similarity between each query and its true target
        n : number of pairs
    Memory stays at a 1,024 x block score matrix, so 65,536 pairs need no more than a block does.
    """
    p = as_float32_matrix(pred, "pred")
    t = as_float32_matrix(target, "target")
    check_same_dim(p, t, "pred", "target")
    if p.shape[0] != t.shape[0]:
        raise ValueError(f"pred has {p.shape[0]} rows but target has {t.shape[0]}: rows must be paired")
    block = check_int(block, "block", low=1)
    n = p.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    cos = np.empty(n, dtype=np.float64)
    for b0 in range(0, n, block):
        targets = unit_rows(t[b0 : b0 + block])
        for q0 in range(b0, min(b0 + block, n), _QUERY_CHUNK):
            q1 = min(q0 + _QUERY_CHUNK, b0 + block, n)
            scores = unit_rows(p[q0:q1]) @ targets.T
            own = scores[np.arange(q1 - q0), np.arange(q0 - b0, q1 - b0)]
            ranks[q0:q1] = 1 + (scores > own[:, None]).sum(axis=1)
            cos[q0:q1] = own
            del scores  # before the next chunk's scores exist: one chunk x block matrix at a time, not two
    return {"top1": float(np.mean(ranks == 1)), "top5": float(np.mean(ranks <= 5)),
            "mean_rank": float(ranks.mean()), "mean_cos": float(cos.mean()), "n": n}
