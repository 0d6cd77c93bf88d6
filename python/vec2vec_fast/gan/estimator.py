"""What ``Aligner(method="gan")`` needs: fit, translate numpy rows, and the translator as named arrays for the
Aligner's one-file ``.npz`` format (array ``gan/<state-dict key>`` per tensor)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..configs import GanConfig, load_config
from .checkpoint import load_state_strict
from .data import as_tensor
from .fit import GanResult, train_gan
from .translator import Translator
from .validation import translate_all

PREFIX = "gan/"
ALIGNER_ONLY = ("config", "device", "progress")  # Aligner parameters that are not config keys


def fit(a: np.ndarray, b: np.ndarray, params: Mapping[str, Any], seed: int, n_threads: Optional[int]) -> GanResult:
    """Train on validated float32 rows; ``params``: config keys plus ``config``, ``device``, ``progress``."""
    overrides = {k: v for k, v in params.items() if k not in ALIGNER_ONLY}
    overrides["seed"] = seed
    return train_gan(a, b, params.get("config", "unsupervised"), overrides, device=params.get("device"),
                     n_threads=n_threads, progress=bool(params.get("progress", False)))


def translate(translator: Translator, config: GanConfig, x: np.ndarray, source: str, target: str,
              device: Any = None) -> np.ndarray:
    """Unit rows of ``x`` (validated float32) translated source -> target, as float32 numpy."""
    dev = next(translator.parameters()).device if device is None else torch.device(device)
    xt = as_tensor(x).to(dev)
    if config.normalize_embeddings:
        xt = F.normalize(xt, dim=-1)
    return translate_all(translator, xt, source, target).float().cpu().numpy()


def to_arrays(translator: Translator) -> Dict[str, np.ndarray]:
    return {PREFIX + k: v.detach().cpu().numpy() for k, v in translator.state_dict().items()}


def from_arrays(config_values: Mapping[str, Any], dims: Mapping[str, int], arrays: Mapping[str, np.ndarray],
                where: str) -> Translator:
    """Rebuild a translator from a saved flat config, dims and ``gan/...`` arrays (strict keys and shapes)."""
    config = load_config(None, config_values)
    translator = Translator(dict(dims), config, torch.Generator().manual_seed(0))
    state = {k[len(PREFIX):]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith(PREFIX)}
    load_state_strict(translator, state, where)
    return translator.eval()
