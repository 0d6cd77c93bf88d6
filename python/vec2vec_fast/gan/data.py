"""Training data: the split conventions (spec 4.3), normalization, and the seeded batch order.

Two inputs, A (the ``unsup_emb`` space, M1) and B (the ``sup_emb`` space, M2):

* unpaired (the default): every row of A and of B is a training row (shuffled by ``train_dataset_seed``, capped at
  ``num_points`` per side). Label-free diagnostics use ``val_size`` rows of each side drawn with
  ``val_dataset_seed``. Paired validation rows can be passed separately (``val_a``, ``val_b``).
* ``paired=True`` (row i of A and of B embed the same text, like the original's single text corpus): ``val_size``
  rows are held out by ``val_dataset_seed`` as paired validation; the rest is shuffled by ``train_dataset_seed`` and
  cut into two disjoint halves, B taking the first ``num_points`` rows and A the next ``num_points`` (the original's
  sup = rows [0, N), unsup = rows [N, 2N)), so no text is seen in both spaces during training.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..configs import GanConfig


@dataclass
class TrainData:
    a: torch.Tensor                 # (n_a, d_a) training rows of space A
    b: torch.Tensor                 # (n_b, d_b) training rows of space B
    diag_a: torch.Tensor            # rows for the label-free diagnostics
    diag_b: torch.Tensor
    val_a: Optional[torch.Tensor]   # paired validation rows (row i of val_a and val_b: the same text), or None
    val_b: Optional[torch.Tensor]
    bs: int = 256                   # batch size per side
    raw_a: Optional[np.ndarray] = None  # the training rows before normalization (row i of raw_a is row i of a)
    raw_b: Optional[np.ndarray] = None
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def steps_per_epoch(self) -> int:
        return min(len(self.a), len(self.b)) // self.bs


def as_tensor(x: np.ndarray) -> torch.Tensor:
    """A float32 CPU tensor sharing ``x``'s memory, or a copy when ``x`` is read-only (a memory map)."""
    arr = np.ascontiguousarray(x, dtype=np.float32)
    return torch.from_numpy(arr if arr.flags.writeable else arr.copy())


def _to_tensor(x: np.ndarray, normalize: bool, device: torch.device) -> torch.Tensor:
    t = as_tensor(x).to(device)
    return F.normalize(t, dim=-1) if normalize else t


def prepare_data(a: np.ndarray, b: np.ndarray, cfg: GanConfig, device: torch.device, *, paired: bool = False,
                 val_a: Optional[np.ndarray] = None, val_b: Optional[np.ndarray] = None) -> TrainData:
    """Split, cap, normalize and move to ``device``. Inputs are validated float32 matrices."""
    names = (cfg.unsup_emb, cfg.sup_emb)
    if (val_a is None) != (val_b is None):
        raise ValueError("paired validation needs both val_a and val_b")
    if val_a is not None and val_b is not None:
        if paired:
            raise ValueError("give either paired=True (validation held out from the training rows) or val_a/val_b")
        if len(val_a) != len(val_b):
            raise ValueError(f"val_a has {len(val_a)} rows but val_b has {len(val_b)}: validation rows must be paired")
        for name, v, x in (("val_a", val_a, a), ("val_b", val_b, b)):
            if v.shape[1] != x.shape[1]:
                raise ValueError(f"{name} has {v.shape[1]} columns but the training rows have {x.shape[1]}")
    info: Dict[str, Any] = {"paired": paired}
    train_rng = np.random.default_rng(cfg.train_dataset_seed)
    val_rng = np.random.default_rng(cfg.val_dataset_seed)
    if paired:
        if len(a) != len(b):
            raise ValueError(f"paired=True needs as many rows in A as in B: {len(a)} vs {len(b)}")
        n, v = len(a), cfg.val_size
        if v >= n - 1:
            raise ValueError(f"val_size={v} leaves no training rows out of {n} paired rows")
        order = val_rng.permutation(n)
        val_idx, pool = order[:v], order[v:]
        pool = pool[train_rng.permutation(len(pool))]
        half = cfg.num_points or len(pool) // 2
        if 2 * half > len(pool):
            raise ValueError(f"num_points={half} per side needs {2 * half} rows, only {len(pool)} remain after "
                             f"val_size={v}")
        idx_b, idx_a = pool[:half], pool[half:2 * half]
        train_a, train_b = a[np.sort(idx_a)], b[np.sort(idx_b)]
        val_a, val_b = (a[val_idx], b[val_idx]) if v > 0 else (None, None)
        diag_a, diag_b = val_a, val_b
        info.update(val_rows=int(v), disjoint=True)
    else:
        rows = []
        for x in (a, b):
            keep = train_rng.permutation(len(x))
            if cfg.num_points:
                keep = keep[:cfg.num_points]
            rows.append(x[np.sort(keep)])
        train_a, train_b = rows
        diag_a, diag_b = (x[np.sort(val_rng.choice(len(x), min(cfg.val_size, len(x)), replace=False))]
                          for x in (train_a, train_b))
    if paired and diag_a is None:  # val_size = 0 with paired data: diagnose on training rows
        diag_a, diag_b = (x[np.sort(val_rng.choice(len(x), min(1024, len(x)), replace=False))]
                          for x in (train_a, train_b))
    for name, x in zip(names, (train_a, train_b)):
        if len(x) < cfg.bs:
            raise ValueError(f"bs={cfg.bs} is larger than the {len(x)} training rows of space {name!r}: "
                             f"lower bs or give more rows")
    norm = cfg.normalize_embeddings
    data = TrainData(
        a=_to_tensor(train_a, norm, device), b=_to_tensor(train_b, norm, device),
        diag_a=_to_tensor(diag_a, norm, device), diag_b=_to_tensor(diag_b, norm, device),
        val_a=None if val_a is None else _to_tensor(val_a, norm, device),
        val_b=None if val_b is None else _to_tensor(val_b, norm, device), bs=cfg.bs, raw_a=train_a, raw_b=train_b,
        info=info)
    info.update(train_a=len(train_a), train_b=len(train_b), diag_rows=(len(diag_a), len(diag_b)),
                val_pairs=0 if val_a is None else len(val_a), steps_per_epoch=data.steps_per_epoch)
    return data


def batches(data: TrainData, generator: torch.Generator) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """One epoch: both sides reshuffled by ``generator`` and zipped (the shorter side sets the length); the
    last partial batch is dropped, as the original's loaders do."""
    perm_a = torch.randperm(len(data.a), generator=generator).to(data.a.device)
    perm_b = torch.randperm(len(data.b), generator=generator).to(data.b.device)
    bs = data.bs
    for i in range(data.steps_per_epoch):
        yield data.a[perm_a[i * bs:(i + 1) * bs]], data.b[perm_b[i * bs:(i + 1) * bs]]
