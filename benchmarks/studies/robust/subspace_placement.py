"""Placing rows by A's well-estimated axes only, fitting the map on all of them.

usage: subspace_placement.py DATA_DIR PAIR ROUNDS VARIANT ...   (VARIANT: base | k<axes> | g<gamma>, e.g. k128 g0.5)

The tenth round found that placing rows by the map walks the polish away from the truth, and the sixth that the
polish's error lies in A's middle and low-variance axes. Each round chooses its targets by x_i W on every axis, so
the low axes of W help choose the targets they are then fitted to. Here the plan places each row by its projection
on A's top principal axes only (``k<axes>``), or by its principal coordinates scaled by (eigenvalue / largest)^(gamma/2)
(``g<gamma>``: gamma 1 weighs axes by their standard deviation once more), while the Procrustes step still fits W on
all of A's axes. The low block of W then no longer chooses its own targets.
The rest is the method's polish: eps 0.03, A's rows ridge-whitened (1 mean eigenvalue), 5 cross-fitted folds
(round-robin), momentum 0.5, 10 warm-started Sinkhorn sweeps, all training rows.
"""
import sys

import numpy as np

from study_pair import ceiling as true_ceiling, protocol, turned as turned_start
from vec2vec_fast import _core
from vec2vec_fast._numerics import unit_rows
from vec2vec_fast.transport import _block_pool, _folds, _ridge_whitened, sinkhorn_targets

REPORT = (1, 2, 4, 8, 16, 32)


def polar(m):
    return _core.polar_factor(np.ascontiguousarray(m, dtype=np.float64), True).astype(np.float32)


def placement_rows(x, variant):
    """A's rows as the plan sees them: all axes (base), the top k principal axes, or principal axes rescaled."""
    if variant == "base":
        return x
    evals, evecs = np.linalg.eigh(x.T.astype(np.float64) @ x / len(x))
    evals, evecs = evals[::-1], evecs[:, ::-1]
    if variant.startswith("k"):
        keep = evecs[:, : int(variant[1:])]
        return (x @ keep @ keep.T).astype(np.float32)
    scale = (np.maximum(evals, 0) / evals[0]) ** (float(variant[1:]) / 2)
    return (x @ (evecs * scale) @ evecs.T).astype(np.float32)


def run(p, W, rounds, variant, momentum=0.5, folds=5):
    order, slices = _folds(len(p.a), folds)
    x = p.a[order]
    x_fit, x_place = _ridge_whitened(x, 1.0), placement_rows(x, variant)
    v = np.ones(len(p.b))
    W_folds, previous, out = [W] * len(slices), None, []
    with _block_pool(2) as pool:
        for r in range(1, rounds + 1):
            mapped = np.concatenate([unit_rows(x_place[s] @ Wk) for s, Wk in zip(slices, W_folds)])
            t, v, obj = sinkhorn_targets(pool, mapped, p.b, 0.03, 10, v)
            parts = np.array([x_fit[s].T.astype(np.float64) @ t[s] for s in slices])
            used = parts if previous is None else parts + momentum * (parts - previous)
            previous = parts
            total = used.sum(0)
            W_folds = [polar(total - part) for part in used]
            W = polar(total)
            if r in REPORT:
                out.append(f"{r}: {p.top1(W):.4f}")
    return W, obj, out


def main():
    data_dir, pair, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    p = protocol(data_dir, pair)
    ceiling = true_ceiling(p)[1]
    turned = turned_start(ceiling)
    print(f"{pair}: ceiling {p.top1(ceiling):.4f}, turned start {p.top1(turned):.4f}", flush=True)
    for variant in sys.argv[4:]:
        for name, start in (("ceiling", ceiling), ("turned", turned)):
            W, obj, out = run(p, start, rounds, variant)
            print(f"{variant} from {name}: " + " / ".join(out) + f"; last objective {obj:.4f}", flush=True)


if __name__ == "__main__":
    main()
