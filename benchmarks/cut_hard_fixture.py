"""Cut the committed hard cross-family test fixture from a real pair of ../shared/data (or make_pairs.py --layout
shared output): MiniLM (A) and multilingual-e5-small (B) on Wikipedia sentences, the papers' split.

    python benchmarks/cut_hard_fixture.py --pair ../shared/data/minilm_e5small_wiki --rows 4000 --eval 1000

Writes tests/data/minilm_e5_wiki_hard.npz: ``a_train`` (A's vectors of the first ROWS sentences of training half 1),
``b_train`` (B's vectors of the first ROWS sentences of half 2: no sentence on both sides), ``a_eval``/``b_eval``
(both models' vectors of the first EVAL sentences of the paired evaluation rows), float16 as in the source, plus a
.json sidecar recording where each block came from and the source's meta.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "data" / "minilm_e5_wiki_hard"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pair", type=Path, default=HERE.parent.parent / "shared" / "data" / "minilm_e5small_wiki")
    p.add_argument("--rows", type=int, default=4000)
    p.add_argument("--eval", type=int, default=1000)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    a, b = np.load(args.pair / "A.npy"), np.load(args.pair / "B.npy")
    n = len(a)
    e = 8192 if n >= 3 * 8192 else 4096
    h = (n - e) // 2
    if args.rows > h or args.eval > e:
        raise SystemExit(f"--rows must be <= {h} and --eval <= {e} for this pair")
    blocks = {"a_train": (a, 0), "b_train": (b, h), "a_eval": (a, n - e), "b_eval": (b, n - e)}
    arrays = {k: src[start:start + (args.eval if k.endswith("eval") else args.rows)].astype(np.float16)
              for k, (src, start) in blocks.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out.with_suffix(".npz"), **arrays)
    meta_path = args.pair / "meta.json"
    record = {"source": args.pair.name, "rows_in_source": n, "eval_rows_in_source": e, "half": h,
              "blocks": {k: {"rows": [int(start), int(start + len(arrays[k]))], "shape": list(arrays[k].shape)}
                         for k, (_, start) in blocks.items()},
              "source_meta": json.loads(meta_path.read_text()) if meta_path.exists() else None}
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out.with_suffix('.npz')} ({args.out.with_suffix('.npz').stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
