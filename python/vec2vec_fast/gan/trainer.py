"""One vec2vec training step (spec 4.1): translator, three adversaries, generator optimizer, loss scaling.

:class:`GanTrainer` holds the models and optimizers and runs :meth:`GanTrainer.train_step` on a batch of each
space; :func:`vec2vec_fast.gan.fit.train_gan` drives it over epochs.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Callable, ContextManager, Dict, Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..configs import GanConfig
from .adversary import Adversary, lr_lambda, scaled_step
from .discriminator import Discriminator
from .losses import cosine_loss, vsp_loss
from .translator import Translator

LOSS_TERMS = ("rec", "vsp", "cc_trans", "cc_vsp", "gen", "sup_gen", "latent_gen", "reverse_rec", "cc_rec",
              "vsp_trans", "total")


class GanDivergedError(FloatingPointError):
    """A loss became NaN or infinite: training stops (the original's ``exit_on_nan``)."""


def resolve_device(device: Any = None) -> torch.device:
    """CUDA when present, else CPU; or the device asked for (an unavailable CUDA is an error)."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} was requested but torch sees no CUDA device")
    return dev


def precision(cfg: GanConfig, device: torch.device) -> Optional[torch.dtype]:
    """The autocast dtype: fp16 / bf16 on CUDA as configured (bf16 falls back to fp16 where unsupported, as in
    the original), None (fp32) on CPU or with mixed_precision = 'no'."""
    if device.type != "cuda" or cfg.mixed_precision == "no":
        return None
    if cfg.mixed_precision == "bf16" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


class GanTrainer:
    """The translator for spaces A = ``cfg.unsup_emb`` (dim d_a) and B = ``cfg.sup_emb`` (dim d_b), the three
    discriminators of the original (``disc`` on A's outputs, ``sup_disc`` on B's, ``latent_disc`` on latents, B's
    latents being 'real'), and the generator's Adam (betas 0.5/0.999, eps 1e-8), warm-up schedule and clipping.

    Weights are drawn from ``generator`` in a fixed order: translator (backbone, A's adapters, B's), then disc,
    sup_disc, latent_disc.
    """

    def __init__(self, dims: Dict[str, int], cfg: GanConfig, device: torch.device, generator: torch.Generator,
                 total_steps: int, translator: Optional[Translator] = None):
        self.cfg, self.device = cfg, device
        self.names = (cfg.unsup_emb, cfg.sup_emb)
        u, s = self.names
        missing = [n for n in self.names if n not in dims]
        if missing:
            raise ValueError(f"dims lacks the configured space names {missing}; got {list(dims)}")
        self.translator = (translator or Translator({u: dims[u], s: dims[s]}, cfg, generator)).to(device)
        dtype = precision(cfg, device)
        self.amp_dtype = dtype
        self.autocast: Callable[[], ContextManager] = (
            (lambda: torch.autocast(device_type=device.type, dtype=dtype)) if dtype is not None else nullcontext)
        scaler_on = dtype == torch.float16
        discs = {"disc": Discriminator(dims[u], cfg.disc_dim, cfg.disc_depth, cfg.weight_init, generator),
                 "sup_disc": Discriminator(dims[s], cfg.disc_dim, cfg.disc_depth, cfg.weight_init, generator),
                 "latent_disc": Discriminator(cfg.d_adapter, cfg.disc_dim, cfg.disc_depth, cfg.weight_init,
                                              generator)}
        self.adversaries = {name: Adversary(d.to(device), cfg, total_steps, autocast=self.autocast,
                                            scaler_enabled=scaler_on, device_type=device.type)
                            for name, d in discs.items()}
        self.optimizer = torch.optim.Adam(self.translator.parameters(), lr=cfg.lr, betas=(0.5, 0.999), eps=1e-8)
        g_steps = max(1, total_steps // cfg.gradient_accumulation_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(cfg, g_steps))
        self.scaler = torch.amp.GradScaler(device.type, enabled=scaler_on)
        self.iteration = 0
        self.noise_generator = torch.Generator(device=device).manual_seed(cfg.sampling_seed)

    @property
    def discriminators(self) -> Dict[str, Discriminator]:
        return {name: adv.disc for name, adv in self.adversaries.items()}

    def _noisy(self, x: torch.Tensor) -> torch.Tensor:
        level = self.cfg.noise_level
        if level <= 0:
            return x
        noise = torch.randn(x.shape, generator=self.noise_generator, device=x.device, dtype=x.dtype)
        return F.normalize(x + level * noise, dim=-1)  # a new tensor: the caller's batch is left alone

    def train_step(self, x_a: torch.Tensor, x_b: torch.Tensor) -> Dict[str, float]:
        """One iteration on a batch of A (``unsup``) and a batch of B (``sup``) rows, different texts.

        1. translator forward on {B: x_b, A: x_a} with latents; 2. one update of each discriminator on detached
        inputs, then its generator term from the updated, frozen discriminator; 3. reconstruction and VSP on the
        reconstructions; 4. a cycle pass on the (detached) translations; 5. the generator update. Returns every
        loss term as a float; raises GanDivergedError on a non-finite loss.
        """
        cfg, t = self.cfg, self.translator
        u, s = self.names
        t.train()
        x_a, x_b = self._noisy(x_a), self._noisy(x_b)
        with self.autocast():
            recons, trans, reps = t({s: x_b, u: x_a}, include_reps=True)
        fake_a, fake_b = trans[u][s], trans[s][u]  # F_{B->A}(x_b) lives in A, F_{A->B}(x_a) in B
        gen, st_a = self.adversaries["disc"].step(real=x_a, fake=fake_a)
        sup_gen, st_b = self.adversaries["sup_disc"].step(real=x_b, fake=fake_b)
        latent_gen, st_l = self.adversaries["latent_disc"].step(real=reps[s], fake=reps[u])
        with self.autocast():
            terms: Dict[str, torch.Tensor] = {
                "rec": 0.5 * (cosine_loss(x_b, recons[s]) + cosine_loss(x_a, recons[u])),
                "vsp": 0.5 * (self._vsp(x_b, recons[s]) + self._vsp(x_a, recons[u])),
            }
            cyc_in_a = fake_a.detach() if cfg.detach_cycle else fake_a
            cyc_in_b = fake_b.detach() if cfg.detach_cycle else fake_b
            recons2, trans2, _ = t({u: cyc_in_a, s: cyc_in_b})
            back_b, back_a = trans2[s][u], trans2[u][s]  # F_{A->B}(F_{B->A}(x_b)) and F_{B->A}(F_{A->B}(x_a))
            terms["cc_trans"] = 0.5 * (cosine_loss(x_b, back_b) + cosine_loss(x_a, back_a))
            terms["cc_vsp"] = 0.5 * (self._vsp(x_b, back_b) + self._vsp(x_a, back_a))
            terms["gen"], terms["sup_gen"], terms["latent_gen"] = gen, sup_gen, latent_gen
            zero = terms["rec"].new_zeros(())
            terms["reverse_rec"] = (0.5 * (cosine_loss(x_a, fake_a) + cosine_loss(x_b, fake_b))
                                    if cfg.loss_coefficient_reverse_rec > 0 else zero)
            terms["cc_rec"] = (0.5 * (cosine_loss(x_b, recons2[s]) + cosine_loss(x_a, recons2[u]))
                               if cfg.loss_coefficient_cc_rec > 0 else zero)
            terms["vsp_trans"] = (0.5 * (vsp_loss(x_b, fake_a, reflected=False, squared=cfg.vsp_squared)
                                         + vsp_loss(x_a, fake_b, reflected=False, squared=cfg.vsp_squared))
                                  if cfg.loss_coefficient_vsp_trans > 0 else zero)
            total = (cfg.loss_coefficient_rec * terms["rec"] + cfg.loss_coefficient_vsp * terms["vsp"]
                     + cfg.loss_coefficient_cc_trans * terms["cc_trans"] + cfg.loss_coefficient_cc_vsp * terms["cc_vsp"]
                     + cfg.loss_coefficient_gen * (terms["gen"] + terms["sup_gen"])
                     + cfg.loss_coefficient_latent_gen * terms["latent_gen"]
                     + cfg.loss_coefficient_reverse_rec * terms["reverse_rec"]
                     + cfg.loss_coefficient_cc_rec * terms["cc_rec"]
                     + cfg.loss_coefficient_vsp_trans * terms["vsp_trans"])
            terms["total"] = total
        values = dict(zip(terms, torch.stack([v.detach().float() for v in terms.values()]).tolist()))
        disc_values = [st_a["loss"], st_b["loss"], st_l["loss"]]
        if not all(map(_finite, list(values.values()) + disc_values)):
            bad = {k: v for k, v in values.items() if not _finite(v)}
            bad.update({n: v for n, v in zip(("disc", "sup_disc", "latent_disc"), disc_values) if not _finite(v)})
            raise GanDivergedError(f"non-finite loss at iteration {self.iteration}: {bad}")
        k = cfg.gradient_accumulation_steps
        self.scaler.scale(total / k).backward()
        if (self.iteration + 1) % k == 0:
            self.scaler.unscale_(self.optimizer)
            values["grad_norm"] = float(nn.utils.clip_grad_norm_(t.parameters(), cfg.max_grad_norm))
            scaled_step(self.scaler, self.optimizer, self.scheduler)
            self.optimizer.zero_grad(set_to_none=True)
        self.iteration += 1
        values.update({"d_disc": st_a["loss"], "d_sup_disc": st_b["loss"], "d_latent_disc": st_l["loss"],
                       "acc_real_disc": st_a["acc_real"], "acc_fake_disc": st_a["acc_fake"]})
        return values

    def _vsp(self, inputs: torch.Tensor, outputs: torch.Tensor) -> torch.Tensor:
        return vsp_loss(inputs, outputs, reflected=self.cfg.vsp_reflected, squared=self.cfg.vsp_squared)

    def state_dict(self) -> Dict[str, Any]:
        """Everything needed to inspect or resume: translator, discriminators, all optimizers and schedules."""
        return {"translator": self.translator.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                "adversaries": {name: adv.state_dict() for name, adv in self.adversaries.items()},
                "iteration": self.iteration}


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))
