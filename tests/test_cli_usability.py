"""What a new user tripped over on the command line: errors that name the file and the row in the file, options
that are never abbreviated, usage errors that show the subcommand's usage, --debug anywhere, and status lines when
the output is a file or a pipe instead of a terminal."""

import re
import time

import numpy as np
import pytest

from vec2vec_fast import Aligner
from vec2vec_fast.cli import EXIT_ERROR, EXIT_USAGE, main
from vec2vec_fast.cli._common import PROGRESS_INTERVAL, PROGRESS_INTERVAL_ENV, progress_interval
from vec2vec_fast.io import write_fvecs


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A small procrustes model (8 -> 8): fitting it takes milliseconds."""
    folder = tmp_path_factory.mktemp("usability")
    rng = np.random.default_rng(8)
    a = rng.standard_normal((64, 8)).astype(np.float32)
    b = a @ np.linalg.qr(rng.standard_normal((8, 8)))[0].astype(np.float32)
    path = folder / "model.npz"
    Aligner("procrustes").fit(a, b).save(path)
    np.save(folder / "a.npy", a)
    np.save(folder / "b.npy", b)
    return path


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _rows(n=400, d=8, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(dtype)


# ------------------------------------------------------------------------------ bad values: file and row in file
@pytest.mark.parametrize("chunk_rows", ["100", "7", "100000"])
def test_streamed_transform_names_the_file_and_its_row(capsys, tmp_path, model, chunk_rows):
    x = _rows()
    x[250, 3] = np.inf
    np.save(tmp_path / "x.npy", x)
    status, _, err = run(capsys, "transform", model, tmp_path / "x.npy", "-o", tmp_path / "out.npy",
                         "--chunk-rows", chunk_rows, "-q")
    assert status == EXIT_ERROR
    assert err == f"vec2vec-fast: error: INPUT {tmp_path / 'x.npy'}: non-finite value inf at row 250, column 3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]  # no output, no temporary file


def test_bad_value_in_fvecs_inverse_and_out_of_float32_range(capsys, tmp_path, model):
    x = _rows()
    x[123, 5] = np.nan
    write_fvecs(tmp_path / "x.fvecs", x)
    status, _, err = run(capsys, "transform", model, tmp_path / "x.fvecs", "-o", tmp_path / "out.npy", "--inverse",
                         "--chunk-rows", "50", "-q")
    assert status == EXIT_ERROR and f"INPUT {tmp_path / 'x.fvecs'}: non-finite value nan at row 123, column 5" in err
    wide = _rows(dtype=np.float64)
    wide[301, 0] = 1e39  # finite in float64, inf in float32
    np.save(tmp_path / "wide.npy", wide)
    status, _, err = run(capsys, "transform", model, tmp_path / "wide.npy", "-o", tmp_path / "out.npy",
                         "--chunk-rows", "100", "-q")
    assert status == EXIT_ERROR
    assert f"INPUT {tmp_path / 'wide.npy'}: value 1e+39 at row 301, column 0 is out of float32 range" in err
    assert not (tmp_path / "out.npy").exists()


# ----------------------------------------------------------------------------------------------- option parsing
def test_options_are_never_abbreviated(capsys, tmp_path, model):
    folder = model.parent
    status, _, err = run(capsys, "align", folder / "a.npy", folder / "b.npy", "-o", tmp_path / "m.npz",
                         "--anchor-run", "2", "-q")
    assert status == EXIT_USAGE and not (tmp_path / "m.npz").exists()
    assert "unrecognized arguments: --anchor-run 2 (did you mean --anchor-runs?)" in err
    status, _, err = run(capsys, "transform", model, folder / "a.npy", "-o", tmp_path / "t.npy", "--over")
    assert status == EXIT_USAGE and "--over" in err and not (tmp_path / "t.npy").exists()
    status, out, err = run(capsys, "--vers", "info", model)  # was --version: printed it and exited 0
    assert status == EXIT_USAGE and out == "" and "unrecognized arguments: --vers (did you mean --version?)" in err


def test_a_misspelt_option_shows_the_subcommands_usage(capsys, tmp_path, model):
    folder = model.parent
    status, _, err = run(capsys, "align", folder / "a.npy", folder / "b.npy", "-o", tmp_path / "m.npz", "--sed", "1")
    assert status == EXIT_USAGE
    assert err.startswith("usage: vec2vec-fast align ")
    assert "vec2vec-fast align: error: unrecognized arguments: --sed 1 (did you mean --seed?)" in err
    status, _, err = run(capsys, "info", model, "--jsn")
    assert status == EXIT_USAGE and err.startswith("usage: vec2vec-fast info ")
    assert "vec2vec-fast info: error: unrecognized arguments: --jsn (did you mean --json?)" in err
    # An unknown option before the command name is the top-level parser's.
    status, _, err = run(capsys, "--frobnicate", "info", model)
    assert status == EXIT_USAGE and err.startswith("usage: vec2vec-fast [-h]")


@pytest.mark.parametrize("where", ["before", "after", "middle"])
def test_debug_is_accepted_anywhere(capsys, tmp_path, where):
    missing = str(tmp_path / "missing.npz")
    argv = {"before": ["--debug", "info", missing], "after": ["info", missing, "--debug"],
            "middle": ["info", "--debug", missing]}[where]
    with pytest.raises(FileNotFoundError, match="missing.npz: no such file"):
        main(argv)  # --debug: the traceback, not the one-line message
    status, _, err = run(capsys, "info", missing)
    assert status == EXIT_ERROR and err.count("\n") == 1 and "no such file" in err


def test_debug_after_a_double_dash_is_an_argument(capsys, tmp_path):
    status, _, err = run(capsys, "info", "--", "--debug")
    assert status == EXIT_ERROR and "--debug: no such file" in err


def test_every_subcommand_help_lists_debug(capsys):
    for command in ("align", "transform", "evaluate", "info", "train"):
        status, out, _ = run(capsys, command, "--help")
        assert status == 0 and "--debug" in out, command


# ------------------------------------------------------------------------- status lines without a terminal
def test_progress_interval_from_the_environment(monkeypatch):
    monkeypatch.delenv(PROGRESS_INTERVAL_ENV, raising=False)
    assert progress_interval() == PROGRESS_INTERVAL
    for text, expected in (("0.5", 0.5), ("junk", PROGRESS_INTERVAL), ("0", PROGRESS_INTERVAL),
                           ("-3", PROGRESS_INTERVAL)):
        monkeypatch.setenv(PROGRESS_INTERVAL_ENV, text)
        assert progress_interval() == expected


def test_transform_without_a_terminal_prints_row_counts(capsys, tmp_path, model, monkeypatch):
    monkeypatch.setenv(PROGRESS_INTERVAL_ENV, "0.05")
    original = Aligner.transform

    def slow(self, x, **kwargs):
        time.sleep(0.03)
        return original(self, x, **kwargs)

    monkeypatch.setattr(Aligner, "transform", slow)
    np.save(tmp_path / "x.npy", _rows())
    status, _, err = run(capsys, "transform", model, tmp_path / "x.npy", "-o", tmp_path / "out.npy",
                         "--chunk-rows", "20")
    assert status == 0
    lines = re.findall(r"^transform: (\d+)/400 rows \((\d+)%\), \d+ s$", err, flags=re.M)
    assert lines, err
    assert all(0 < int(n) < 400 and int(p) == 100 * int(n) // 400 for n, p in lines)
    assert "wrote " in err
    # --quiet: none of it.
    status, _, err = run(capsys, "transform", model, tmp_path / "x.npy", "-o", tmp_path / "out.npy",
                         "--chunk-rows", "20", "--overwrite", "-q")
    assert status == 0 and err == ""


def test_align_without_a_terminal_prints_elapsed_time(capsys, tmp_path, model, monkeypatch):
    monkeypatch.setenv(PROGRESS_INTERVAL_ENV, "0.05")
    original = Aligner.fit

    def slow(self, a, b):
        time.sleep(0.4)
        return original(self, a, b)

    monkeypatch.setattr(Aligner, "fit", slow)
    folder = model.parent
    status, _, err = run(capsys, "align", folder / "a.npy", folder / "b.npy", "-o", tmp_path / "m.npz",
                         "--method", "procrustes")
    assert status == 0
    assert re.search(r"^fitting procrustes: \d+ s elapsed$", err, flags=re.M), err
    status, _, err = run(capsys, "align", folder / "a.npy", folder / "b.npy", "-o", tmp_path / "m.npz",
                         "--method", "procrustes", "--overwrite", "-q")
    assert status == 0 and err == ""


def test_train_without_a_terminal_prints_elapsed_time(capsys, tmp_path, model, monkeypatch):
    pytest.importorskip("torch")
    import vec2vec_fast.gan as gan

    monkeypatch.setenv(PROGRESS_INTERVAL_ENV, "0.05")

    def fake_train(*args, log=None, **kwargs):  # a silent stretch of "training", then a log line, then silence
        time.sleep(0.3)
        log("seed 0 epoch 1 step 10: total 1.5")
        time.sleep(0.3)
        raise gan.GanDivergedError("loss is nan")

    monkeypatch.setattr(gan, "train_gan", fake_train)
    folder = model.parent
    status, out, err = run(capsys, "train", "unsupervised", "--data-a", folder / "a.npy", "--data-b",
                           folder / "b.npy", "--out", tmp_path / "run")
    assert status == EXIT_ERROR and "training diverged" in err
    assert "seed 0 epoch 1 step 10" in out
    assert re.search(r"^training: \d+ s elapsed$", err, flags=re.M), err
    assert re.search(r"^training: \d+ s elapsed \(last: seed 0 epoch 1 step 10: total 1.5\)$", err, flags=re.M), err
