"""The discriminators (spec 2): plain MLPs, no residuals, one unnormalized score per row."""

from __future__ import annotations

from typing import List, Optional

import torch
from torch import nn

from .translator import init_weights, own_rng


class Discriminator(nn.Module):
    """``depth`` Linear layers: Linear(in, dim), Dropout(0); (depth - 2) x [SiLU, Linear(dim, dim), LayerNorm,
    Dropout(0)]; SiLU, Linear(dim, 1). depth 1 is a single Linear(in, 1). State-dict keys as the original's
    (``layers.0.0`` first Linear, ``layers.0.15`` last at depth 5)."""

    def __init__(self, in_dim: int, dim: int = 1024, depth: int = 5, weight_init: str = "kaiming",
                 generator: Optional[torch.Generator] = None):
        super().__init__()
        if depth < 1:
            raise ValueError(f"disc_depth must be >= 1, got {depth}")
        self.in_dim = in_dim
        with own_rng():
            if depth == 1:
                modules: List[nn.Module] = [nn.Linear(in_dim, 1)]
            else:
                modules = [nn.Linear(in_dim, dim), nn.Dropout(0.0)]
                for _ in range(depth - 2):
                    modules += [nn.SiLU(), nn.Linear(dim, dim), nn.LayerNorm(dim), nn.Dropout(0.0)]
                modules += [nn.SiLU(), nn.Linear(dim, 1)]
            self.layers = nn.ModuleList([nn.Sequential(*modules)])
        init_weights(self, weight_init, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers[0](x)
