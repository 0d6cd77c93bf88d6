"""Cut the committed hard cross-family test fixture from a real pair of ../shared/data (or from make_pairs.py
--layout shared output): the first N paired rows of MiniLM (A, 384-d) and the Universal Sentence Encoder (B, 512-d)
on Wikipedia sentences.

    python benchmarks/cut_hard_fixture.py --pair ../shared/data/minilm_use_wiki --rows 2000

Writes tests/data/minilm_use_wiki_2k.npz (``a``, ``b``: float16 as in the source, row i of both embeds sentence i),
.jsonl (the sentences with their Wikipedia article, CC BY-SA 4.0: keep the attribution) and .json (source, rows,
the source's meta.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "data" / "minilm_use_wiki_2k"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pair", type=Path, default=HERE.parent.parent / "shared" / "data" / "minilm_use_wiki")
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    a, b = np.load(args.pair / "A.npy", mmap_mode="r"), np.load(args.pair / "B.npy", mmap_mode="r")
    if not 0 < args.rows <= len(a):
        raise SystemExit(f"--rows must be in [1, {len(a)}]")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out.with_suffix(".npz"), a=np.asarray(a[:args.rows], dtype=np.float16),
             b=np.asarray(b[:args.rows], dtype=np.float16))
    with (args.pair / "texts.jsonl").open() as src, args.out.with_suffix(".jsonl").open("w") as dst:
        for _, line in zip(range(args.rows), src):
            dst.write(line)
    meta_path = args.pair / "meta.json"
    record = {"source": args.pair.name, "rows": [0, args.rows], "cut_by": "benchmarks/cut_hard_fixture.py",
              "source_meta": json.loads(meta_path.read_text()) if meta_path.exists() else None}
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out.with_suffix('.npz')} ({args.out.with_suffix('.npz').stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
