"""Parquet vector columns: the three column forms, streamed and sampled reads, align/transform/evaluate through the
command line (other columns carried through, row order, atomic output), and every bad-input error."""

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq

from vec2vec_fast import Aligner
from vec2vec_fast.cli import EXIT_ERROR, EXIT_MISSING_EXTRA, main
from vec2vec_fast.io import ParquetVectors, inspect_parquet, iter_chunks, open_parquet_vectors
from vec2vec_fast.metrics import retrieval_metrics

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"
TINY_FLAGS = ["--anchor-runs", "2", "--refine1-iterations", "3", "--refine1-sample", "200", "--refine2-clusters", "20"]


def _fixed(x):
    return pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(x).reshape(-1)), x.shape[1])


def _table(x, form):
    """A table with an id column, the vectors in ``form`` and a text column after them."""
    ids = pa.array(np.arange(len(x), dtype=np.int64) * 7 + 3)
    text = pa.array([f"row {i}" for i in range(len(x))])
    if form == "fixed":
        return pa.table({"id": ids, "emb": _fixed(x), "text": text})
    if form == "list":
        return pa.table({"id": ids, "emb": pa.array(list(x)), "text": text})
    columns = {"id": ids}
    columns.update({f"e_{j}": x[:, j] for j in range(x.shape[1])})
    columns["text"] = text
    return pa.table(columns)


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def pairs():
    f = np.load(DATA)
    return f["a"], f["b"]  # float16, as shipped


@pytest.fixture(scope="module")
def model(tmp_path_factory, pairs):
    a, b = pairs
    path = tmp_path_factory.mktemp("model") / "m.npz"
    aligner = Aligner("procrustes").fit(a[:1600], b[:1600])
    aligner.save(path)
    return path, aligner


@pytest.mark.parametrize("form, spec", [("fixed", "emb"), ("list", "emb"), ("columns", "e_*")])
def test_reads_each_column_form(tmp_path, pairs, form, spec):
    x = pairs[0][:500, :24]
    path = tmp_path / "t.parquet"
    pq.write_table(_table(x, form), path, row_group_size=120)
    info = inspect_parquet(path, spec)
    assert info.shape == (500, 24) and info.dtype == np.float16 and info.row_groups == (120, 120, 120, 120, 20)
    assert info.per_dimension == (form == "columns")
    v = ParquetVectors(info, batch_rows=50)
    np.testing.assert_array_equal(np.asarray(v), x)
    blocks = list(iter_chunks(v, 70))
    assert max(len(b) for b in blocks) <= 70
    np.testing.assert_array_equal(np.concatenate(blocks), x)
    rows = np.sort(np.random.default_rng(0).choice(500, 60, replace=False))
    np.testing.assert_array_equal(v[rows], x[rows])
    np.testing.assert_array_equal(v[rows[::-1]], x[rows[::-1]])  # any order
    np.testing.assert_array_equal(v[117:243], x[117:243])
    assert v[np.array([], dtype=np.int64)].shape == (0, 24)
    with pytest.raises(IndexError, match=r"row indices must be in \[0, 500\)"):
        v[np.array([3, 500])]


def test_reads_stream_a_few_batches_at_a_time(tmp_path):
    """A 25.6 MB column in ONE row group, read in 1.28 MB batches: Arrow's memory (where pyarrow keeps the data)
    stays at a few batches (a batch, the pages being decoded, a read buffer), for streamed and for sampled reads,
    never the row group."""
    x = np.random.default_rng(1).standard_normal((200_000, 32)).astype(np.float32)
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"emb": _fixed(x)}), path, row_group_size=len(x))
    chunk = 10_000
    v = open_parquet_vectors(path, "emb", batch_rows=chunk)
    batch_bytes, base = chunk * 32 * 4, pa.total_allocated_bytes()
    peak, pos = 0, 0
    for block in v.iter_blocks(chunk):
        peak = max(peak, pa.total_allocated_bytes() - base)
        assert len(block) <= chunk
        np.testing.assert_array_equal(block, x[pos:pos + len(block)])
        pos += len(block)
    assert pos == len(x) and peak < 6 * batch_bytes < x.nbytes / 3

    peak = 0
    real_matrix = ParquetVectors._matrix

    def watched(self, batch, first_row):
        nonlocal peak
        peak = max(peak, pa.total_allocated_bytes() - base)
        return real_matrix(self, batch, first_row)

    ParquetVectors._matrix = watched
    try:
        rows = np.sort(np.random.default_rng(2).choice(len(x), 3000, replace=False))
        np.testing.assert_array_equal(v[rows], x[rows])
    finally:
        ParquetVectors._matrix = real_matrix
    assert 0 < peak < x.nbytes / 3  # reading the row group whole would take at least x.nbytes


@pytest.mark.parametrize("form, spec, out_name", [("fixed", "emb", "emb"), ("list", "emb", "emb"),
                                                  ("columns", "e_*", "e")])
def test_transform_carries_the_other_columns(capsys, tmp_path, pairs, model, form, spec, out_name):
    model_path, aligner = model
    a = pairs[0][:700]
    src = tmp_path / "a.parquet"
    table = _table(a, form).replace_schema_metadata({"source": "minilm"})
    pq.write_table(table, src, row_group_size=256)
    out = tmp_path / "out.parquet"
    status, _, err = run(capsys, "transform", model_path, f"{src}:{spec}", "-o", out, "--chunk-rows", "100", "-q")
    assert status == 0 and err == ""
    result = pq.read_table(out)
    assert result.column_names == ["id", out_name, "text"]  # the vectors in the input vectors' place
    assert result.schema.field(out_name).type == pa.list_(pa.float32(), 768)
    assert result.schema.metadata == {b"source": b"minilm"}
    assert result.column("id").equals(table.column("id")) and result.column("text").equals(table.column("text"))
    y = result.column(out_name).combine_chunks().flatten().to_numpy().reshape(-1, 768)
    np.testing.assert_array_equal(y, aligner.transform(a))  # values, in row order
    assert pq.ParquetFile(out).metadata.num_row_groups == 7  # streamed: one row group per 100-row chunk

    # --out-column renames it, --raw and --inverse work as for the other formats
    back = tmp_path / "back.parquet"
    b_src = src.with_name("b.parquet")
    pq.write_table(pa.table({"key": np.arange(700), "v": _fixed(aligner.transform(a, raw=True))}), b_src)
    assert run(capsys, "transform", model_path, f"{b_src}:v", "-o", back, "--inverse", "--raw",
               "--out-column", "v_in_a", "-q")[0] == 0
    back_table = pq.read_table(back)
    assert back_table.column_names == ["key", "v_in_a"]
    np.testing.assert_array_equal(back_table.column("v_in_a").combine_chunks().flatten().to_numpy().reshape(-1, 384),
                                  aligner.inverse_transform(aligner.transform(a, raw=True), raw=True))


def test_parquet_to_npy_and_npy_to_parquet(capsys, tmp_path, pairs, model):
    model_path, aligner = model
    a = pairs[0][:300]
    pq.write_table(_table(a, "list"), tmp_path / "a.parquet", row_group_size=64)
    assert run(capsys, "transform", model_path, f"{tmp_path / 'a.parquet'}:emb", "-o", tmp_path / "y.npy", "-q")[0] == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), aligner.transform(a))
    np.save(tmp_path / "a.npy", a)
    assert run(capsys, "transform", model_path, tmp_path / "a.npy", "-o", tmp_path / "y.parquet", "--chunk-rows", "128",
               "-q")[0] == 0
    y = pq.read_table(tmp_path / "y.parquet")
    assert y.column_names == ["embedding"] and y.num_rows == 300
    np.testing.assert_array_equal(y.column(0).combine_chunks().flatten().to_numpy().reshape(-1, 768),
                                  aligner.transform(a))


def test_align_samples_parquet_without_reading_it_whole(capsys, tmp_path, pairs, monkeypatch):
    """align on Parquet fits exactly the model it fits on the same rows in .npy; past --max-rows it reads only the
    sampled rows (the whole-column read is never called)."""
    a, b = pairs
    pq.write_table(_table(a[:800], "fixed"), tmp_path / "a.parquet", row_group_size=100)
    pq.write_table(_table(b[800:1600], "list"), tmp_path / "b.parquet", row_group_size=150)
    np.save(tmp_path / "a.npy", a[:800])
    np.save(tmp_path / "b.npy", b[800:1600])
    # --allow-failed: 600 rows a side are far too few for the default (mini-ot) to trust its map; this test is about
    # what the fit reads, not about its quality.
    common = ["--seed", "1", "--max-rows", "600", "--threads", "2", "-q", "--allow-failed", *TINY_FLAGS]

    def no_whole_read(self, dtype=None, copy=None):
        raise AssertionError("the whole column was read")

    monkeypatch.setattr(ParquetVectors, "__array__", no_whole_read)
    assert run(capsys, "align", f"{tmp_path / 'a.parquet'}:emb", f"{tmp_path / 'b.parquet'}:emb", "-o",
               tmp_path / "pq.npz", *common)[0] == 0
    monkeypatch.undo()
    assert run(capsys, "align", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "npy.npz", *common)[0] == 0
    from_parquet, from_npy = Aligner.load(tmp_path / "pq.npz"), Aligner.load(tmp_path / "npy.npz")
    np.testing.assert_array_equal(from_parquet.W_, from_npy.W_)
    np.testing.assert_array_equal(from_parquet.mean_b_, from_npy.mean_b_)


def test_evaluate_reads_parquet(capsys, tmp_path, pairs, model):
    model_path, aligner = model
    a, b = pairs[0][1600:], pairs[1][1600:]
    pq.write_table(_table(a, "columns"), tmp_path / "a.parquet", row_group_size=97)
    pq.write_table(_table(b, "list"), tmp_path / "b.parquet", row_group_size=97)
    status, out, _ = run(capsys, "evaluate", model_path, f"{tmp_path / 'a.parquet'}:e_*",
                         f"{tmp_path / 'b.parquet'}:emb", "--json", "--chunk-rows", "50", "-q")
    expected = retrieval_metrics(aligner.transform(a), aligner.output_frame(b))
    assert status == 0 and json.loads(out) == expected


def _write(path, table, **kw):
    pq.write_table(table, path, **kw)
    return path


def test_bad_inputs_name_the_column_and_row(capsys, tmp_path, model):
    model_path, _ = model
    x = np.random.default_rng(3).standard_normal((300, 384)).astype(np.float32)
    rows = list(x)
    ragged = _write(tmp_path / "ragged.parquet",
                    pa.table({"emb": pa.array(rows[:250] + [rows[250][:383]] + rows[251:])}), row_group_size=100)
    null_vec = _write(tmp_path / "null_vec.parquet", pa.table({"emb": pa.array(rows[:130] + [None] + rows[131:])}))
    inner = pa.array([list(r) for r in rows], type=pa.list_(pa.float32()))
    values = inner.flatten().to_pylist()
    values[207 * 384 + 5] = None
    null_value = _write(tmp_path / "null_value.parquet",
                        pa.table({"emb": pa.FixedSizeListArray.from_arrays(pa.array(values, pa.float32()), 384)}))
    ints = _write(tmp_path / "ints.parquet", pa.table({"emb": pa.array([[1, 2, 3]] * 4)}))
    strings = _write(tmp_path / "strings.parquet", pa.table({"emb": ["a", "b"]}))
    cols = {f"e_{j}": x[:, j] for j in range(384)}
    cols["e_7"] = np.arange(300)
    int_column = _write(tmp_path / "int_column.parquet", pa.table(cols))
    cols["e_7"] = pa.array([None if i == 42 else 0.5 for i in range(300)], pa.float32())
    null_column = _write(tmp_path / "null_column.parquet", pa.table(cols))
    nan = x.copy()
    nan[233, 9] = np.nan
    nan_file = _write(tmp_path / "nan.parquet", pa.table({"emb": _fixed(nan)}))
    good = _write(tmp_path / "good.parquet", pa.table({"id": np.arange(300), "emb": _fixed(x)}))
    out = tmp_path / "out.parquet"
    cases = [
        (f"{good}:vec", rf"{good} has no column 'vec'; it has \['id', 'emb'\]"),
        (str(good), r"name the vector column, as .*good.parquet:COLUMN"),
        (f"{good}:", r"name the vector column after the colon"),
        (f"{good}:x_*", r"no column matches 'x_\*'"),
        (f"{ragged}:emb", r"column 'emb' row 250 has 383 values, expected 384 \(rows of different lengths\)"),
        (f"{null_vec}:emb", r"column 'emb' row 130 is null \(a missing vector\)"),
        (f"{null_value}:emb", r"column 'emb' row 207 has a missing value \(null\) inside its vector"),
        (f"{ints}:emb", r"column .emb. holds list<.*int64>; vectors must be a list or fixed-size list of floats"),
        (f"{strings}:emb", r"column 'emb' holds string"),
        (f"{int_column}:e_*", r"column 'e_7' \(matched by 'e_\*'\) holds int64; one-column-per-dimension vectors must "
                              r"be float columns"),
        (f"{null_column}:e_*", r"column 'e_7' row 42 is null \(a missing value\)"),
        (f"{nan_file}:emb", r"nan.parquet: non-finite value nan at row 233, column 9"),
        (f"{tmp_path / 'missing.parquet'}:emb", r"INPUT .*missing.parquet: no such file"),
    ]
    for spec, message in cases:
        status, out_text, err = run(capsys, "transform", model_path, spec, "-o", out, "--chunk-rows", "64")
        assert status == EXIT_ERROR, spec
        assert err.count("\n") == 1 and err.startswith("vec2vec-fast: error: "), err
        assert re.search(message, err), (spec, err)
        assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # nothing left

    # an existing output is never replaced without --overwrite; a carried column cannot be overwritten
    out.write_bytes(b"keep")
    status, _, err = run(capsys, "transform", model_path, f"{good}:emb", "-o", out)
    assert status == EXIT_ERROR and "exists" in err and out.read_bytes() == b"keep"
    status, _, err = run(capsys, "transform", model_path, f"{good}:emb", "-o", out, "--overwrite", "--out-column", "id")
    assert status == EXIT_ERROR and "the output column 'id' would replace the input's column" in err
    assert out.read_bytes() == b"keep"
    status, _, err = run(capsys, "transform", model_path, f"{good}:emb", "-o", tmp_path / "x.npy", "--out-column", "v")
    assert status == EXIT_ERROR and "--out-column names the vector column of a .parquet OUTPUT" in err
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    status, _, err = run(capsys, "transform", model_path, f"{tmp_path / 'junk.parquet'}:emb", "-o", out, "--overwrite")
    assert status == EXIT_ERROR and "junk.parquet is not a readable Parquet file" in err


def test_without_pyarrow_names_the_extra(capsys, tmp_path, model, monkeypatch):
    model_path, _ = model
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    status, _, err = run(capsys, "transform", model_path, f"{tmp_path / 'a.parquet'}:emb", "-o", tmp_path / "o.npy")
    assert status == EXIT_MISSING_EXTRA
    assert "Parquet files need pyarrow, which is not installed: pip install 'vec2vec_fast[parquet]'" in err
