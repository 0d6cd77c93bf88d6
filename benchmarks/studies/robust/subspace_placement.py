"""Placing rows by A's well-estimated axes only, fitting the map on all of them.

usage: subspace_placement.py DATA_DIR PAIR ROUNDS VARIANT ...   (VARIANT: base | k<axes> | g<gamma>, e.g. k128 g0.5)

The tenth round found that placing rows by the map walks the polish away from the truth, and the sixth that the
polish's error lies in A's middle and low-variance axes. Each round chooses its targets by x_i W on every axis, so
the low axes of W help choose the targets they are then fitted to. Here the plan places each row by its projection
on A's top principal axes only (``k<axes>``), or by its principal coordinates scaled by (eigenvalue / largest)^(gamma/2)
(``g<gamma>``: gamma 1 weighs axes by their standard deviation once more), while the Procrustes step still fits W on
all of A's axes. The low block of W then no longer chooses its own targets.
The rest is the method's polish (crossfit_rounds.py), all training rows.
"""
import sys

import numpy as np

from crossfit_rounds import WarmPlan, crossfit_rounds
from study_pair import ceiling as true_ceiling, protocol, turned as turned_start


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


def run(p, W, rounds, variant):
    return crossfit_rounds(p.a, W, rounds, p.top1, WarmPlan(p.b), place=lambda x: placement_rows(x, variant))


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
