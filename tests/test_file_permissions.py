"""The one atomic writer (vec2vec_fast.io.atomic_output / AtomicFile) behind every file the package writes: the
permissions of new and replaced files, the overwrite rule, no temporary file left behind, and the JSON sanitiser."""

import json
import os
import stat
import sys
import threading

import numpy as np
import pytest

from vec2vec_fast.io import AtomicFile, VectorWriter, atomic_output, current_umask, jsonable, save_vectors, write_fvecs

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")

_UMASK_LOCK = threading.Lock()


@pytest.fixture
def umask():
    """Set the process umask for the test (``umask(0o022)``), restored afterwards."""
    with _UMASK_LOCK:
        before = os.umask(0o022)
        try:
            yield os.umask
        finally:
            os.umask(before)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(folder, *keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_current_umask_reads_without_changing_it(umask):
    for mask in (0o022, 0o077, 0o002):
        umask(mask)
        assert current_umask() == mask
        assert os.umask(mask) == mask  # unchanged by the read


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640), (0o002, 0o664)])
def test_new_files_get_the_mode_open_would_give(umask, tmp_path, mask, expected):
    umask(mask)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    with open(tmp_path / "plain.txt", "w"):
        pass
    assert mode(tmp_path / "plain.txt") == expected
    with atomic_output(tmp_path / "raw.bin", overwrite=False) as f:
        f.write(b"data")
    save_vectors(tmp_path / "x.npy", x)
    save_vectors(tmp_path / "x.npz", x)
    write_fvecs(tmp_path / "x.fvecs", x)
    save_vectors(tmp_path / "over.npy", x, overwrite=True)  # overwrite=True of a file that does not exist: new
    for name in ("raw.bin", "x.npy", "x.npz", "x.fvecs", "over.npy"):
        assert mode(tmp_path / name) == expected, name


@pytest.mark.parametrize("existing", [0o644, 0o640, 0o600, 0o664])
@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_overwrite_keeps_the_files_own_mode(umask, tmp_path, existing, mask):
    umask(mask)
    path = tmp_path / "x.npy"
    path.write_bytes(b"old")
    os.chmod(path, existing)
    save_vectors(path, np.ones((3, 2), np.float32), overwrite=True)
    assert mode(path) == existing
    np.testing.assert_array_equal(np.load(path), np.ones((3, 2)))
    with atomic_output(path, overwrite=True) as f:
        f.write(b"new")
    assert mode(path) == existing and path.read_bytes() == b"new"
    assert leftovers(tmp_path) == ["x.npy"]


def test_replacement_is_private_while_written(umask, tmp_path):
    """Replacing a 0600 file: the new data is never readable by others, not even before the rename."""
    umask(0o022)
    path = tmp_path / "secret.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    out = AtomicFile(path, overwrite=True)
    assert mode(out.tmp) == 0o600
    out.file.write(b"new")
    out.commit()
    assert mode(path) == 0o600 and path.read_bytes() == b"new"


def test_an_exception_mid_write_leaves_nothing_and_the_old_file(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"precious")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(path, overwrite=True) as f:
            f.write(b"half")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"precious" and leftovers(tmp_path) == ["x.bin"]
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(tmp_path / "new.bin", overwrite=False) as f:
            f.write(b"half")
            raise KeyboardInterrupt
    assert leftovers(tmp_path) == ["x.bin"]
    with pytest.raises(RuntimeError, match="boom"):
        with VectorWriter(tmp_path / "v.npz", 10, 2) as writer:
            writer.write(np.zeros((5, 2)))
            raise RuntimeError("boom")
    assert leftovers(tmp_path) == ["x.bin"]


def test_without_overwrite_an_existing_file_is_refused_and_kept(tmp_path):
    path, fvecs = tmp_path / "x.npy", tmp_path / "x.fvecs"
    path.write_bytes(b"precious")
    fvecs.write_bytes(b"precious too")
    for target, write in ((path, lambda: save_vectors(path, np.zeros((2, 2)))),
                          (fvecs, lambda: write_fvecs(fvecs, np.zeros((2, 2)))),
                          (path, lambda: VectorWriter(path, 2, 2)),
                          (path, lambda: atomic_output(path, overwrite=False).__enter__())):
        with pytest.raises(FileExistsError) as err:
            write()
        assert str(err.value) == f"{target} exists; pass overwrite=True (--overwrite) to replace it"
    assert path.read_bytes() == b"precious" and fvecs.read_bytes() == b"precious too"
    assert leftovers(tmp_path) == ["x.fvecs", "x.npy"]


def test_a_file_that_appears_during_the_write_is_never_replaced(tmp_path):
    path = tmp_path / "x.bin"
    with pytest.raises(FileExistsError, match="x.bin exists; pass overwrite=True"):
        with atomic_output(path, overwrite=False) as f:
            f.write(b"ours")
            path.write_bytes(b"theirs")  # another writer got there first
    assert path.read_bytes() == b"theirs" and leftovers(tmp_path) == ["x.bin"]
    # With overwrite the later writer wins, and the file keeps the mode of the one it replaces.
    os.chmod(path, 0o640)
    with atomic_output(path, overwrite=True) as f:
        f.write(b"ours")
    assert path.read_bytes() == b"ours" and mode(path) == 0o640


def test_closing_the_file_early_is_harmless_and_commit_is_once(tmp_path):
    out = AtomicFile(tmp_path / "x.bin", overwrite=False)
    out.file.write(b"abc")
    out.file.close()
    assert out.commit() == tmp_path / "x.bin"
    assert (tmp_path / "x.bin").read_bytes() == b"abc"
    with pytest.raises(ValueError, match="already committed or aborted"):
        out.commit()
    out.abort()  # harmless after commit: the file stays
    assert leftovers(tmp_path) == ["x.bin"]


def test_output_path_errors(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        atomic_output(tmp_path, overwrite=True).__enter__()
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        atomic_output(tmp_path / "missing" / "x.bin", overwrite=True).__enter__()


def test_checkpoint_files_follow_the_same_rules(umask, tmp_path):
    torch = pytest.importorskip("torch")
    from vec2vec_fast.configs import load_config
    from vec2vec_fast.gan.checkpoint import save_checkpoint

    umask(0o022)
    cfg = load_config("unsupervised")
    out = save_checkpoint(tmp_path / "run", {"w": torch.zeros(2)}, cfg, {cfg.unsup_emb: 2, cfg.sup_emb: 3},
                          summary={"best": {"score": float("nan"), "val": np.float32(0.5)}})
    for name in ("model.pt", "config.toml", "summary.json"):
        assert mode(out / name) == 0o644, name
    summary = json.loads((out / "summary.json").read_text())  # strict JSON: no bare NaN
    assert summary["best"] == {"score": "nan", "val": 0.5}
    os.chmod(out / "model.pt", 0o600)
    save_checkpoint(out, {"w": torch.ones(2)}, cfg, {cfg.unsup_emb: 2, cfg.sup_emb: 3})
    assert mode(out / "model.pt") == 0o600 and mode(out / "summary.json") == 0o644
    assert leftovers(out) == ["config.toml", "model.pt", "summary.json"]


class _Tensorish:
    def __init__(self, values):
        self.values = values

    def tolist(self):
        return self.values


def test_jsonable():
    value = {1: (np.float32(1.5), np.int64(3), np.bool_(True)), "arr": np.array([[1.0, np.inf], [np.nan, -np.inf]]),
             "f": float("nan"), "g": -float("inf"), "h": 2.5, "s": "text", "n": None, "b": False,
             "nested": [{"x": np.float64("nan")}], "t": _Tensorish([1.0, float("inf")]), "z": np.str_("s")}
    out = jsonable(value)
    assert out == {"1": [1.5, 3, True], "arr": [[1.0, "inf"], ["nan", "-inf"]], "f": "nan", "g": "-inf", "h": 2.5,
                   "s": "text", "n": None, "b": False, "nested": [{"x": "nan"}], "t": [1.0, "inf"], "z": "s"}
    assert type(out["1"][1]) is int and type(out["1"][2]) is bool
    json.loads(json.dumps(out, allow_nan=False))
