"""The vec2vec translator: per-space input and output adapters around one shared residual-MLP backbone (spec 1.1-1.7).

Module and attribute names reproduce the original's ``TransformTranslator`` and ``MLPWithResidual``, so that the
state-dict keys are identical (``in_adapters.<space>.layers.<block>.<index>.weight`` ...) and published weights
load with ``strict=True``.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..configs import GanConfig, load_config


def init_weights(module: nn.Module, weight_init: str, generator: Optional[torch.Generator]) -> None:
    """The original's init (spec 1.2): every Linear kaiming-normal (fan_in, ReLU gain) / xavier / orthogonal with
    zero bias; BatchNorm weight ~ N(1, 0.02), bias ~ N(0, 0.02); LayerNorm 1 and 0. Draws come from ``generator``."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            if weight_init == "kaiming":
                nn.init.kaiming_normal_(m.weight, a=0, mode="fan_in", nonlinearity="relu", generator=generator)
            elif weight_init == "xavier":
                nn.init.xavier_normal_(m.weight, generator=generator)
            elif weight_init == "orthogonal":
                nn.init.orthogonal_(m.weight, generator=generator)
            else:
                raise ValueError(f"weight_init must be 'kaiming', 'xavier' or 'orthogonal', got {weight_init!r}")
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d):
            nn.init.normal_(m.weight, 1.0, 0.02, generator=generator)
            nn.init.normal_(m.bias, 0.0, 0.02, generator=generator)
        elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def own_rng():
    """torch layers draw a default init from the global generator when built; we re-draw every weight from our
    own generator, so building runs inside fork_rng and leaves the caller's global state as it was."""
    return torch.random.fork_rng(devices=[])


def _norm(style: str, width: int) -> nn.Module:
    if style == "batch":
        return nn.BatchNorm1d(width)
    if style == "layer":
        return nn.LayerNorm(width)
    raise ValueError(f"norm_style must be 'batch' or 'layer', got {style!r}")


def fit_width(x: torch.Tensor, width: int) -> torch.Tensor:
    """The residual path: zero-pad on the right to ``width`` columns, or keep the first ``width`` columns."""
    d = x.shape[-1]
    if d < width:
        return F.pad(x, (0, width - d))
    return x[..., :width] if d > width else x


class MLPWithResidual(nn.Module):
    """``depth`` blocks, each followed by a residual ``y = block(x) + fit_width(x)`` (spec 1.2).

    depth 1: [Linear(in, out), SiLU]. depth >= 2: [Linear(in, hidden), SiLU], (depth - 2) x [Linear(hidden,
    hidden), SiLU, Norm, Dropout], [Linear(hidden, hidden), Dropout, SiLU, Linear(hidden, out)].
    """

    def __init__(self, depth: int, in_dim: int, hidden_dim: int, out_dim: int, norm_style: str = "batch",
                 dropout: float = 0.1):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.in_dim, self.out_dim, self.depth = in_dim, out_dim, depth
        self.layers = nn.ModuleList()
        if depth == 1:
            self.layers.append(nn.Sequential(nn.Linear(in_dim, out_dim), nn.SiLU()))
            return
        self.layers.append(nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.SiLU()))
        for _ in range(depth - 2):
            self.layers.append(nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.SiLU(),
                                             _norm(norm_style, hidden_dim), nn.Dropout(dropout)))
        self.layers.append(nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.Dropout(dropout), nn.SiLU(),
                                         nn.Linear(hidden_dim, out_dim)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.layers:
            y = block(x)
            x = y + fit_width(x, y.shape[-1])
        return x


class Translator(nn.Module):
    """Adapters A_s: R^{d_s} -> R^Z and B_s: R^Z -> R^{d_s} per space around one backbone T: R^Z -> R^Z.

    Translation s -> t is normalize(B_t(T(A_s(x)))); the latent T(A_s(x)) is not normalized (spec 1.4). Inputs
    are expected to be unit rows (the trainer normalizes them when ``normalize_embeddings`` is set).

    Parameters
    ----------
    dims : {space name: dimension}, any number of spaces.
    config : a GanConfig (its [translator] keys and ``weight_init``); default ``unsupervised``.
    generator : torch.Generator for the weight init (default: seeded from ``config.seed``). The global torch
        generator is left untouched.
    """

    def __init__(self, dims: Mapping[str, int], config: Optional[GanConfig] = None,
                 generator: Optional[torch.Generator] = None):
        super().__init__()
        cfg = config if config is not None else load_config("unsupervised")
        if generator is None:
            generator = torch.Generator().manual_seed(cfg.seed)
        self.config = cfg
        with own_rng():
            self.transform = MLPWithResidual(cfg.transform_depth, cfg.d_adapter, cfg.d_transform, cfg.d_adapter,
                                             cfg.norm_style, cfg.dropout)
        init_weights(self.transform, cfg.weight_init, generator)
        self.in_adapters = nn.ModuleDict()
        self.out_adapters = nn.ModuleDict()
        self.dims: Dict[str, int] = {}
        for name, dim in dims.items():
            self.add_space(name, dim, generator=generator)
        if not self.dims:
            raise ValueError("a translator needs at least one space")

    def add_space(self, name: str, dim: int, *, generator: Optional[torch.Generator] = None,
                  overwrite: bool = False) -> None:
        """Add fresh adapters for a space (the original's ``add_encoders``); an existing name needs overwrite."""
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"space names must be non-empty strings without '.', got {name!r}")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"space {name!r} needs a positive integer dimension, got {dim!r}")
        if name in self.dims and not overwrite:
            raise ValueError(f"space {name!r} exists; pass overwrite=True to replace its adapters")
        cfg = self.config
        z = self.transform.in_dim
        with own_rng():
            a = MLPWithResidual(cfg.depth, dim, cfg.d_hidden, z, cfg.norm_style, cfg.dropout)
            b = MLPWithResidual(cfg.depth, self.transform.out_dim, cfg.d_hidden, dim, cfg.norm_style, cfg.dropout)
        init_weights(a, cfg.weight_init, generator)
        init_weights(b, cfg.weight_init, generator)
        self.in_adapters[name], self.out_adapters[name] = a, b
        self.dims[name] = dim

    def _check(self, x: torch.Tensor, name: str) -> None:
        if name not in self.dims:
            raise KeyError(f"unknown space {name!r}; this translator has {list(self.dims)}")
        if x.ndim != 2 or x.shape[1] != self.dims[name]:
            raise ValueError(f"space {name!r} takes (n, {self.dims[name]}) inputs, got shape {tuple(x.shape)}")

    def encode(self, x: torch.Tensor, name: str) -> torch.Tensor:
        """The latent T(A_name(x)), not normalized."""
        self._check(x, name)
        return self.transform(self.in_adapters[name](x))

    def decode(self, z: torch.Tensor, name: str) -> torch.Tensor:
        """normalize(B_name(z))."""
        return F.normalize(self.out_adapters[name](z), dim=-1)

    def translate(self, x: torch.Tensor, source: str, target: str) -> torch.Tensor:
        """normalize(B_target(T(A_source(x)))); source == target is the reconstruction."""
        if target not in self.dims:
            raise KeyError(f"unknown space {target!r}; this translator has {list(self.dims)}")
        return self.decode(self.encode(x, source), target)

    def forward(self, inputs: Mapping[str, torch.Tensor], include_reps: bool = False
                ) -> Tuple[Dict[str, torch.Tensor], Dict[str, Dict[str, torch.Tensor]], Dict[str, torch.Tensor]]:
        """One pass over every input (spec 1.4): ``recons[s]``, ``translations[t][s]`` (target first, source
        second) for every pair of input spaces, and, with include_reps, the latents ``reps[s]``."""
        recons: Dict[str, torch.Tensor] = {}
        translations: Dict[str, Dict[str, torch.Tensor]] = {t: {} for t in inputs}
        reps: Dict[str, torch.Tensor] = {}
        for s, x in inputs.items():
            z = self.encode(x, s)
            if include_reps:
                reps[s] = z
            for t in inputs:
                if t == s:
                    recons[s] = self.decode(z, s)
                else:
                    translations[t][s] = self.decode(z, t)
        return recons, translations, reps


def build_translator(dims: Mapping[str, int], config: object = "unsupervised", *,
                     seed: Optional[int] = None, **overrides: object) -> Translator:
    """A translator for ``dims`` with the architecture of ``config`` (default ``unsupervised.toml``), initialised
    from ``seed`` (default: the config's ``seed``).

    >>> t = build_translator({"a": 384, "b": 768})              # doctest: +SKIP
    >>> sum(p.numel() for p in t.parameters())                  # doctest: +SKIP
    """
    cfg = load_config(config, overrides)  # type: ignore[arg-type]
    generator = torch.Generator().manual_seed(cfg.seed if seed is None else int(seed))
    return Translator(dims, cfg, generator)
