"""The GAN trainer's configuration: the TOML files shipped in this folder, their schema, loading and overrides.

This module does not import torch, so configs can be checked (by the command line, by ``Aligner("gan", ...)``)
on a machine without it.

A config is a flat namespace of keys, grouped into TOML sections as in the original vec2vec repository
(``configs/unsupervised.toml``; spec ../shared/spec/vec2vec-gan.md section 5). :data:`SCHEMA` lists every key with
its type, default, bounds and meaning; the defaults equal ``unsupervised.toml``. Keys the original marks as its own
command-line flags (``epochs``, ``num_points``) and the keys this implementation adds (the paper's variants, time
budget, ``init="mini"``, ``n_seeds``) are ordinary keys here. Keys of the original that have no effect without its
text pipeline or wandb (``dataset``, ``max_seq_length``, ``use_wandb`` ...) are accepted in files, so the original's
config files load, and are reported in :attr:`GanConfig.ignored`.

    >>> cfg = load_config("unsupervised", {"lr": 1e-4})        # doctest: +SKIP
    >>> cfg.lr, cfg.d_adapter                                    # doctest: +SKIP
    (0.0001, 1024)
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from ..mini_params import SCHEMA as MINI_SCHEMA, MiniParams
from ..schema import Param, Schema

CONFIG_DIR = Path(__file__).resolve().parent
# Bounds on the architecture's sizes, so that a mistyped config fails with a clear error instead of trying to allocate
# an absurd network (the original uses depths 1-6 and widths 128-1024; one 16384^2 fp32 Linear is already 1 GiB).
MAX_DEPTH, MAX_WIDTH = 64, 16_384
# Each size within its bound is not enough: all of them at once ask for ~10^11 weights. The translator and the three
# discriminators together (counted without the space-dimension-sized first and last layers) may hold at most this
# many parameters: 16 GiB of float32 weights (the original's configs need ~3 * 10^7).
MAX_PARAMETERS = 2**32
SIZE_KEYS = ("depth", "transform_depth", "d_adapter", "d_hidden", "d_transform", "disc_depth", "disc_dim")
NAMES = ("unsupervised", "unsup_new", "small", "fmri_avg")


Key = Param  # a config key: Param with its TOML section


def _k(name: str, section: str, default: Any, doc: str, **kw: Any) -> Param:
    return Param(name, type(default), default, doc, section=section, **kw)


_SCHEMA = [
    # [general]
    _k("seed", "general", 5, "weight init, loader order and dropout", low=0, high=2**64 - 1),
    _k("sampling_seed", "general", 5, "input noise and the label-free diagnostic subsample", low=0, high=2**64 - 1),
    _k("train_dataset_seed", "general", 10, "shuffle of the training rows (and the disjoint split of paired data)",
       low=0, high=2**64 - 1),
    _k("val_dataset_seed", "general", 42, "choice of the validation rows", low=0, high=2**64 - 1),
    _k("normalize_embeddings", "general", True, "L2-normalize input rows (translator outputs are always unit rows)"),
    _k("mixed_precision", "general", "fp16", "autocast dtype on CUDA ('no' = fp32); CPU always runs fp32",
       choices=("fp16", "bf16", "no")),
    _k("weight_init", "general", "kaiming", "init of every Linear (normal; zero bias)",
       choices=("kaiming", "xavier", "orthogonal")),
    _k("unsup_emb", "general", "a", "name of space A (M1, 'unknown'): the adapter key in the state dict"),
    _k("sup_emb", "general", "b", "name of space B (M2, 'known'; its latents are 'real' to the latent discriminator)"),
    _k("noise_level", "general", 0.0, "std of Gaussian noise added to training inputs (then re-normalized)", low=0),
    # [translator]
    _k("style", "translator", "res_mlp", "backbone type; only the residual MLP works inside the translator",
       choices=("res_mlp",)),
    _k("norm_style", "translator", "batch", "norm in the middle blocks (paper: layer)", choices=("batch", "layer")),
    _k("depth", "translator", 3, "blocks per adapter", low=1, high=MAX_DEPTH),
    _k("transform_depth", "translator", 4, "blocks of the shared backbone", low=1, high=MAX_DEPTH),
    _k("d_adapter", "translator", 1024, "latent width Z", low=1, high=MAX_WIDTH),
    _k("d_hidden", "translator", 1024, "adapter hidden width", low=1, high=MAX_WIDTH),
    _k("d_transform", "translator", 1024, "backbone hidden width", low=1, high=MAX_WIDTH),
    _k("dropout", "translator", 0.1, "dropout in the middle and last blocks (fixed at 0.1 in the original)",
       low=0, high=1),
    # [discriminator]
    _k("gan_style", "discriminator", "least_squares",
       "least_squares (code), vanilla (BCE with label smoothing; the paper's 'standard GAN'), relativistic",
       choices=("least_squares", "vanilla", "relativistic")),
    _k("disc_depth", "discriminator", 5, "Linear layers per discriminator", low=1, high=MAX_DEPTH),
    _k("disc_dim", "discriminator", 1024, "discriminator width", low=1, high=MAX_WIDTH),
    # [train]
    _k("bs", "train", 256, "batch size per side", low=2),
    _k("gradient_accumulation_steps", "train", 1, "generator steps accumulate this many batches", low=1),
    _k("lr", "train", 2e-5, "generator Adam learning rate", above=0),
    _k("no_scheduler", "train", True, "constant LR after warm-up (false: linear decay to 0 at the last step)"),
    _k("max_grad_norm", "train", 1000.0, "L2 gradient clip for the generator and every discriminator", above=0),
    _k("loss_coefficient_reverse_rec", "train", 0.0, "1-cos(y, F(x)) across unpaired rows (off)", low=0),
    _k("loss_coefficient_rec", "train", 1.0, "reconstruction 1-cos", low=0),
    _k("loss_coefficient_vsp", "train", 1.0, "geometry (VSP) on reconstructions", low=0),
    _k("loss_coefficient_cc_trans", "train", 10.0, "cycle consistency 1-cos", low=0),
    _k("loss_coefficient_cc_rec", "train", 0.0, "1-cos(x, R(F(y))) across unpaired rows (off)", low=0),
    _k("loss_coefficient_cc_vsp", "train", 10.0, "geometry (VSP) on cycle outputs", low=0),
    _k("loss_coefficient_r1_penalty", "train", 0.0, "R1 + R2 gradient penalty of every discriminator (off)", low=0),
    _k("warmup_length", "train", 2000, "linear LR warm-up steps for all optimizers (factor 0 at step 0)", low=0),
    _k("patience", "train", 20, "epochs without improvement before stopping (0 = never stop early)", low=0),
    _k("min_delta", "train", 0.0, "an improvement must beat the best score by more than this", low=0),
    _k("min_epochs", "train", 80, "early stopping is not considered before this epoch", low=0),
    _k("epochs", "train", 100.0, "epochs to train (fractional allowed; the original's --epochs)", above=0),
    _k("num_points", "train", 0, "training rows per side (0 = all; the original's --num_points)", low=0),
    _k("max_seconds", "train", 0.0,
       "time budget per seed in seconds, the first seed's including the init='mini' teacher fit (0 = none)", low=0),
    _k("n_seeds", "train", 1, "train with seeds seed, seed+1, ...; keep the best by the validation score",
       low=1, high=1000),
    _k("detach_cycle", "train", True, "cycle input detached (code); false: end to end (paper)"),
    _k("vsp_reflected", "train", True, "VSP adds the |S S^T - A S^T| term (code); false: pairwise only (paper)"),
    _k("vsp_squared", "train", False, "VSP with squared errors (paper) instead of absolute (code)"),
    _k("loss_coefficient_vsp_trans", "train", 0.0, "geometry (VSP) on one-way translations (the paper's VSP)",
       low=0),
    # [gan]
    _k("disc_lr", "gan", 1e-5, "discriminator Adam learning rate", above=0),
    _k("eps", "gan", 6.25e-10, "discriminator Adam eps", above=0),
    _k("smooth", "gan", 0.9, "label smoothing of 'vanilla' (real target 1-smooth, fake target smooth)",
       low=0, high=1),
    _k("loss_coefficient_disc", "gan", 1.0, "multiplies every discriminator loss", low=0),
    _k("loss_coefficient_gen", "gan", 1.0, "both output-space adversarial terms", low=0),
    _k("loss_coefficient_latent_gen", "gan", 1.0, "latent adversarial term", low=0),
    _k("loss_coefficient_similarity_gen", "gan", 0.0,
       "similarity-matrix GAN: never active in the original; only 0 is accepted", low=0, high=0),
    # [eval]
    _k("val_size", "eval", 4096, "validation rows (paired: held out; unpaired: diagnostic subsample per side)",
       low=0),
    _k("val_bs", "eval", 1024, "validation batch = retrieval pool and VSP block size", low=2),
    # [logging]
    _k("log_every", "logging", 100, "steps between metric lines (0 = only per epoch)", low=0),
    # [init]
    _k("init", "init", "random", "random (original) or mini: warm start from the mini-vec2vec linear map",
       choices=("random", "mini")),
    _k("init_steps", "init", 300, "steps of the warm-start phase that fits the translator to the linear map", low=0),
    _k("init_lr", "init", 1e-3, "Adam learning rate of the warm-start phase", above=0),
]
# The linear warm start's hyperparameters, with mini-vec2vec's own types, bounds and docs.
_SCHEMA += [dataclasses.replace(p, name=f"mini_{p.name}", doc=f"linear warm start: {p.doc}", section="init")
            for p in MINI_SCHEMA.values()]

SCHEMA = Schema(_SCHEMA, label=lambda name: f"config key {name!r}", what="config key")
SECTIONS = ("general", "translator", "discriminator", "train", "gan", "eval", "logging", "init")

# Keys of the original's files that do nothing here (no text pipeline, no wandb, no fine-tuning, unused flags).
INERT = {
    "dataset": "general", "max_seq_length": "general", "n_embs_per_batch": "general", "finetune_mode": "general",
    "use_small_output_adapters": "translator", "use_residual_adapters": "translator", "use_residual": "discriminator",
    "top_k_size": "eval", "top_k_batches": "eval", "k": "eval", "heatmap_size": "eval",
    "use_wandb": "logging", "wandb_project": "logging", "wandb_name": "logging", "load_dir": "logging",
    "save_dir": "logging", "force_dump": "logging",
}
_INERT_SECTIONS = ("fmri",)  # fmri_*.toml data settings: accepted, ignored


class GanConfig(Mapping[str, Any]):
    """A validated, immutable config: ``cfg.lr`` or ``cfg["lr"]``. Build it with :func:`load_config`."""

    def __init__(self, values: Mapping[str, Any], *, source: str = "defaults",
                 ignored: Optional[Mapping[str, Any]] = None):
        unknown = sorted(set(values) - set(SCHEMA))
        if unknown:
            raise _unknown(unknown[0])
        checked = {name: key.default for name, key in SCHEMA.items()}
        checked.update({name: check_value(name, value) for name, value in values.items()})
        _check_consistency(checked)
        object.__setattr__(self, "_values", checked)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "ignored", dict(ignored or {}))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy/pickle probe attributes before _values exists
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("GanConfig is immutable: use cfg.replace(key=value)")

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != SCHEMA[k].default}
        return f"GanConfig(source={self.source!r}, changed from defaults={changed})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GanConfig) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]

    def replace(self, **overrides: Any) -> "GanConfig":
        """A copy with some keys changed; each is checked like a file value."""
        return GanConfig({**self._values, **overrides}, source=self.source, ignored=self.ignored)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self._values)

    def mini_params(self) -> MiniParams:
        return MiniParams(**{f.name: self._values[f"mini_{f.name}"] for f in dataclasses.fields(MiniParams)})

    def to_toml(self, *, flat: bool = False) -> str:
        """The config as TOML, one table per section, or with ``flat=True`` every key at the top level (the
        original writes a checkpoint's config.toml flat); :func:`load_config` reads either back to an equal config."""
        lines = [f"# vec2vec_fast GAN config (from {self.source})"]
        if flat:
            return "\n".join(lines + [f"{k} = {_toml_value(v)}" for k, v in self._values.items()]) + "\n"
        for section in SECTIONS:
            lines.append(f"\n[{section}]")
            lines += [f"{k.name} = {_toml_value(self._values[k.name])}"
                      for k in SCHEMA.values() if k.section == section]
        return "\n".join(lines) + "\n"


def _unknown(name: str) -> TypeError:
    return SCHEMA.unknown(name)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # check_value keeps every float finite
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def check_value(name: str, value: Any) -> Any:
    """Check one Python value for key ``name`` (TypeError for a wrong type, ValueError out of range); return it
    with ints widened to float for float keys."""
    return SCHEMA.check_one(name, value)


def parse_value(name: str, text: str) -> Any:
    """Parse a command-line string for key ``name`` by the key's type: 'false' is False (unlike the original,
    where any non-empty string is truthy), '1e-4' a float, '256' an int."""
    if not isinstance(text, str):
        return check_value(name, text)
    return SCHEMA.parse(name, text)


def _mlp_parameters(depth: int, d_in: int, hidden: int, d_out: int) -> int:
    """Parameters of MLPWithResidual(depth, d_in, hidden, d_out) (gan/translator.py), norms counted as 2 * hidden."""
    if depth == 1:
        return d_in * d_out + d_out
    middle = (depth - 2) * (hidden * hidden + 3 * hidden)
    return (d_in * hidden + hidden) + middle + (hidden * hidden + hidden) + (hidden * d_out + d_out)


def _disc_parameters(depth: int, d_in: int, dim: int) -> int:
    """Parameters of Discriminator(d_in, dim, depth) (gan/discriminator.py)."""
    if depth == 1:
        return d_in + 1
    return (d_in * dim + dim) + (depth - 2) * (dim * dim + 3 * dim) + (dim + 1)


def estimated_parameters(values: Mapping[str, Any], dims: Tuple[int, ...] = (0, 0)) -> int:
    """Parameters of the translator for spaces of ``dims`` plus its three discriminators (two on the spaces, one
    on the latent), from the config's sizes alone (nothing is allocated)."""
    z, t, h = values["d_adapter"], values["d_transform"], values["d_hidden"]
    depth, disc_depth, disc_dim = values["depth"], values["disc_depth"], values["disc_dim"]
    total = _mlp_parameters(values["transform_depth"], z, t, z)
    for d in dims:
        total += _mlp_parameters(depth, d, h, z) + _mlp_parameters(depth, z, h, d)
        total += _disc_parameters(disc_depth, d, disc_dim)
    return total + _disc_parameters(disc_depth, z, disc_dim)


def _check_consistency(values: Mapping[str, Any]) -> None:
    total = estimated_parameters(values)
    if total > MAX_PARAMETERS:
        sizes = ", ".join(f"{k}={values[k]}" for k in SIZE_KEYS)
        raise ValueError(f"config keys {', '.join(repr(k) for k in SIZE_KEYS)} together ask for about {total:.3g} "
                         f"parameters (translator and discriminators), more than the {MAX_PARAMETERS:.3g} allowed; "
                         f"got {sizes}")
    if values["unsup_emb"] == values["sup_emb"]:
        raise ValueError(f"config keys 'unsup_emb' and 'sup_emb' must differ, both are {values['unsup_emb']!r}")
    for name in ("unsup_emb", "sup_emb"):
        if not values[name] or "." in values[name]:
            raise ValueError(f"config key {name!r} must be a non-empty name without '.', got {values[name]!r}")


def config_path(name: Union[str, Path]) -> Path:
    """The file for a packaged config name ('unsupervised', ...) or a path to a TOML file."""
    text = str(name)
    if text in NAMES:
        return CONFIG_DIR / f"{text}.toml"
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(f"config {text!r} is neither a packaged config {NAMES} nor an existing TOML file")
    return path


def read_toml(path: Union[str, Path]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Read a config file into (values, ignored): sections are flattened as the original does; a flat file (keys at
    the top level, as a checkpoint's config.toml) works too. Unknown sections and keys are errors naming them; a key
    in the wrong section is an error naming both."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as err:  # bad syntax, not UTF-8, too deep
        raise ValueError(f"{path} is not valid TOML: {type(err).__name__}: {str(err)[:200]}") from err
    values: Dict[str, Any] = {}
    ignored: Dict[str, Any] = {}

    def take(name: str, value: Any, section: Optional[str]) -> None:
        if name in SCHEMA:
            if section is not None and SCHEMA[name].section != section:
                raise ValueError(f"{path}: key {name!r} belongs in [{SCHEMA[name].section}], found in [{section}]")
            if name in values:
                raise ValueError(f"{path}: key {name!r} is set twice")
            values[name] = value
        elif name in INERT:
            ignored[name] = value
        else:
            where = f" in [{section}]" if section else ""
            raise TypeError(f"{path}: unknown config key {name!r}{where}")

    for name, value in data.items():
        if isinstance(value, dict):
            if name in _INERT_SECTIONS:
                ignored.update({f"{name}.{k}": v for k, v in value.items()})
            elif name not in SECTIONS:
                raise TypeError(f"{path}: unknown config section [{name}]; valid: {', '.join(SECTIONS)}")
            else:
                for key, item in value.items():
                    take(key, item, name)
        else:
            take(name, value, None)
    return values, ignored


def load_config(config: Union[str, Path, GanConfig, None] = "unsupervised",
                overrides: Optional[Mapping[str, Any]] = None, *, strings: bool = False) -> GanConfig:
    """Load a packaged config by name or a TOML file by path, then apply overrides.

    Parameters
    ----------
    config : "unsupervised" (default), "unsup_new", "small", "fmri_avg", a path, a GanConfig, or None (defaults)
    overrides : {key: value}; unknown keys raise TypeError naming the key, wrong types TypeError, values out of
        range ValueError.
    strings : parse override values from command-line strings by each key's type.
    """
    if isinstance(config, GanConfig):
        base, ignored, source = config.to_dict(), dict(config.ignored), config.source
    elif config is None:
        base, ignored, source = {}, {}, "defaults"
    else:
        path = config_path(config)
        base, ignored = read_toml(path)
        source = str(config) if str(config) in NAMES else str(path)
    merged = dict(base)
    for name, value in (overrides or {}).items():
        if name not in SCHEMA:
            raise _unknown(name)
        merged[name] = parse_value(name, value) if strings else value
    return GanConfig(merged, source=source, ignored=ignored)


__all__ = ["CONFIG_DIR", "GanConfig", "INERT", "Key", "MAX_PARAMETERS", "NAMES", "SCHEMA", "SECTIONS", "check_value",
           "config_path", "estimated_parameters", "load_config", "parse_value", "read_toml"]
