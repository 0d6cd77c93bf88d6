"""The vec2vec-fast command: a round trip through files (align -> info -> transform -> evaluate) that matches the
Python API exactly, chunked transforms, and each error's one-line message and exit status."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vec2vec_fast
import vec2vec_fast.cli
from vec2vec_fast import Aligner
from vec2vec_fast.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_MISSING_EXTRA, EXIT_USAGE, main
from vec2vec_fast.io import write_fvecs
from vec2vec_fast.metrics import retrieval_metrics
from vec2vec_fast.mini import MiniParams

DATA = Path(__file__).parent / "data" / "minilm_mpnet_wordnet_2k.npz"
TINY = {"anchor_runs": 2, "refine1_iterations": 3, "refine1_sample": 200, "refine2_clusters": 20}
TINY_FLAGS = ["--anchor-runs", "2", "--refine1-iterations", "3", "--refine1-sample", "200", "--refine2-clusters", "20"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Disjoint unpaired training rows per side and 400 paired eval rows, as .npy files (float16, as shipped)."""
    folder = tmp_path_factory.mktemp("cli")
    pairs = np.load(DATA)
    a, b = pairs["a"], pairs["b"]
    arrays = {"a_train": a[:800], "b_train": b[800:1600], "a_eval": a[1600:], "b_eval": b[1600:]}
    for name, arr in arrays.items():
        np.save(folder / f"{name}.npy", arr)
    return folder, arrays


@pytest.fixture(scope="module")
def fitted(files):
    """The model fitted through the command line, and the same fit through the Python API."""
    folder, arrays = files
    model = folder / "model.npz"
    assert main(["align", str(folder / "a_train.npy"), str(folder / "b_train.npy"), "-o", str(model), "--seed", "3",
                 "--method", "mini", "--threads", "2", "--quiet", *TINY_FLAGS]) == 0
    api = Aligner("mini", seed=3, n_threads=2, **TINY).fit(arrays["a_train"], arrays["b_train"])
    return model, api


def run(capsys, *argv):
    """main() in-process: (status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_align_matches_the_python_api(fitted):
    model, api = fitted
    loaded = Aligner.load(model)
    np.testing.assert_array_equal(loaded.W_, api.W_)
    np.testing.assert_array_equal(loaded.mean_a_, api.mean_a_)
    np.testing.assert_array_equal(loaded.mean_b_, api.mean_b_)
    assert loaded.params == TINY and loaded.seed_ == 3


def test_info(capsys, fitted):
    model, api = fitted
    status, out, err = run(capsys, "info", model)
    assert status == 0 and err == ""
    assert "method           mini" in out and "dims             384 -> 768" in out
    assert f"vec2vec_fast {vec2vec_fast.__version__}" in out and "refine2_self_consistency" in out
    assert '"refine2_clusters": 20' in out  # the hyperparameters given
    status, out, _ = run(capsys, "info", model, "--json")
    meta = json.loads(out)
    assert status == 0 and meta["method"] == "mini" and (meta["d_a"], meta["d_b"]) == (384, 768)
    assert meta["params"] == TINY and meta["report"]["orthogonality_error"] == api.report_["orthogonality_error"]


@pytest.mark.parametrize("chunk_rows", ["7", "100000"])
def test_transform_streams_exactly_what_transform_returns(capsys, files, fitted, chunk_rows):
    folder, arrays = files
    model, api = fitted
    out_path = folder / f"pred_{chunk_rows}.npy"
    status, _, err = run(capsys, "transform", model, folder / "a_eval.npy", "-o", out_path, "--chunk-rows",
                         chunk_rows, "--quiet")
    assert status == 0 and err == ""
    np.testing.assert_array_equal(np.load(out_path), api.transform(arrays["a_eval"]))


def test_transform_formats_raw_and_inverse(capsys, files, fitted):
    folder, arrays = files
    model, api = fitted
    write_fvecs(folder / "a_eval.fvecs", arrays["a_eval"].astype(np.float32), overwrite=True)
    assert run(capsys, "transform", model, folder / "a_eval.fvecs", "-o", folder / "raw.fvecs", "--raw",
               "--chunk-rows", "64", "-q", "--overwrite")[0] == 0
    raw = vec2vec_fast.io.open_vectors(folder / "raw.fvecs")
    np.testing.assert_array_equal(raw, api.transform(arrays["a_eval"], raw=True))
    np.savez(folder / "both.npz", a=arrays["a_eval"], b=arrays["b_eval"])
    assert run(capsys, "transform", model, f"{folder / 'both.npz'}:b", "-o", folder / "back.npz", "--inverse",
               "--key", "x", "--chunk-rows", "150", "-q", "--overwrite")[0] == 0
    with np.load(folder / "back.npz") as back:
        np.testing.assert_array_equal(back["x"], api.inverse_transform(arrays["b_eval"]))


def test_evaluate_matches_retrieval_metrics(capsys, files, fitted):
    folder, arrays = files
    model, api = fitted
    expected = retrieval_metrics(api.transform(arrays["a_eval"]), arrays["b_eval"].astype(np.float32) - api.mean_b_)
    status, out, err = run(capsys, "evaluate", model, folder / "a_eval.npy", folder / "b_eval.npy", "--json", "-q")
    assert status == 0 and err == ""
    assert json.loads(out) == expected
    status, out, _ = run(capsys, "evaluate", model, folder / "a_eval.npy", folder / "b_eval.npy", "--block", "100",
                         "-q")
    small = retrieval_metrics(api.transform(arrays["a_eval"]), arrays["b_eval"].astype(np.float32) - api.mean_b_,
                              block=100)
    assert status == 0 and f"top-1      {small['top1']:.4f}" in out and f"mean rank  {small['mean_rank']:.3f}" in out


def test_procrustes_method_and_param(capsys, files):
    folder, arrays = files
    model = folder / "procrustes.npz"
    status, _, err = run(capsys, "align", DATA.as_posix() + ":a", DATA.as_posix() + ":b", "-o", model,
                         "--method", "procrustes", "-q")
    assert status == 0 and err == ""
    pairs = np.load(DATA)
    np.testing.assert_array_equal(Aligner.load(model).W_, Aligner("procrustes").fit(pairs["a"], pairs["b"]).W_)
    status, _, err = run(capsys, "align", folder / "a_train.npy", folder / "b_eval.npy", "-o", folder / "p2.npz",
                         "--method", "procrustes")
    assert status == EXIT_ERROR and "needs paired rows: A has 800 rows, B has 400" in err


def test_param_typing(capsys, files, monkeypatch):
    folder, _ = files
    seen = {}

    def fake_fit(self, a, b):  # record what reached the Aligner, skip the work
        seen.update(self.params)
        raise KeyboardInterrupt

    monkeypatch.setattr(Aligner, "fit", fake_fit)
    status, _, err = run(capsys, "align", folder / "a_train.npy", folder / "b_train.npy", "-o", folder / "x.npz",
                         "--param", "smoothing=0.25", "--param", "reorthogonalize=yes", "--anchor-runs", "4", "-q")
    assert status == EXIT_INTERRUPTED and "interrupted" in err
    assert seen == {"smoothing": 0.25, "reorthogonalize": True, "anchor_runs": 4}
    assert not (folder / "x.npz").exists()


def test_help_documents_every_hyperparameter(capsys):
    status, out, _ = run(capsys, "align", "--help")
    assert status == 0
    for field in dataclasses.fields(MiniParams):
        assert "--" + field.name.replace("_", "-") in out, field.name
    for option in ("--method", "--seed", "--threads", "--param", "--overwrite", "--quiet"):
        assert option in out
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "exit status" in out
    for command in ("align", "transform", "evaluate", "info", "train"):
        assert command in out


def _one_line_error(err: str, status: int, expected_status: int, fragment: str) -> None:
    assert status == expected_status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vec2vec-fast: error: ") and fragment in lines[0], err


def test_errors_are_one_line(capsys, files, fitted):
    folder, _ = files
    model, _ = fitted
    status, _, err = run(capsys, "transform", model, folder / "missing.npy", "-o", folder / "o.npy")
    _one_line_error(err, status, EXIT_ERROR, "missing.npy: no such file")
    status, _, err = run(capsys, "transform", folder / "nomodel.npz", folder / "a_eval.npy", "-o", folder / "o.npy")
    _one_line_error(err, status, EXIT_ERROR, "model")
    status, _, err = run(capsys, "transform", model, folder / "b_eval.npy", "-o", folder / "o.npy")
    _one_line_error(err, status, EXIT_ERROR, "has 768-d vectors but the model maps 384-d vectors")
    status, _, err = run(capsys, "evaluate", model, folder / "a_eval.npy", folder / "a_eval.npy")
    _one_line_error(err, status, EXIT_ERROR, "has 384-d vectors but the model produces 768-d vectors")
    (folder / "taken.npy").write_bytes(b"keep me")
    status, _, err = run(capsys, "transform", model, folder / "a_eval.npy", "-o", folder / "taken.npy")
    _one_line_error(err, status, EXIT_ERROR, "taken.npy exists")
    status, _, err = run(capsys, "align", folder / "a_train.npy", folder / "b_train.npy", "-o", folder / "taken.npy")
    _one_line_error(err, status, EXIT_ERROR, "taken.npy exists")
    assert (folder / "taken.npy").read_bytes() == b"keep me"
    (folder / "junk.npz").write_bytes(b"not a model")
    status, _, err = run(capsys, "info", folder / "junk.npz")
    _one_line_error(err, status, EXIT_ERROR, "is not a readable vec2vec_fast model file")
    status, _, err = run(capsys, "align", folder / "a_train.npy", folder / "b_train.npy", "-o", folder / "n.npz",
                         "--param", "nope=1")
    _one_line_error(err, status, EXIT_ERROR, "unknown parameter 'nope' for method 'mini-ot'")
    status, _, err = run(capsys, "align", folder / "a_train.npy", folder / "b_train.npy", "-o", folder / "n.npz",
                         "--method", "procrustes", "--anchor-runs", "3")
    _one_line_error(err, status, EXIT_ERROR, "--anchor-runs does not apply to --method procrustes")
    status, _, err = run(capsys, "align", folder / "a_train.npy", folder / "b_train.npy", "-o", folder / "n.npz",
                         "--kernel", "bogus", "-q")  # typed by the schema while parsing: a usage error
    assert status == EXIT_USAGE and "--kernel must be one of ('centred', 'cosine'), got 'bogus'" in err
    assert not (folder / "n.npz").exists()


def test_usage_errors_exit_2(capsys, files):
    folder, _ = files
    status, _, err = run(capsys, "align", folder / "a_train.npy")
    assert status == EXIT_USAGE and "required" in err
    status, _, err = run(capsys, "align", "a.npy", "b.npy", "-o", "m.npz", "--anchor-runs", "many")
    assert status == EXIT_USAGE and "--anchor-runs must be an integer, got 'many'" in err
    status, _, err = run(capsys, "info", "m.npz", "--frobnicate")
    assert status == EXIT_USAGE and "unrecognized arguments: --frobnicate" in err


def test_train_without_the_gan_extra(capsys, monkeypatch):
    # The train module fails to import (as when it is absent): the command still shows and names the extra.
    monkeypatch.setitem(sys.modules, "vec2vec_fast.cli.train", None)
    monkeypatch.delattr(vec2vec_fast.cli, "train", raising=False)
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "train" in out and "gan extra" in out
    status, _, err = run(capsys, "train", "a.npy", "b.npy", "--epochs", "3")
    _one_line_error(err, status, EXIT_MISSING_EXTRA, "pip install 'vec2vec_fast[gan]'")


def _command():
    script = Path(sys.executable).with_name("vec2vec-fast")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vec2vec_fast.cli"]


def test_installed_command_exit_codes(files, fitted):
    folder, _ = files
    model, _ = fitted
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([*_command(), "transform", str(model), str(folder / "absent.npy"), "-o",
                           str(folder / "o.npy")], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == EXIT_ERROR and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"vec2vec-fast: error: INPUT {folder / 'absent.npy'}: no such file"
    done = subprocess.run([sys.executable, "-m", "vec2vec_fast.cli", "info", str(model)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0 and "method           mini" in done.stdout
