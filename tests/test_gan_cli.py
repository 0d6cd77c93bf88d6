"""``vec2vec-fast train``: a tiny run end to end, its output folder, its errors; and the package without torch."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from vec2vec_fast.cli import main

TINY = ["--depth", "2", "--transform-depth", "2", "--d_adapter", "16", "--d_hidden", "16", "--d_transform", "16",
        "--disc_depth", "2", "--disc_dim", "16", "--bs", "32", "--warmup_length", "0", "--val_size", "64",
        "--val_bs", "64", "--epochs", "2", "--log_every", "2"]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models: torch's thread pool only adds contention on a busy machine (restored afterwards)."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(5)
    paths = {}
    for name, shape in (("a", (200, 12)), ("b", (200, 20)), ("va", (50, 12)), ("vb", (50, 20))):
        paths[name] = tmp_path / f"{name}.npy"
        np.save(paths[name], rng.standard_normal(shape).astype(np.float32))
    return paths


def _train(files, out, *extra):
    return main(["train", "unsupervised", "--data-a", str(files["a"]), "--data-b", str(files["b"]), "--out", str(out),
                 *TINY, *extra])


def test_train_writes_a_checkpoint_folder_and_a_model_file(files, tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    assert _train(files, out, "--val-a", str(files["va"]), "--val-b", str(files["vb"]), "--detach_cycle", "false",
                  "--threads", "1") == 0
    stdout = capsys.readouterr().out
    assert "epoch 2 step 12" in stdout and "top1[a->b]" in stdout and "best: seed 5 epoch" in stdout
    assert {p.name for p in out.iterdir()} == {"model.pt", "disc.pt", "config.toml", "summary.json", "metrics.jsonl",
                                               "model.v2v.npz"}
    assert "detach_cycle = false" in (out / "config.toml").read_text()
    from vec2vec_fast import Aligner
    from vec2vec_fast.gan import load_checkpoint

    model = Aligner.load(out / "model.v2v.npz", method="gan")
    translator, _, _ = load_checkpoint(out)
    x = np.load(files["va"])
    import torch

    with torch.no_grad():
        expected = translator.translate(torch.nn.functional.normalize(torch.from_numpy(x), dim=-1), "a", "b").numpy()
    np.testing.assert_array_equal(model.transform(x), expected)
    # The same folder again is refused, and nothing in it changes.
    before = (out / "model.pt").read_bytes()
    assert _train(files, out, "-q") == 1
    assert "exists and is not empty; choose another --out or pass --overwrite" in capsys.readouterr().err
    assert (out / "model.pt").read_bytes() == before
    assert _train(files, out, "-q", "--overwrite", "--epochs", "1") == 0


@pytest.mark.parametrize("extra, status, message", [
    (["--lrr", "1e-4"], 2, "unrecognized arguments: --lrr 1e-4"),
    (["--lr", "fast"], 1, "config key 'lr' must be a number, got 'fast'"),
    (["--norm_style", "rms"], 1, "config key 'norm_style' must be one of ('batch', 'layer'), got 'rms'"),
    (["--bs", "500"], 1, "bs=500 is larger than the 200 training rows of space 'a'"),
    (["--val-a", "x.npy"], 1, "--val-a and --val-b go together"),
])
def test_train_errors_are_one_line(files, tmp_path, capsys, extra, status, message):
    pytest.importorskip("torch")
    assert _train(files, tmp_path / "run", "-q", *extra) == status
    err = capsys.readouterr().err
    assert message in err
    if status == 1:
        assert err.startswith("vec2vec-fast: error: ") and err.count("\n") == 1


def test_every_config_key_is_an_option(capsys):
    from vec2vec_fast.configs import SCHEMA

    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    assert all(f"--{name}" in text for name in SCHEMA)


def test_import_and_configs_work_without_torch(files, tmp_path):
    code = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # import torch now raises ImportError
        import vec2vec_fast
        from vec2vec_fast import Aligner
        from vec2vec_fast.configs import load_config
        from vec2vec_fast.cli import main
        assert load_config("small").depth == 1
        aligner = Aligner("gan", epochs=2)  # parameters are checked without torch
        try:
            import vec2vec_fast.gan
        except ImportError as err:
            print("IMPORT:", err)
        try:
            aligner.fit([[1.0, 2.0]] * 4, [[1.0, 2.0]] * 4)
        except ImportError as err:
            print("FIT:", err)
        status = main(["train", "unsupervised", "--data-a", {str(files["a"])!r}, "--data-b", {str(files["b"])!r},
                       "--out", {str(tmp_path / "run")!r}, "-q"])
        print("STATUS:", status)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "IMPORT: vec2vec_fast.gan needs torch: pip install 'vec2vec_fast[gan]'" in proc.stdout
    assert "FIT: vec2vec_fast.gan needs torch" in proc.stdout
    assert "STATUS: 3" in proc.stdout and "needs torch" in proc.stderr
