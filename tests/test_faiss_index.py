"""faiss index files: transform maps a flat index (IP, L2, inside an IndexIDMap or IndexIDMap2) into an index of the
same kind, ids and row order kept; other index types, foreign files and a missing faiss are one-line errors."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

faiss = pytest.importorskip("faiss")

from vec2vec_fast import Aligner
from vec2vec_fast.cli import EXIT_ERROR, EXIT_MISSING_EXTRA, main
from vec2vec_fast.io import read_faiss_index

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    f = np.load(DATA)
    a, b = f["a"].astype(np.float32), f["b"].astype(np.float32)
    folder = tmp_path_factory.mktemp("faiss")
    aligner = Aligner("procrustes").fit(a[:1600], b[:1600])
    aligner.save(folder / "m.npz")
    return folder, aligner, a[1000:1700]


def _build(kind, x, ids):
    flat = faiss.IndexFlatIP(x.shape[1]) if "IP" in kind else faiss.IndexFlatL2(x.shape[1])
    if kind.startswith("IndexIDMap"):
        index = (faiss.IndexIDMap2 if kind.startswith("IndexIDMap2") else faiss.IndexIDMap)(flat)
        index.add_with_ids(x, ids)
        return index, flat
    flat.add(x)
    return flat, flat


@pytest.mark.parametrize("kind", ["IndexFlatIP", "IndexFlatL2", "IndexIDMap(IndexFlatIP)",
                                  "IndexIDMap2(IndexFlatL2)"])
@pytest.mark.parametrize("raw", [False, True])
def test_transform_keeps_kind_metric_ids_and_order(capsys, setup, kind, raw):
    folder, aligner, x = setup
    ids = np.arange(len(x), dtype=np.int64)[::-1] * 11 + 5  # not 0..n-1, not sorted: must be carried, in order
    index, _ = _build(kind, x, ids)
    src, out = folder / f"{kind}.faiss", folder / f"{kind}_{raw}_out.faiss"
    faiss.write_index(index, str(src))
    info = read_faiss_index(src)
    assert info.kind == kind and info.shape == (700, 384)
    flags = ["--raw"] if raw else []
    status, _, err = run(capsys, "transform", folder / "m.npz", src, "-o", out, "--chunk-rows", "64", "-q", *flags)
    assert status == 0 and err == ""
    result = read_faiss_index(out)
    assert result.kind == kind and result.shape == (700, 768)
    assert result.flat.metric_type == info.flat.metric_type
    np.testing.assert_array_equal(result.flat.reconstruct_n(0, 700), aligner.transform(x, raw=raw))
    if result.ids is None:
        assert "IDMap" not in kind
    else:
        np.testing.assert_array_equal(result.ids, ids)
        # searching the new index returns the carried ids: each mapped row finds itself
        _, found = result.index.search(aligner.transform(x[:5], raw=raw), 1)
        if "IP" in kind and not raw:  # unit rows: each row's best inner product is with itself
            np.testing.assert_array_equal(found[:, 0], ids[:5])


def test_inverse_and_empty_index(capsys, setup):
    folder, aligner, x = setup
    y = aligner.transform(x[:50], raw=True)
    index = faiss.IndexFlatL2(768)
    index.add(y)
    faiss.write_index(index, str(folder / "b.faiss"))
    assert run(capsys, "transform", folder / "m.npz", folder / "b.faiss", "-o", folder / "back.faiss", "--inverse",
               "-q")[0] == 0
    back = read_faiss_index(folder / "back.faiss")
    np.testing.assert_array_equal(back.flat.reconstruct_n(0, 50), aligner.inverse_transform(y))
    faiss.write_index(faiss.IndexIDMap(faiss.IndexFlatIP(384)), str(folder / "empty.faiss"))
    assert run(capsys, "transform", folder / "m.npz", folder / "empty.faiss", "-o", folder / "empty_out.faiss",
               "-q")[0] == 0
    empty = read_faiss_index(folder / "empty_out.faiss")
    assert empty.kind == "IndexIDMap(IndexFlatIP)" and empty.shape == (0, 768)


def test_errors(capsys, setup, monkeypatch):
    folder, _, x = setup
    model = folder / "m.npz"
    hnsw = faiss.IndexHNSWFlat(384, 8)
    hnsw.add(x[:100])
    faiss.write_index(hnsw, str(folder / "hnsw.faiss"))
    l1 = faiss.IndexFlat(384, faiss.METRIC_L1)
    faiss.write_index(faiss.IndexIDMap(l1), str(folder / "l1.faiss"))
    wrong_dim = faiss.IndexFlatIP(768)
    faiss.write_index(wrong_dim, str(folder / "d768.faiss"))
    (folder / "junk.faiss").write_bytes(b"not an index")
    flat = faiss.IndexFlatIP(384)
    flat.add(x[:10])
    faiss.write_index(flat, str(folder / "ok.faiss"))
    out = folder / "err_out.faiss"
    supported = "IndexFlatIP, IndexFlatL2, and IndexIDMap or IndexIDMap2 around one of them"
    cases = [
        (folder / "hnsw.faiss", out, f"hnsw.faiss is an IndexHNSWFlat; vec2vec-fast maps the vectors of {supported}"),
        (folder / "l1.faiss", out, r"l1.faiss is an IndexIDMap(IndexFlat (metric 2))"),
        (folder / "d768.faiss", out, "has 768-d vectors but the model maps 384-d vectors"),
        (folder / "junk.faiss", out, "junk.faiss is not a readable faiss index"),
        (folder / "ok.faiss", folder / "ok.npy", "a faiss index maps to a faiss index"),
        (folder / "missing.faiss", out, "missing.faiss: no such file"),
    ]
    for src, dst, message in cases:
        status, _, err = run(capsys, "transform", model, src, "-o", dst)
        assert status == EXIT_ERROR and err.count("\n") == 1 and message in err, err
        assert not out.exists() and not [p for p in os.listdir(folder) if p.endswith(".tmp")]
    out.write_bytes(b"keep")
    status, _, err = run(capsys, "transform", model, folder / "ok.faiss", "-o", out)
    assert status == EXIT_ERROR and "exists" in err and out.read_bytes() == b"keep"
    assert run(capsys, "transform", model, folder / "ok.faiss", "-o", out, "--overwrite", "-q")[0] == 0
    assert read_faiss_index(out).shape == (10, 768)
    monkeypatch.setitem(sys.modules, "faiss", None)
    status, _, err = run(capsys, "transform", model, folder / "ok.faiss", "-o", folder / "x.faiss")
    assert status == EXIT_MISSING_EXTRA
    assert "faiss index files need faiss, which is not installed: pip install 'vec2vec_fast[faiss]'" in err
