"""vec2vec GAN trainer: training steps per second, and the quality reached in a fixed time budget, cold start vs
init="mini", next to the linear method (mini-vec2vec) on the same split.

    python benchmarks/bench_gan.py --quick                                   # 2k fixture, tiny sizes, < 1 minute
    python benchmarks/bench_gan.py --pairs DIR --budget 120 --threads 1      # DIR/a.npy, DIR/b.npy: paired rows

Speed: GanTrainer.train_step at batch 256 on random unit rows of the data's dimensions, for the original's
``unsupervised`` architecture (21M-parameter translator, 3 discriminators of 4M) and its ``small`` one; a few
warm-up steps, then the mean over --speed-steps steps. Device: CUDA when present, else CPU (--device to force).

Quality: the split of bench_end_to_end.py (spec section 3): the last --eval rows are the paired eval set; A trains
on the first half of the rest and B on the second (disjoint texts, so no pairs are seen). Each GAN run gets
--budget seconds of wall time, the init="mini" run's budget including its linear teacher fit, and returns the epoch
with the best label-free validation score (no labels are used for selection). Eval: A's eval rows translated into
B, each ranked among all B eval rows (one pool; top-1, top-5, 1-based mean rank, mean cosine), in two frames:
"raw" (unit rows as the translator outputs them) and "centred" (B's training mean removed, then unit rows: the
linear method's own frame). The per-epoch eval curve (on the first 2,048 eval rows, one pool of 2,048) is
recorded for the report only.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import torch

import vec2vec_fast as v2v
from common import RESULTS_DIR, machine, open_pairs, versions
from vec2vec_fast import Aligner
from vec2vec_fast.configs import load_config
from vec2vec_fast.gan import GanTrainer, resolve_device, train_gan
from vec2vec_fast.gan.validation import translate_all
from vec2vec_fast.metrics import retrieval_metrics

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "data" / "minilm_mpnet_wordnet_2k.npz"
# The GAN quality runs: the original's small architecture; a 100-step warm-up instead of 2000, since a CPU budget
# of minutes gives a few hundred steps and the original's warm-up would keep the learning rate near 0 throughout.
QUALITY = {"warmup_length": 100, "epochs": 10_000.0, "val_size": 2048, "val_bs": 1024, "log_every": 0}
QUICK_ARCH = {"depth": 2, "transform_depth": 2, "d_adapter": 128, "d_hidden": 128, "d_transform": 128,
              "disc_depth": 2, "disc_dim": 128, "bs": 128, "val_size": 256, "val_bs": 256, "warmup_length": 20}
CURVE_ROWS = 2048  # eval rows (one pool) of the per-validation curve; the final numbers use every eval row
QUICK_MINI = {"mini_anchor_runs": 3, "mini_refine1_iterations": 5, "mini_refine1_sample": 200,
              "mini_refine2_clusters": 20, "mini_qap_restarts": 5}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", type=Path, default=None, help="folder with paired a.npy and b.npy, or A.npy and B.npy "
                   "(default: the fixture)")
    p.add_argument("--eval", type=int, default=None, help="paired eval rows from the end (default 8192; quick 400)")
    p.add_argument("--budget", type=float, default=None, help="seconds per GAN run (default 120; quick 8)")
    p.add_argument("--config", default="small", help="config of the quality runs (default small)")
    p.add_argument("--speed-configs", nargs="*", default=None, help="configs timed (default unsupervised small)")
    p.add_argument("--speed-steps", type=int, default=None, help="timed steps per config (default 5; quick 2)")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="torch and C++ threads")
    p.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip", nargs="*", default=[], choices=["speed", "random", "mini", "linear"])
    p.add_argument("--quick", action="store_true", help="the fixture, a tiny architecture, a few seconds per run")
    p.add_argument("--out", type=Path, default=None, help="JSON path (default benchmarks/results/gan[_quick].json)")
    args = p.parse_args()
    args.eval = args.eval or (400 if args.quick else 8192)
    args.budget = args.budget or (8.0 if args.quick else 120.0)
    args.speed_steps = args.speed_steps or (2 if args.quick else 5)
    args.speed_configs = args.speed_configs or (["small"] if args.quick else ["unsupervised", "small"])
    return args


def load(args: argparse.Namespace):
    if args.pairs is None:
        z = np.load(FIXTURE)
        return z["a"].astype(np.float32), z["b"].astype(np.float32), str(FIXTURE.relative_to(REPO))
    a, b = open_pairs(args.pairs)
    return a.astype(np.float32), b.astype(np.float32), str(args.pairs)


def split(a: np.ndarray, b: np.ndarray, n_eval: int) -> Dict[str, np.ndarray]:
    """As bench_end_to_end.py: eval = the last n_eval rows (paired); A trains on the first half of the rest, B on the
    second half."""
    n = len(a) - n_eval
    half = n // 2
    return {"a_train": a[:half], "b_train": b[half:n], "a_eval": a[n:], "b_eval": b[n:]}


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def frames(pred_raw: np.ndarray, target_raw: np.ndarray, mean_b: np.ndarray) -> Dict[str, Dict[str, float]]:
    """Retrieval metrics of predictions (B's raw frame) against the true B rows, in both frames, one pool."""
    n = len(pred_raw)
    return {"raw": retrieval_metrics(unit(pred_raw), unit(target_raw), block=n),
            "centred": retrieval_metrics(unit(pred_raw - mean_b), unit(target_raw - mean_b), block=n)}


def speed(cfg_name: str, dims: Dict[str, int], steps: int, device: torch.device, quick: bool) -> Dict[str, Any]:
    overrides = {"warmup_length": 0, "bs": 256}
    if quick:
        overrides.update({k: v for k, v in QUICK_ARCH.items() if k not in ("bs", "warmup_length")})
    cfg = load_config(cfg_name, overrides)
    g = torch.Generator().manual_seed(0)
    trainer = GanTrainer(dims, cfg, device, g, 10_000)
    x_a = torch.nn.functional.normalize(torch.randn(256, dims["a"], generator=g), dim=-1).to(device)
    x_b = torch.nn.functional.normalize(torch.randn(256, dims["b"], generator=g), dim=-1).to(device)
    for _ in range(2):
        trainer.train_step(x_a, x_b)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(x_a, x_b)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - t0) / steps
    row = {"config": cfg_name if not quick else f"{cfg_name} (quick widths)", "batch": 256,
           "steps_per_s": 1 / seconds, "s_per_step": seconds, "timed_steps": steps,
           "translator_params": sum(p.numel() for p in trainer.translator.parameters()),
           "discriminator_params": sum(p.numel() for d in trainer.discriminators.values() for p in d.parameters()),
           "device": str(device), "autocast": str(trainer.amp_dtype) if trainer.amp_dtype else "fp32"}
    print(f"  {row['config']:<28} {row['steps_per_s']:8.3f} steps/s ({seconds:.3f} s/step), translator "
          f"{row['translator_params'] / 1e6:.1f}M, discriminators {row['discriminator_params'] / 1e6:.1f}M", flush=True)
    return row


def gan_run(init: str, data: Dict[str, np.ndarray], args: argparse.Namespace, device: torch.device) -> Dict[str, Any]:
    overrides: Dict[str, Any] = {**QUALITY, "init": init, "max_seconds": args.budget, "seed": args.seed}
    if args.quick:
        overrides.update(QUICK_ARCH)
        overrides.update(QUICK_MINI)
    mean_b = unit(data["b_train"]).mean(0)
    curve_rows = min(CURVE_ROWS, len(data["a_eval"]))  # the curve's eval cost counts against the budget: keep it small
    ea = torch.nn.functional.normalize(torch.from_numpy(data["a_eval"][:curve_rows]), dim=-1).to(device)
    curve: List[Dict[str, Any]] = []

    def on_validation(record: Dict[str, Any], translator: Any) -> None:
        pred = translate_all(translator, ea, "a", "b").float().cpu().numpy()
        m = frames(pred, data["b_eval"][:curve_rows], mean_b)
        curve.append({"epoch": record["epoch"], "step": record["step"], "seconds": record["seconds"],
                      "label_free": record["val"]["label_free"], "eval": m})
        print(f"    epoch {record['epoch']:>3} step {record['step']:>5} {record['seconds']:7.1f} s: label-free "
              f"{record['val']['label_free']:.4f}; eval[:{curve_rows}] top1 raw {m['raw']['top1']:.4f} centred "
              f"{m['centred']['top1']:.4f}, rank {m['centred']['mean_rank']:.2f}", flush=True)

    t0 = time.perf_counter()
    result = train_gan(data["a_train"], data["b_train"], args.config, overrides, device=device,
                       n_threads=args.threads, callback=on_validation)
    wall = time.perf_counter() - t0
    pred_raw = result.translate(data["a_eval"])
    back_raw = result.translate(data["b_eval"], "b", "a")
    metrics = frames(pred_raw, data["b_eval"], mean_b)
    steps = max(h["step"] for h in result.history)
    row = {"impl": f"gan init={init}", "config": args.config, "overrides": overrides, "wall_s": wall,
           "gan_steps": steps, "best_epoch": result.best["epoch"], "epochs_validated": len(result.history),
           "a_to_b": metrics, "b_to_a_raw": retrieval_metrics(unit(back_raw), unit(data["a_eval"]),
                                                              block=len(back_raw)),
           "teacher": result.report.get("mini"), "warm_start": result.report["seeds"][0]["init"], "curve": curve}
    print(f"  gan init={init:<6}: {wall:6.1f} s, {steps} GAN steps, best epoch {result.best['epoch']} (label-free); "
          f"A->B centred top1 {metrics['centred']['top1']:.4f} rank {metrics['centred']['mean_rank']:.2f} "
          f"cos {metrics['centred']['mean_cos']:.3f}; raw top1 {metrics['raw']['top1']:.4f} "
          f"cos {metrics['raw']['mean_cos']:.3f}", flush=True)
    return row


def linear_run(data: Dict[str, np.ndarray], args: argparse.Namespace) -> Dict[str, Any]:
    params = {k[len("mini_"):]: v for k, v in QUICK_MINI.items()} if args.quick else {}
    t0 = time.perf_counter()
    aligner = Aligner("mini", seed=args.seed, n_threads=args.threads, **params).fit(data["a_train"], data["b_train"])
    wall = time.perf_counter() - t0
    metrics = frames(aligner.transform(data["a_eval"], raw=True), data["b_eval"], unit(data["b_train"]).mean(0))
    print(f"  linear (mini-vec2vec): {wall:6.1f} s; A->B centred top1 {metrics['centred']['top1']:.4f} rank "
          f"{metrics['centred']['mean_rank']:.2f} cos {metrics['centred']['mean_cos']:.3f}; raw top1 "
          f"{metrics['raw']['top1']:.4f} cos {metrics['raw']['mean_cos']:.3f}", flush=True)
    return {"impl": "linear (Aligner mini)", "wall_s": wall, "a_to_b": metrics, "params": params}


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    a, b, source = load(args)
    data = split(a, b, args.eval)
    config = {"data": source, "rows": len(a), "d_a": a.shape[1], "d_b": b.shape[1], "eval": args.eval,
              "train_a": len(data["a_train"]), "train_b": len(data["b_train"]), "budget_s": args.budget,
              "quality_config": args.config, "threads": args.threads, "device": str(device), "seed": args.seed,
              "quick": args.quick, "load_average_start": os.getloadavg()}
    print("gan: " + ", ".join(f"{k}={v}" for k, v in config.items()), flush=True)
    rows: Dict[str, Any] = {"speed": [], "quality": []}
    if "speed" not in args.skip:
        print(f"speed (batch 256, {args.threads} threads, {device}):", flush=True)
        dims = {"a": a.shape[1], "b": b.shape[1]}
        rows["speed"] = [speed(name, dims, args.speed_steps, device, args.quick) for name in args.speed_configs]
    print(f"quality (budget {args.budget:.0f} s per GAN run, config {args.config}):", flush=True)
    if "linear" not in args.skip:
        rows["quality"].append(linear_run(data, args))
    for init in ("random", "mini"):
        if init not in args.skip:
            rows["quality"].append(gan_run(init, data, args, device))
    config["load_average_end"] = os.getloadavg()
    path = args.out or RESULTS_DIR / ("gan_quick.json" if args.quick else "gan.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": "gan", "config": config, **rows, "build_info": v2v.build_info(),
              "versions": {**versions(), "torch": torch.__version__}, "machine": machine(),
              "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.write_text(json.dumps(record, indent=2, default=float))
    print(f"\n{'method':<24}{'wall s':>8}{'top1':>8}{'top5':>8}{'rank':>9}{'cos':>7}"
          "   (A->B, centred frame; raw top1/cos)")
    for r in rows["quality"]:
        c, raw = r["a_to_b"]["centred"], r["a_to_b"]["raw"]
        print(f"{r['impl']:<24}{r['wall_s']:>8.1f}{c['top1']:>8.4f}{c['top5']:>8.4f}{c['mean_rank']:>9.2f}"
              f"{c['mean_cos']:>7.3f}   {raw['top1']:.4f} / {raw['mean_cos']:.3f}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
