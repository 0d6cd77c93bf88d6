"""Checkpoint folders, laid out as the original's run folder plus what it never wrote:

    model.pt        translator.state_dict() (plain torch.save, no "module." prefix): the original's file, key for
                    key, so its eval.py or ``Translator.load_state_dict(..., strict=True)`` reads it
    config.toml     the flat config (every key at the top level, as the original writes it)
    disc.pt         the three discriminators' state dicts (the original's finetune mode looks for this file)
    summary.json    space names and dims, the best record (seed, epoch, score, validation metrics) and the report
    metrics.jsonl   one JSON line per validation, appended as training goes

Every file appears atomically (written next to it, fsynced, then renamed: :func:`vec2vec_fast.io.atomic_output`),
so a crash never leaves a half-written one; a replaced file keeps its permissions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

import numpy as np
import torch

from ..configs import GanConfig, load_config
from ..io import atomic_output, jsonable
from .translator import Translator

FILES = ("model.pt", "config.toml", "disc.pt", "summary.json")


def _atomic_write(path: Path, write) -> None:
    """Checkpoint files replace their previous version (the folder itself was checked by :func:`check_out_dir`)."""
    with atomic_output(path, overwrite=True) as f:
        write(f)


def check_out_dir(out: Union[str, Path], *, overwrite: bool = False,
                  hint: str = "choose another out_dir or pass overwrite=True") -> Path:
    """Create ``out``, refusing a folder that already holds files unless ``overwrite`` (never silently)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} exists and is not empty; {hint}")
    if overwrite and out.is_dir():
        for name in FILES + ("metrics.jsonl",):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def save_checkpoint(out: Union[str, Path], translator_state: Mapping[str, torch.Tensor], config: GanConfig,
                    dims: Mapping[str, int], *, discriminators: Optional[Mapping[str, Mapping[str, Any]]] = None,
                    summary: Optional[Mapping[str, Any]] = None) -> Path:
    """Write (or replace) the checkpoint files in ``out``; returns the folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "model.pt", lambda f: torch.save(dict(translator_state), f))
    if discriminators is not None:
        _atomic_write(out / "disc.pt", lambda f: torch.save({k: dict(v) for k, v in discriminators.items()}, f))
    _atomic_write(out / "config.toml", lambda f: f.write(config.to_toml(flat=True).encode("utf-8")))
    meta = {"format": "vec2vec_fast.gan.checkpoint", "format_version": 1, "names": [config.unsup_emb, config.sup_emb],
            "dims": dict(dims), **dict(summary or {})}
    _atomic_write(out / "summary.json",
                  lambda f: f.write(json.dumps(jsonable(meta), indent=2, default=float).encode("utf-8")))
    return out


def append_metrics(out: Union[str, Path], records: Iterable[Mapping[str, Any]]) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "metrics.jsonl", "a", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(jsonable(dict(record)), default=float) + "\n")


def load_checkpoint(out: Union[str, Path], *, map_location: Any = "cpu"
                    ) -> Tuple[Translator, GanConfig, Dict[str, Any]]:
    """Rebuild the translator of a checkpoint folder (strict key and shape match) in eval mode; returns
    (translator, config, summary). Errors name the folder and what is wrong."""
    out = Path(out)
    for name in ("model.pt", "config.toml", "summary.json"):
        if not (out / name).is_file():
            raise FileNotFoundError(f"{out} is not a vec2vec_fast GAN checkpoint: {name} is missing")
    config = load_config(out / "config.toml")
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        dims = {str(k): int(v) for k, v in summary["dims"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{out / 'summary.json'} is corrupt: {err}") from err
    try:
        state = torch.load(out / "model.pt", map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for a damaged file
        raise ValueError(f"{out / 'model.pt'} cannot be read: {err}") from err
    translator = Translator(dims, config, torch.Generator().manual_seed(0))
    load_state_strict(translator, state, str(out / "model.pt"))
    return translator.eval(), config, summary


def check_state_keys(state: Mapping[str, Any], expected: Mapping[str, Tuple[int, ...]], where: str, *,
                     shapes: bool = True) -> None:
    """The stored keys must be exactly the translator's (and, with ``shapes``, of the expected shapes)."""
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        raise ValueError(f"{where} does not match the translator: missing keys {missing[:3]}, unexpected keys "
                         f"{extra[:3]}")
    for k, shape in expected.items():
        if shapes and tuple(np.shape(state[k])) != shape:
            raise ValueError(f"{where}: {k} has shape {tuple(np.shape(state[k]))}, expected {shape}")


def load_state_strict(translator: Translator, state: Any, where: str) -> None:
    """load_state_dict(strict=True) with errors that name the first wrong key or shape."""
    if not isinstance(state, Mapping):
        raise ValueError(f"{where} does not hold a state dict")
    expected = translator.state_dict()
    check_state_keys(state, {k: tuple(v.shape) for k, v in expected.items()}, where, shapes=False)
    for k, v in expected.items():
        got = state[k]
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(v.shape):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise ValueError(f"{where}: {k} has shape {shape}, expected {tuple(v.shape)}")
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise ValueError(f"{where}: {k} contains non-finite values")
    translator.load_state_dict(state, strict=True)
