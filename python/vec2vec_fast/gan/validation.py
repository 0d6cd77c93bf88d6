"""Per-epoch validation: label-free geometry diagnostics always, retrieval metrics when paired rows are given.

Label-free (no pairs needed), per space s and direction s -> t:
  rec_cos[s]        mean cos(x, R_s(x))
  cycle_cos[s]      mean cos(x, F_{t->s}(F_{s->t}(x)))
  vsp[s->t]         mean |S Sᵀ − T Tᵀ| in blocks of ``val_bs`` rows (S = inputs, T = their translations): how much
                    the translation distorts the pairwise geometry (the paper's VSP, in L1)
  matching[s->t]    mean cos of each translation to the mean of its 50 nearest real rows of space t (centred on
                    t's mean): the linear method's label-free seed-selection score; high when translations land on
                    the target's data
  label_free        mean over both directions of (1 − matching) + vsp; lower is better. The vsp part penalises
                    a collapsed generator, which a linear map cannot be. It ranks epochs and seeds when no paired
                    rows exist.
Paired (``val_a``, ``val_b``): top1, top5, mean_rank, mean_cos per direction from
:func:`vec2vec_fast.metrics.retrieval_metrics` (each translation ranked among the true targets of its pool of
``val_bs`` rows: the paper's orientation), and ``mean_rank`` = the mean of both directions' ranks, the score the
original's early stopping uses (lower is better).
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from ..metrics import retrieval_metrics
from .data import TrainData
from .trainer import GanDivergedError
from .translator import Translator


@torch.no_grad()
def translate_all(translator: Translator, x: torch.Tensor, source: str, target: str, batch: int = 4096
                  ) -> torch.Tensor:
    """Translate every row in eval mode (BatchNorm running statistics, no dropout), ``batch`` rows at a time."""
    was_training = translator.training
    translator.eval()
    try:
        return torch.cat([translator.translate(x[i:i + batch], source, target) for i in range(0, len(x), batch)])
    finally:
        translator.train(was_training)


def _mean_cos(x: torch.Tensor, y: torch.Tensor) -> float:
    return float(F.cosine_similarity(x.float(), y.float(), dim=-1).mean())


def _blocked_vsp(inputs: torch.Tensor, outputs: torch.Tensor, block: int) -> float:
    total, count = 0.0, 0
    for i in range(0, len(inputs), block):
        s = F.normalize(inputs[i:i + block].float(), dim=-1)
        t = F.normalize(outputs[i:i + block].float(), dim=-1)
        total += float((s @ s.T - t @ t.T).abs().sum())
        count += len(s) ** 2
    return total / count


def matching_score(queries: torch.Tensor, base: torch.Tensor, k: int = 50, chunk: int = 1024) -> float:
    """Mean cosine between each query and the mean of its ``k`` nearest ``base`` rows, both centred on the mean of
    ``base``: the label-free score the linear method selects seeds by (:func:`vec2vec_fast.mini._matching_score`),
    in the translator's frame. Translations that land in the target's dense regions score high."""
    centre = base.float().mean(0)
    base_c = F.normalize(base.float() - centre, dim=-1)
    k = min(k, len(base))
    scores = []
    for i in range(0, len(queries), chunk):
        q = F.normalize(queries[i:i + chunk].float() - centre, dim=-1)
        idx = (q @ base_c.T).topk(k, dim=1).indices
        scores.append(F.cosine_similarity(q, base_c[idx].mean(1), dim=-1))
    return float(torch.cat(scores).mean())


@torch.no_grad()
def evaluate(translator: Translator, data: TrainData, names: Tuple[str, str], val_bs: int) -> Dict[str, float]:
    """All validation metrics for spaces ``names`` = (A, B) as a flat dict, plus ``score`` (lower is better):
    the paired mean rank when paired rows exist, else ``label_free``."""
    u, s = names
    out: Dict[str, float] = {}
    sides = {u: data.diag_a, s: data.diag_b}
    penalty = []
    for src, tgt in ((u, s), (s, u)):
        x = sides[src]
        trans = translate_all(translator, x, src, tgt)
        if not bool(torch.isfinite(trans).all()):
            raise GanDivergedError(f"the translations {src}->{tgt} of the validation rows contain NaN or inf")
        out[f"rec_cos[{src}]"] = _mean_cos(x, translate_all(translator, x, src, src))
        out[f"cycle_cos[{src}]"] = _mean_cos(x, translate_all(translator, trans, tgt, src))
        out[f"vsp[{src}->{tgt}]"] = _blocked_vsp(x, trans, val_bs)
        out[f"matching[{src}->{tgt}]"] = matching_score(trans, sides[tgt])
        penalty.append(1.0 - out[f"matching[{src}->{tgt}]"] + out[f"vsp[{src}->{tgt}]"])
    out["label_free"] = sum(penalty) / len(penalty)
    score: Optional[float] = None
    if data.val_a is not None and data.val_b is not None:
        ranks = []
        for src, tgt, x, y in ((u, s, data.val_a, data.val_b), (s, u, data.val_b, data.val_a)):
            pred = translate_all(translator, x, src, tgt).float().cpu().numpy()
            m = retrieval_metrics(pred, y.float().cpu().numpy(), block=val_bs)
            for key in ("top1", "top5", "mean_rank", "mean_cos"):
                out[f"{key}[{src}->{tgt}]"] = m[key]
            ranks.append(m["mean_rank"])
        out["mean_rank"] = sum(ranks) / len(ranks)
        score = out["mean_rank"]
    out["score"] = out["label_free"] if score is None else score
    return out
