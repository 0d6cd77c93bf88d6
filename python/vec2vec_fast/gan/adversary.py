"""One discriminator with its optimizer, schedule and loss scaler, stepped as the original's ``VanillaGAN.step``:
one discriminator update on detached inputs, then the generator term scored by the updated, frozen discriminator."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Callable, ContextManager, Dict

import torch
from torch import nn

from ..configs import GanConfig
from .discriminator import Discriminator
from .losses import discriminator_loss, generator_loss, gradient_penalty


def lr_lambda(cfg: GanConfig, total_steps: int) -> Callable[[int], float]:
    """The original's LambdaLR factor: step / warmup_length during warm-up (0 at step 0), then 1 with
    ``no_scheduler`` (the default) or a linear decay to 0 at ``total_steps``."""
    warmup = cfg.warmup_length

    def factor(step: int) -> float:
        if step < warmup:
            return step / warmup
        if cfg.no_scheduler:
            return 1.0
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor


def scaled_step(scaler: torch.amp.GradScaler, optimizer: torch.optim.Optimizer,
                scheduler: torch.optim.lr_scheduler.LRScheduler) -> bool:
    """Optimizer step through the loss scaler; the schedule advances only when the step was taken (a fp16 step
    with overflowing gradients is skipped, as Accelerate's scheduler wrapper does). Returns whether it was."""
    scale = scaler.get_scale()
    scaler.step(optimizer)
    scaler.update()
    taken = not scaler.is_enabled() or scaler.get_scale() >= scale
    if taken:
        scheduler.step()
    return taken


class Adversary:
    """A discriminator on one space (or on the latent), its Adam optimizer (betas 0.5/0.999, ``disc_lr``, ``eps``),
    warm-up schedule and GradScaler (enabled only for fp16 on CUDA)."""

    def __init__(self, disc: Discriminator, cfg: GanConfig, total_steps: int, *,
                 autocast: Callable[[], ContextManager] = nullcontext, scaler_enabled: bool = False,
                 device_type: str = "cpu"):
        self.disc, self.cfg, self.autocast = disc, cfg, autocast
        self.optimizer = torch.optim.Adam(disc.parameters(), lr=cfg.disc_lr, betas=(0.5, 0.999), eps=cfg.eps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(cfg, total_steps))
        self.scaler = torch.amp.GradScaler(device_type, enabled=scaler_enabled)

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> Dict[str, float]:
        """One update of the discriminator on detached ``real`` and ``fake``; touches nothing else."""
        disc, cfg = self.disc, self.cfg
        disc.train()
        disc.requires_grad_(True)
        real, fake = real.detach(), fake.detach()
        with self.autocast():
            d_real, d_fake = disc(real), disc(fake)
            loss = discriminator_loss(cfg.gan_style, d_real, d_fake, cfg.smooth)
            if cfg.loss_coefficient_r1_penalty > 0:
                loss = loss + cfg.loss_coefficient_r1_penalty * gradient_penalty(disc, real, fake)
            loss = cfg.loss_coefficient_disc * loss
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        grad_norm = nn.utils.clip_grad_norm_(disc.parameters(), cfg.max_grad_norm)
        scaled_step(self.scaler, self.optimizer, self.scheduler)
        with torch.no_grad():
            real_sq, fake_sq = d_real.float().pow(2), d_fake.float().pow(2)
            return {"loss": float(loss.detach()), "grad_norm": float(grad_norm),
                    "acc_real": float((real_sq < 0.5).float().mean()),
                    "acc_fake": float((fake_sq > 0.5).float().mean())}

    def generator_term(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """The generator's adversarial loss on the non-detached ``fake``, scored by the frozen discriminator, so
        that gradients reach only the translator."""
        self.disc.eval()
        self.disc.requires_grad_(False)
        with self.autocast():
            d_real = self.disc(real.detach()) if self.cfg.gan_style == "relativistic" else None
            return generator_loss(self.cfg.gan_style, self.disc(fake), d_real)

    def step(self, real: torch.Tensor, fake: torch.Tensor):
        """Discriminator update, then the generator term: (g_loss, discriminator stats)."""
        stats = self.discriminator_step(real, fake)
        return self.generator_term(fake, real), stats

    def state_dict(self) -> Dict[str, object]:
        return {"disc": self.disc.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict()}
