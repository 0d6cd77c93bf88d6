"""The training driver: seeds, optional warm start, epochs, per-epoch validation, early stopping, best checkpoint,
several seeds with selection, time budget."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._validation import as_float32_matrix
from ..configs import GanConfig, load_config
from .checkpoint import append_metrics, check_out_dir, save_checkpoint
from .data import TrainData, as_tensor, batches, prepare_data
from .discriminator import Discriminator
from .trainer import GanDivergedError, GanTrainer, precision, resolve_device
from .translator import Translator
from .validation import evaluate
from .warmstart import distill, linear_teacher

Callback = Callable[[Dict[str, Any], Translator], Optional[bool]]


@dataclass
class GanResult:
    """What :func:`train_gan` returns. ``translator`` holds the best epoch's weights (not the last), in eval mode
    on the CPU; ``history`` has one record per validation (epoch 0 = before any GAN step)."""

    translator: Translator
    discriminators: Dict[str, torch.nn.Module]
    config: GanConfig                     # the winning seed's config (its ``seed`` is the seed used)
    names: Tuple[str, str]                # (A, B) space names
    best: Dict[str, Any]                  # the winning record: seed, epoch, step, score, metrics
    history: List[Dict[str, Any]]
    report: Dict[str, Any] = field(default_factory=dict)

    def translate(self, x: ArrayLike, source: Optional[str] = None, target: Optional[str] = None,
                  batch: int = 4096) -> np.ndarray:
        """Translate rows (A -> B by default) with the best weights; returns unit rows as float32."""
        from .validation import translate_all

        source = source or self.names[0]
        target = target or (self.names[1] if source == self.names[0] else self.names[0])
        xt = as_tensor(as_float32_matrix(x, "x"))
        if self.config.normalize_embeddings:
            xt = torch.nn.functional.normalize(xt, dim=-1)
        return translate_all(self.translator, xt, source, target, batch).numpy()


def _log_line(record: Mapping[str, Any]) -> str:
    val = record["val"]
    keys = [k for k in val if k.startswith(("top1[", "mean_rank[", "mean_cos[", "matching[", "vsp[", "cycle_cos["))]
    parts = [f"seed {record['seed']} epoch {record['epoch']} step {record['step']} ({record['seconds']:.0f} s)",
             f"score {record['score']:.4g}"] + [f"{k} {val[k]:.4g}" for k in keys]
    if record.get("train"):
        parts.append(f"loss {record['train']['total']:.4g}")
    return " | ".join(parts)


def train_gan(X_a: ArrayLike, X_b: ArrayLike, config: Union[str, Path, GanConfig, None] = "unsupervised",
              overrides: Optional[Mapping[str, Any]] = None, *, paired: bool = False,
              val_a: Optional[ArrayLike] = None, val_b: Optional[ArrayLike] = None, device: Any = None,
              n_threads: Optional[int] = None, out_dir: Union[str, Path, None] = None, overwrite: bool = False,
              progress: bool = False,
              log: Optional[Callable[[str], None]] = None, callback: Optional[Callback] = None) -> GanResult:
    """Train vec2vec on unpaired embeddings of two spaces.

    Parameters
    ----------
    X_a : (n_a, d_a) rows of space A (``unsup_emb``, M1); X_b : (n_b, d_b) rows of space B (``sup_emb``, M2).
        Unpaired by default; see :mod:`vec2vec_fast.gan.data` for the split conventions and ``paired``.
    config, overrides : as :func:`vec2vec_fast.configs.load_config`.
    val_a, val_b : optional paired validation rows (row i of each: the same text).
    device : None = CUDA when present, else CPU.
    n_threads : threads of the mini-vec2vec fit (``init = "mini"``); torch's own thread count is left alone.
    out_dir : when given, the best checkpoint so far (see :mod:`vec2vec_fast.gan.checkpoint`) and a metrics.jsonl
        line per validation are written there as training goes, so a crash or a NaN leaves the best one on disk.
        A folder that already holds files is refused (FileExistsError) unless ``overwrite``.
    progress : show a tqdm progress bar (stderr). log : called with one metric line per validation and every
        ``log_every`` steps. callback : called after each validation with (record, translator); returning True stops
        this seed's training.

    Returns
    -------
    GanResult with the best (seed, epoch) by the validation score: the paired mean rank when paired rows exist, else
    the label-free score (:mod:`vec2vec_fast.gan.validation`).

    Raises GanDivergedError when a loss turns NaN or infinite: with ``n_seeds = 1`` at once (the best checkpoint
    before it stays in ``out_dir``); with several seeds that seed is abandoned, logged and reported in
    ``report["diverged"]``, and the error is raised only if no seed completed a validation.
    """
    cfg = load_config(config, overrides)
    a = as_float32_matrix(X_a, "X_a", n_threads=n_threads or 1)
    b = as_float32_matrix(X_b, "X_b", n_threads=n_threads or 1)
    va = None if val_a is None else as_float32_matrix(val_a, "val_a")
    vb = None if val_b is None else as_float32_matrix(val_b, "val_b")
    dev = resolve_device(device)
    data = prepare_data(a, b, cfg, dev, paired=paired, val_a=va, val_b=vb)
    names = (cfg.unsup_emb, cfg.sup_emb)
    dims = {names[0]: a.shape[1], names[1]: b.shape[1]}
    out = check_out_dir(out_dir, overwrite=overwrite) if out_dir is not None else None
    dtype = precision(cfg, dev)
    report: Dict[str, Any] = {"device": str(dev), "autocast": str(dtype) if dtype else "no (fp32)",
                              "data": data.info, "seeds": []}
    teacher = None
    begin = time.perf_counter()  # the first seed's time budget includes the linear teacher's fit
    if cfg.init == "mini":
        target_b, target_a, mini_report = linear_teacher(data, cfg, n_threads)
        teacher, report["mini"] = (target_b, target_a), mini_report
        if log:
            log(f"init='mini': linear teacher fitted in {mini_report['seconds']:.1f} s")
    history: List[Dict[str, Any]] = []
    best: Optional[Dict[str, Any]] = None
    best_state: Optional[Tuple[Dict[str, Any], Dict[str, Any]]] = None
    diverged: List[str] = []

    def on_record(record: Dict[str, Any], state: Optional[Tuple[Dict[str, Any], Dict[str, Any]]]) -> None:
        """Every validation: one metrics line on disk; a new best over all seeds replaces the checkpoint."""
        nonlocal best, best_state
        history.append(record)
        if out is not None:
            append_metrics(out, [record])
        if state is not None and (best is None or record["score"] < best["score"]):
            best = {k: record[k] for k in ("seed", "epoch", "step", "seconds", "score", "val")}
            best_state = state
            if out is not None:
                save_checkpoint(out, state[0], cfg.replace(seed=record["seed"]), dims, discriminators=state[1],
                                summary={"best": best, "report": report})

    for k in range(cfg.n_seeds):
        seed_cfg = cfg.replace(seed=(cfg.seed + k) % 2**64)
        run = _Run(seed_cfg, data, dims, dev, teacher, progress, log, callback, on_record,
                   start=begin if k == 0 else None)
        try:
            run.train()
        except GanDivergedError as err:
            message = f"seed {seed_cfg.seed}: training aborted, {err}"
            if out is not None and best is not None:
                message += f" (the best checkpoint so far, seed {best['seed']} epoch {best['epoch']}, is in {out})"
            if cfg.n_seeds == 1:
                raise GanDivergedError(message) from err
            run.stopped = "diverged"
            diverged.append(message)
            if log:
                log(message)
        report["seeds"].append({"seed": seed_cfg.seed, "best": run.best, "stopped": run.stopped,
                                "init": run.init_report})
    if best is None or best_state is None:
        raise GanDivergedError("; ".join(diverged) or "no validation was completed")
    report["diverged"] = diverged
    best_cfg = cfg.replace(seed=best["seed"])
    translator = Translator(dims, best_cfg, torch.Generator().manual_seed(0))
    translator.load_state_dict(best_state[0])
    translator.eval()
    discs = {}
    for name, state in best_state[1].items():
        in_dim = dims[names[0]] if name == "disc" else dims[names[1]] if name == "sup_disc" else cfg.d_adapter
        disc = Discriminator(in_dim, cfg.disc_dim, cfg.disc_depth, cfg.weight_init, torch.Generator())
        disc.load_state_dict(state)
        discs[name] = disc.eval()
    return GanResult(translator=translator, discriminators=discs, config=best_cfg, names=names, best=best,
                     history=history, report=report)


def _cpu_copy(state: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


class _Run:
    """One seed's training."""

    def __init__(self, cfg: GanConfig, data: TrainData, dims: Dict[str, int], device: torch.device,
                 teacher: Optional[Tuple[torch.Tensor, torch.Tensor]], progress: bool,
                 log: Optional[Callable[[str], None]], callback: Optional[Callback],
                 on_record: Callable[[Dict[str, Any], Optional[Tuple[Dict[str, Any], Dict[str, Any]]]], None],
                 start: Optional[float] = None):
        self.cfg, self.data, self.dims, self.device = cfg, data, dims, device
        self.teacher, self.progress, self.log, self.callback = teacher, progress, log, callback
        self.on_record, self.start = on_record, start
        self._callback_stop = False
        self.history: List[Dict[str, Any]] = []
        self.best: Optional[Dict[str, Any]] = None
        self.best_state: Optional[Tuple[Dict[str, Any], Dict[str, Any]]] = None
        self.stopped = "not started"
        self.init_report: Optional[Dict[str, Any]] = None

    def train(self) -> None:
        cfg = self.cfg
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        # Dropout draws from torch's global generator: seed it inside fork_rng, which restores the caller's state.
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(cfg.seed)
            self._train()

    def _train(self) -> None:
        cfg, data = self.cfg, self.data
        start = self.start if self.start is not None else time.perf_counter()
        steps_per_epoch = data.steps_per_epoch
        total_steps = max(1, math.ceil(cfg.epochs * steps_per_epoch))
        weights = torch.Generator().manual_seed(cfg.seed)
        loader = torch.Generator().manual_seed(cfg.seed)
        trainer = GanTrainer(self.dims, cfg, self.device, weights, total_steps)
        self.trainer = trainer
        if self.teacher is not None and cfg.init_steps > 0:
            self.init_report = distill(trainer.translator, data, self.teacher, cfg, loader)
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total_steps, desc=f"seed {cfg.seed}", unit="step", leave=False)
        log = self.log
        try:
            self._validate(trainer, 0, 0, start, {}, log)
            self.stopped = "epochs"
            step, epoch, since_best = 0, 0, 0
            stop = self._stop_now(start)  # e.g. the teacher fit used the whole budget
            if stop:
                self.stopped = "time limit"
            while step < total_steps and not stop:
                epoch += 1
                sums: Dict[str, float] = {}
                count = 0
                for x_a, x_b in batches(data, loader):
                    values = trainer.train_step(x_a, x_b)
                    step += 1
                    count += 1
                    for key, v in values.items():
                        sums[key] = sums.get(key, 0.0) + v
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{values['total']:.4f}", epoch=epoch, refresh=False)
                    if log is not None and cfg.log_every and step % cfg.log_every == 0:
                        log(f"seed {cfg.seed} epoch {epoch} step {step}: "
                            + ", ".join(f"{k} {values[k]:.4g}" for k in ("total", "rec", "cc_trans", "cc_vsp", "gen",
                                                                        "sup_gen", "latent_gen")))
                    if step >= total_steps:
                        break
                    if self._stop_now(start):
                        self.stopped, stop = "time limit", True
                        break
                means = {k: v / max(1, count) for k, v in sums.items()}
                improved = self._validate(trainer, epoch, step, start, means, log)
                since_best = 0 if improved else since_best + 1
                if self._callback_stop:
                    self.stopped, stop = "callback", True
                elif (cfg.patience > 0 and epoch >= cfg.min_epochs and since_best >= cfg.patience):
                    self.stopped, stop = "early stopping", True
                    if log:
                        log(f"seed {cfg.seed}: early stopping at epoch {epoch} ({since_best} epochs without improving "
                            f"on epoch {self.best['epoch'] if self.best else '?'})")
        finally:
            if bar is not None:
                bar.close()

    def _stop_now(self, start: float) -> bool:
        return self.cfg.max_seconds > 0 and time.perf_counter() - start >= self.cfg.max_seconds

    def _validate(self, trainer: GanTrainer, epoch: int, step: int, start: float, train: Dict[str, float],
                  log: Optional[Callable[[str], None]]) -> bool:
        cfg = self.cfg
        val = evaluate(trainer.translator, self.data, trainer.names, cfg.val_bs)
        score = val["score"]
        if not math.isfinite(score):
            raise GanDivergedError(f"the validation score is {score} at epoch {epoch}")
        record = {"seed": cfg.seed, "epoch": epoch, "step": step, "seconds": time.perf_counter() - start,
                  "lr": trainer.optimizer.param_groups[0]["lr"], "score": score, "train": train, "val": val}
        self.history.append(record)
        improved = self.best is None or score < self.best["score"] - cfg.min_delta
        state = None
        if improved:
            self.best = {k: record[k] for k in ("seed", "epoch", "step", "seconds", "score", "val")}
            state = (_cpu_copy(trainer.translator.state_dict()),
                     {name: _cpu_copy(d.state_dict()) for name, d in trainer.discriminators.items()})
            self.best_state = state
        self.on_record(record, state)
        if log is not None:
            log(_log_line(record) + ("  *best*" if improved else ""))
        if self.callback is not None and self.callback(record, trainer.translator):
            self._callback_stop = True
        return improved
