"""``init = "mini"``: warm-start the translator from the mini-vec2vec linear map (beyond the original).

1. Fit mini-vec2vec (:func:`vec2vec_fast.mini.fit_mini`, the ``mini_*`` keys) on the unpaired training rows, raw
   (before the translator's normalization), as ``Aligner("mini")`` does.
2. Its map gives a teacher target for every training row in the other space: A row x -> the linear estimate of
   x's B embedding, normalize(s_b · normalize(normalize(x − μ_a) W) + μ_b), with s_b = B's typical centred norm,
   and B row y -> the same through W's pseudo-inverse. The targets live in the translator's own frame.
3. ``init_steps`` Adam steps (lr ``init_lr``) fit the translator to these targets: 1 − cos to the teacher for
   both translations plus the reconstruction loss. No discriminator is involved. The GAN then starts from this
   translator with fresh optimizers and the usual warm-up, so the first adversarial steps are small.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import torch

from .._numerics import unit_rows
from ..configs import GanConfig
from ..mini import fit_mini
from .data import TrainData
from .losses import cosine_loss
from .translator import Translator


def linear_teacher(data: TrainData, cfg: GanConfig, n_threads: Optional[int]
                   ) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, Any]]:
    """Fit mini-vec2vec on the raw training rows (as ``Aligner("mini")`` would); return the teacher targets for A's
    rows (in B) and B's rows (in A), in the translator's frame."""
    t0 = time.perf_counter()
    a = data.raw_a if data.raw_a is not None else data.a.float().cpu().numpy()
    b = data.raw_b if data.raw_b is not None else data.b.float().cpu().numpy()
    result = fit_mini(a, b, cfg.mini_params(), seed=cfg.seed, n_threads=n_threads)
    scale_a, scale_b = result.scale_a, result.scale_b

    def to_frame(y_unit: np.ndarray, scale: float, mean: np.ndarray) -> np.ndarray:
        raw = y_unit * scale + mean
        return unit_rows(raw) if cfg.normalize_embeddings else raw.astype(np.float32)

    fitted = result.map  # the same transform as Aligner("mini"): matmul_rows, pseudo-inverse computed once
    target_b = to_frame(fitted.transform(a), scale_b, result.mean_b)
    target_a = to_frame(fitted.inverse_transform(b), scale_a, result.mean_a)
    report = {"seconds": time.perf_counter() - t0, "seed": result.seed,
              "refine2_self_consistency": result.report.get("refine2_self_consistency"),
              "orthogonality_error": result.report.get("orthogonality_error")}
    device = data.a.device
    return torch.from_numpy(target_b).to(device), torch.from_numpy(target_a).to(device), report


def distill(translator: Translator, data: TrainData, targets: Tuple[torch.Tensor, torch.Tensor], cfg: GanConfig,
            generator: torch.Generator, on_step: Optional[Callable[[int, float], None]] = None) -> Dict[str, Any]:
    """Fit the translator to the teacher targets for ``init_steps`` steps; returns the loss at the start and end."""
    target_b, target_a = targets
    u, s = cfg.unsup_emb, cfg.sup_emb
    optimizer = torch.optim.Adam(translator.parameters(), lr=cfg.init_lr)
    translator.train()
    losses = []
    n_a, n_b, bs = len(data.a), len(data.b), cfg.bs
    for step in range(cfg.init_steps):
        ia = torch.randint(n_a, (bs,), generator=generator).to(data.a.device)
        ib = torch.randint(n_b, (bs,), generator=generator).to(data.b.device)
        x_a, x_b = data.a[ia], data.b[ib]
        recons, trans, _ = translator({u: x_a, s: x_b})  # fp32 even on CUDA: a short phase, no loss scaling
        loss = (cosine_loss(target_b[ia], trans[s][u]) + cosine_loss(target_a[ib], trans[u][s])
                + 0.5 * (cosine_loss(x_a, recons[u]) + cosine_loss(x_b, recons[s])))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        value = float(loss.detach())
        if not np.isfinite(value):
            from .trainer import GanDivergedError

            raise GanDivergedError(f"the init='mini' warm start diverged: loss {value} at step {step}; "
                                   f"lower init_lr (now {cfg.init_lr})")
        losses.append(value)
        if on_step is not None:
            on_step(step, value)
    return {"steps": cfg.init_steps, "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None}
