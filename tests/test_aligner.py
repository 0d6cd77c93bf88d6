"""The unified Aligner: fit/transform/inverse_transform, save/load round trips, and every way a file can be bad."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from vec2vec_fast import Aligner, ModelFileError, NotFittedError
from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import preprocess

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"
TINY = {"anchor_runs": 2, "refine1_iterations": 3, "refine1_sample": 200, "refine2_clusters": 20}


@pytest.fixture(scope="module")
def pairs():
    p = np.load(DATA)
    return p["a"].astype(np.float32), p["b"].astype(np.float32)


@pytest.fixture(scope="module")
def mini(pairs):
    a, b = pairs
    return Aligner("mini", seed=3, **TINY).fit(a[:800], b[800:1600])


@pytest.fixture(scope="module")
def supervised(pairs):
    a, b = pairs
    return Aligner("procrustes").fit(a[:1600], b[:1600])


def test_supervised_baseline_finds_partners_both_ways(pairs, supervised):
    a, b = pairs
    forward = retrieval_metrics(supervised.transform(a[1600:]), preprocess(b[1600:], supervised.mean_b_))
    backward = retrieval_metrics(supervised.inverse_transform(b[1600:]), preprocess(a[1600:], supervised.mean_a_))
    assert forward["top1"] > 0.9 and backward["top1"] > 0.9, (forward, backward)


def test_transform_outputs(pairs, mini):
    a, _ = pairs
    y = mini.transform(a[1600:])
    assert y.shape == (400, 768) and y.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, atol=1e-5)
    raw = mini.transform(a[1600:], raw=True)
    np.testing.assert_allclose(np.linalg.norm(raw - mini.mean_b_, axis=1), mini.scale_b_, rtol=1e-4)
    np.testing.assert_allclose((raw - mini.mean_b_) / mini.scale_b_, y, atol=1e-5)


def test_inverse_undoes_an_orthonormal_row_map(pairs, supervised):
    # d_a = 384 <= d_b = 768: W W^T = I, so going there and back returns the preprocessed input.
    a, _ = pairs
    back = supervised.inverse_transform(supervised.transform(a[1600:], raw=True))  # raw B vectors go back
    np.testing.assert_allclose(back, preprocess(a[1600:], supervised.mean_a_), atol=1e-4)


@pytest.mark.slow  # a second mini fit; test_invariants.py and test_mini.py check same-seed refits on smaller data
def test_same_seed_same_map(pairs, mini):
    a, b = pairs
    again = Aligner("mini", seed=3, **TINY).fit(a[:800], b[800:1600])
    np.testing.assert_array_equal(again.W_, mini.W_)
    assert again.seed_ == mini.seed_ == 3


@pytest.mark.parametrize("which", ["mini", pytest.param("supervised", marks=pytest.mark.slow)])
def test_save_load_round_trip(tmp_path, pairs, request, which):
    fitted = request.getfixturevalue(which)
    path = fitted.save(tmp_path / "model.npz")
    loaded = Aligner.load(path)
    a, b = pairs
    np.testing.assert_array_equal(loaded.transform(a[1600:]), fitted.transform(a[1600:]))
    np.testing.assert_array_equal(loaded.inverse_transform(b[1600:], raw=True),
                                  fitted.inverse_transform(b[1600:], raw=True))
    assert loaded.method == fitted.method and loaded.params == fitted.params and loaded.seed_ == fitted.seed_
    assert json.dumps(loaded.report_, sort_keys=True) == json.dumps(
        json.loads(json.dumps(fitted.report_, default=float)), sort_keys=True)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"], "no temporary file left behind"


def test_save_never_overwrites_silently(tmp_path, supervised):
    path = tmp_path / "model.npz"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        supervised.save(path)
    assert path.read_bytes() == b"precious"
    supervised.save(path, overwrite=True)
    assert Aligner.load(path).method == "procrustes"


def _rewrite(path, out, **changes):
    """Copy a saved model with some arrays or metadata fields replaced."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays.pop("metadata").tobytes())
    meta.update(changes.pop("meta", {}))
    arrays.update(changes)
    with open(out, "wb") as f:
        np.savez(f, metadata=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    return out


def test_bad_files_raise_clear_errors(tmp_path, supervised):
    good = supervised.save(tmp_path / "good.npz")
    (tmp_path / "text.npz").write_text("not a model")
    blob = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(blob[: len(blob) // 2])
    flipped = bytearray(blob)
    flipped[len(blob) // 3] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    with open(tmp_path / "foreign.npz", "wb") as f:
        np.savez(f, weights=np.ones(3))
    cases = {
        tmp_path / "text.npz": "not a readable vec2vec_fast model file",
        tmp_path / "truncated.npz": "not a readable vec2vec_fast model file",
        tmp_path / "foreign.npz": r"not a vec2vec_fast model file: missing",
        _rewrite(good, tmp_path / "format.npz", meta={"format": "other.Model"}): "not a vec2vec_fast model file",
        _rewrite(good, tmp_path / "newer.npz", meta={"format_version": 2}): "file format version 2",
        _rewrite(good, tmp_path / "version.npz", meta={"library_version": "9.3.0"}): "written by vec2vec_fast 9.3.0",
        _rewrite(good, tmp_path / "shape.npz", W=np.ones((3, 3), np.float32)): r"W has shape \(3, 3\)",
        _rewrite(good, tmp_path / "nan.npz", mean_a=np.full(384, np.nan, np.float32)): "mean_a .* expected finite",
        _rewrite(good, tmp_path / "params.npz", meta={"params": {"bogus": 1}}): "corrupt: unknown parameter 'bogus'",
        _rewrite(good, tmp_path / "seed.npz", meta={"seed": "x"}): "corrupt: params must be an object",
    }
    for path, match in cases.items():
        with pytest.raises(ModelFileError, match=match):
            Aligner.load(path)
    with pytest.raises(ModelFileError):  # a flipped byte fails the zip CRC or the metadata checks
        Aligner.load(tmp_path / "flipped.npz")
    with pytest.raises(ModelFileError, match="holds a 'procrustes' model, not 'mini'"):
        Aligner.load(good, method="mini")
    with pytest.raises(ModelFileError, match="missing.npz"):
        Aligner.load(tmp_path / "missing.npz")


def test_unfitted_use_raises(tmp_path):
    aligner = Aligner("mini")
    with pytest.raises(NotFittedError, match="not fitted"):
        aligner.transform(np.ones((2, 3)))
    with pytest.raises(NotFittedError):
        aligner.save(tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_bad_construction_and_input(pairs, supervised):
    a, b = pairs
    with pytest.raises(ValueError, match="method must be one of"):
        Aligner("vec2vec")
    with pytest.raises(TypeError, match="unknown parameter 'anchor_cluster' for method 'mini'"):
        Aligner("mini", anchor_cluster=20)
    with pytest.raises(TypeError, match="unknown parameter 'alpha' for method 'procrustes'"):
        Aligner("procrustes", alpha=1)
    with pytest.raises(TypeError, match="unknown parameter 'anchor_runs' for method 'gan'"):
        Aligner("gan", anchor_runs=2)
    with pytest.raises(ValueError, match="needs paired rows: X_a has 10 rows, X_b 9"):
        Aligner("procrustes").fit(a[:10], b[:9])
    with pytest.raises(ValueError, match="X_a has 768 columns but this map expects 384"):
        supervised.transform(b[:5])
    with pytest.raises(ValueError, match="X_b has 384 columns but this map produces 768"):
        supervised.inverse_transform(a[:5])


@pytest.mark.parametrize("params, error, match", [
    ({"smoothing": float("nan")}, ValueError, r"smoothing must be finite and in \[0, 1\], got nan"),
    ({"anchor_runs": 2**31}, ValueError, r"anchor_runs must be in \[1, 10000\], got 2147483648"),
    ({"kernel": "gram"}, ValueError, "kernel must be one of"),
    ({"reorthogonalize": "yes"}, TypeError, "reorthogonalize must be True or False"),
])
def test_hyperparameters_are_checked_at_construction(params, error, match):
    with pytest.raises(error, match=match):
        Aligner("mini", **params)
