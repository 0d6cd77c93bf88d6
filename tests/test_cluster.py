"""Dask integration on a real two-process LocalCluster over loopback: results equal the local transform exactly."""

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast import Aligner

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from vec2vec_fast import cluster

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"
TINY = {"anchor_runs": 2, "refine1_iterations": 3, "refine1_sample": 200, "refine2_clusters": 20}


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each, on 127.0.0.1; every dask computation in this module runs there.

    The scheduler's HTTP server (metrics; the dashboard too when bokeh is installed) listens on a free port: without
    an address it tries 8787 and, when another process holds it (a second test run, someone's dask dashboard), warns
    that it moved, an error under filterwarnings=error."""
    cluster_ = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                        dashboard_address="127.0.0.1:0", worker_dashboard_address=None)
    with cluster_, distributed.Client(cluster_) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture(scope="module")
def pairs():
    p = np.load(DATA)
    return p["a"], p["b"]


@pytest.fixture(scope="module")
def aligner(pairs):
    a, b = pairs
    return Aligner("mini", seed=3, **TINY).fit(a[:800], b[800:1600])


def test_pickles_small_and_exact(pairs, aligner):
    a, _ = pairs
    blob = pickle.dumps(aligner)
    W_bytes = aligner.W_.nbytes + aligner.mean_a_.nbytes + aligner.mean_b_.nbytes
    assert len(blob) < W_bytes + 200_000, len(blob)  # the map and means plus a small report, nothing else
    copy = pickle.loads(blob)
    np.testing.assert_array_equal(copy.transform(a[1600:]), aligner.transform(a[1600:]))


def test_transform_dask_equals_local(client, pairs, aligner):
    a, b = pairs
    x = da.from_array(a, chunks=((300, 1, 699, 1000), (200, 184)))  # uneven rows, split columns
    y = cluster.transform_dask(aligner, x)
    assert y.shape == (2000, 768) and y.dtype == np.float32 and y.chunks[0] == (300, 1, 699, 1000)
    assert len(y.__dask_graph__()) < 20  # the aligner enters the graph once, not per block
    np.testing.assert_array_equal(y.compute(), aligner.transform(a))
    raw = cluster.transform_dask(aligner, da.from_array(a, chunks=512), raw=True).compute()
    np.testing.assert_array_equal(raw, aligner.transform(a, raw=True))
    ran_on = client.run(lambda: 1)
    assert len(ran_on) == 2  # two separate worker processes did the work
    with pytest.raises(ValueError, match="x has 768 columns but the map expects 384"):
        cluster.transform_dask(aligner, da.from_array(b))


def _write_dataset(folder: Path, x: np.ndarray, cuts, fixed: bool = True) -> None:
    folder.mkdir()
    for i, (start, stop) in enumerate(zip(cuts[:-1], cuts[1:])):
        rows = x[start:stop]
        if fixed:
            vectors = pa.FixedSizeListArray.from_arrays(pa.array(rows.reshape(-1)), rows.shape[1])
        else:
            vectors = pa.array(list(rows))  # list<...> of equal lengths
        pq.write_table(pa.table({"id": np.arange(start, stop), "emb": vectors}), folder / f"shard{i}.parquet",
                       row_group_size=150)


def test_transform_parquet_equals_local(client, tmp_path, pairs, aligner):
    a, _ = pairs
    _write_dataset(tmp_path / "src", a[:1000], [0, 400, 401, 1000])
    rows = cluster.transform_parquet(aligner, tmp_path / "src", "emb", tmp_path / "dst", out_column="emb_b")
    assert rows == 1000
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == [f"part-{i:05d}.parquet" for i in range(3)]
    table = pq.read_table(tmp_path / "dst")
    assert table.column_names == ["id", "emb", "emb_b"]
    np.testing.assert_array_equal(table.column("id").to_numpy(), np.arange(1000))
    out = np.asarray(table.column("emb_b").combine_chunks().flatten()).reshape(1000, 768)
    np.testing.assert_array_equal(out, aligner.transform(a[:1000]))
    with pytest.raises(FileExistsError, match="dst exists; pass overwrite=True"):
        cluster.transform_parquet(aligner, tmp_path / "src", "emb", tmp_path / "dst")
    # Replacing: only the new column, list<float32> input; the old folder is gone and no staging folder is left.
    _write_dataset(tmp_path / "lists", a[:50].astype(np.float32), [0, 50], fixed=False)
    assert cluster.transform_parquet(aligner, tmp_path / "lists", "emb", tmp_path / "dst", keep_columns=False,
                                     overwrite=True) == 50
    table = pq.read_table(tmp_path / "dst")
    assert table.column_names == ["emb"] and table.num_rows == 50
    np.testing.assert_array_equal(np.asarray(table.column("emb").combine_chunks().flatten()).reshape(50, 768),
                                  aligner.transform(a[:50]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dst", "lists", "src"]


def test_parquet_errors(tmp_path, pairs, aligner):
    a, b = pairs
    _write_dataset(tmp_path / "b", b[:10], [0, 10])
    with pytest.raises(ValueError, match="holds 768-d vectors but the map expects 384"):
        cluster.transform_parquet(aligner, tmp_path / "b", "emb", tmp_path / "out")
    with pytest.raises(ValueError, match=r"has no column 'vec'; it has \['id', 'emb'\]"):
        cluster.read_parquet_vectors(tmp_path / "b", "vec")
    with pytest.raises(FileNotFoundError, match="no such Parquet file or folder"):
        cluster.read_parquet_vectors(tmp_path / "absent", "emb")
    assert not (tmp_path / "out").exists()


def test_sample_rows_and_fit_from_the_sample(client, tmp_path, pairs, aligner):
    a, b = pairs
    rng_rows = np.sort(np.random.default_rng(7).choice(2000, 300, replace=False))
    sample = cluster.sample_rows(da.from_array(a, chunks=333), 300, seed=7)
    np.testing.assert_array_equal(sample, a[rng_rows])  # the rows depend on (n_rows, n, seed) only
    np.testing.assert_array_equal(cluster.sample_rows(da.from_array(a, chunks=1000), 300, seed=7), sample)
    _write_dataset(tmp_path / "a", a, [0, 700, 2000])
    lazy = cluster.read_parquet_vectors(tmp_path / "a", "emb")
    assert lazy.shape == (2000, 384) and lazy.chunks[0] == (700, 1300) and lazy.dtype == a.dtype
    np.testing.assert_array_equal(cluster.sample_rows(tmp_path / "a", 300, seed=7, column="emb"), sample)
    # Fitting on samples drawn across the cluster is the local fit on the same rows.
    sa = cluster.sample_rows(da.from_array(a[:1600], chunks=400), 800, seed=1)
    sb = cluster.sample_rows(da.from_array(b[:1600], chunks=400), 800, seed=2)
    fitted = Aligner("mini", seed=3, **TINY).fit(sa, sb)
    ia = np.sort(np.random.default_rng(1).choice(1600, 800, replace=False))
    ib = np.sort(np.random.default_rng(2).choice(1600, 800, replace=False))
    np.testing.assert_array_equal(fitted.W_, Aligner("mini", seed=3, **TINY).fit(a[ia], b[ib]).W_)
    with pytest.raises(ValueError, match=r"n=3000 must be \[1, 2000\]"):
        cluster.sample_rows(da.from_array(a), 3000)


def test_missing_dask_names_the_extra(monkeypatch, aligner):
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(ImportError, match=r"needs the dask extra .*pip install 'vec2vec_fast\[dask\]'"):
        cluster.transform_dask(aligner, np.zeros((2, 384)))
