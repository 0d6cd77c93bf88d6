"""vec2vec (Jha et al. 2025) in torch: the GAN translator, its training, validation and checkpoints.

Needs torch (``pip install vec2vec_fast[gan]``); ``import vec2vec_fast`` works without it. Follows the original
code where it and the paper disagree, with the paper's variants as config keys (spec ../shared/spec/vec2vec-gan.md).

    from vec2vec_fast.gan import build_translator, train_gan
    translator = build_translator({"a": 384, "b": 768})            # the unsupervised.toml architecture
    result = train_gan(X_a, X_b, "unsupervised", {"epochs": 10})   # X_a, X_b: unpaired rows of A and B
    Y = result.translate(X_a_new)                                   # A -> B, unit rows, best epoch's weights
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised only without torch
    raise ImportError("vec2vec_fast.gan needs torch: pip install 'vec2vec_fast[gan]' (torch >= 2.3)") from err

from ..configs import GanConfig, load_config
from .checkpoint import load_checkpoint, save_checkpoint
from .discriminator import Discriminator
from .fit import GanResult, train_gan
from .trainer import GanDivergedError, GanTrainer, resolve_device
from .translator import MLPWithResidual, Translator, build_translator

__all__ = [
    "Discriminator",
    "GanConfig",
    "GanDivergedError",
    "GanResult",
    "GanTrainer",
    "MLPWithResidual",
    "Translator",
    "build_translator",
    "load_checkpoint",
    "load_config",
    "resolve_device",
    "save_checkpoint",
    "train_gan",
]
