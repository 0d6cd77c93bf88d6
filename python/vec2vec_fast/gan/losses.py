"""Loss terms (spec 3): adversarial (least squares with the original's inverted labels, vanilla, relativistic),
gradient penalty, reconstruction / cycle cosine, and the geometry-preservation (VSP) term."""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def discriminator_loss(style: str, d_real: torch.Tensor, d_fake: torch.Tensor, smooth: float) -> torch.Tensor:
    """The discriminator's loss; it learns **0 for real, 1 for fake** (the original's convention, spec 3.1).

    least_squares: ½[mean D(real)² + mean (D(fake) − 1)²] (no label smoothing). vanilla: mean of BCE-with-logits
    against 1 − smooth (real) and smooth (fake). relativistic: BCE(D(fake) − D(real), 1).
    """
    d_real, d_fake = d_real.float(), d_fake.float()
    if style == "least_squares":
        return 0.5 * (d_real.pow(2).mean() + (d_fake - 1).pow(2).mean())
    if style == "vanilla":
        real = F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 1.0 - smooth))
        fake = F.binary_cross_entropy_with_logits(d_fake, torch.full_like(d_fake, smooth))
        return 0.5 * (real + fake)
    if style == "relativistic":
        diff = d_fake - d_real
        return F.binary_cross_entropy_with_logits(diff, torch.ones_like(diff))
    raise ValueError(f"gan_style must be 'least_squares', 'vanilla' or 'relativistic', got {style!r}")


def generator_loss(style: str, d_fake: torch.Tensor, d_real: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The generator's adversarial term: push fakes toward the 'real' value 0. least_squares: ½ mean D(fake)²;
    vanilla: BCE(D(fake), 0); relativistic: BCE(D(real) − D(fake), 1) (needs ``d_real``)."""
    d_fake = d_fake.float()
    if style == "least_squares":
        return 0.5 * d_fake.pow(2).mean()
    if style == "vanilla":
        return F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    if style == "relativistic":
        if d_real is None:
            raise ValueError("the relativistic generator loss needs D(real)")
        diff = d_real.float() - d_fake
        return F.binary_cross_entropy_with_logits(diff, torch.ones_like(diff))
    raise ValueError(f"gan_style must be 'least_squares', 'vanilla' or 'relativistic', got {style!r}")


def gradient_penalty(disc: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """R1 + R2: squared gradient norms of sum D(.) with respect to real and to fake inputs, summed over rows and
    dimensions (spec 3.1; weighted 0 in every original config)."""
    total = real.new_zeros(())
    for x in (real, fake):
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(disc(x).sum(), x, create_graph=True)
        total = total + grad.float().pow(2).sum()
    return total


def cosine_loss(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """1 − mean row-wise cosine."""
    return 1.0 - F.cosine_similarity(target.float(), output.float(), dim=-1).mean()


def vsp_loss(inputs: torch.Tensor, outputs: torch.Tensor, *, reflected: bool = True,
             squared: bool = False) -> torch.Tensor:
    """Geometry preservation as the original computes it (spec 3.3): with S = n(inputs) (detached) and
    A = n(outputs), mean|SSᵀ − AAᵀ| + mean|SSᵀ − ASᵀ| over all B×B entries. ``reflected=False`` drops the
    second term and ``squared=True`` squares the errors: the paper's form."""
    s = F.normalize(inputs.detach().float(), dim=-1)
    a = F.normalize(outputs.float(), dim=-1)
    ss = s @ s.T
    diff = ss - a @ a.T
    loss = diff.pow(2).mean() if squared else diff.abs().mean()
    if reflected:
        cross = ss - a @ s.T
        loss = loss + (cross.pow(2).mean() if squared else cross.abs().mean())
    return loss
