"""What ``Aligner(method="gan")`` needs: fit, translate numpy rows, and the translator as named arrays for the
Aligner's one-file ``.npz`` format (array ``gan/<state-dict key>`` per tensor)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..configs import MAX_PARAMETERS, GanConfig, estimated_parameters, load_config
from .checkpoint import check_state_keys, load_state_strict
from .data import as_tensor
from .fit import GanResult, train_gan
from .translator import Translator
from .validation import translate_all

PREFIX = "gan/"


def fit(a: np.ndarray, b: np.ndarray, config: Any, overrides: Mapping[str, Any], seed: int,
        n_threads: Optional[int], *, device: Any = None, progress: bool = False) -> GanResult:
    """Train on validated float32 rows: ``config`` (a packaged name or a TOML path) with ``overrides`` (config
    keys) on top, and ``seed`` as the config's seed."""
    return train_gan(a, b, config, {**overrides, "seed": seed}, device=device, n_threads=n_threads,
                     progress=progress)


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
    config = load_config(None, config_values)  # its sizes are capped (MAX_PARAMETERS) without the space dims
    dims = dict(dims)
    total = estimated_parameters(config, tuple(dims.values()))
    if total > MAX_PARAMETERS:
        raise ValueError(f"{where}: the config and dims {dims} ask for about {total:.3g} parameters, more than the "
                         f"{MAX_PARAMETERS:.3g} allowed")
    state = {k[len(PREFIX):]: v for k, v in arrays.items() if k.startswith(PREFIX)}
    # The expected keys and shapes from a translator on the meta device (nothing allocated), checked against the
    # stored arrays before the real translator is built: a file whose config asks for a huge network while its
    # arrays hold a few bytes is refused without allocating that network.
    with torch.device("meta"):
        skeleton = Translator(dims, config, torch.Generator().manual_seed(0))
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    del skeleton
    check_state_keys(state, expected, where)
    translator = Translator(dims, config, torch.Generator().manual_seed(0))
    load_state_strict(translator, {k: torch.from_numpy(np.array(v)) for k, v in state.items()}, where)
    return translator.eval()
