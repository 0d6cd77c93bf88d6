"""GAN checkpoints and Aligner(method="gan"): save -> load -> identical outputs, and every way a file can be bad."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vec2vec_fast import Aligner, ModelFileError
from vec2vec_fast.gan import build_translator, load_checkpoint, train_gan

TINY = dict(depth=3, transform_depth=2, d_adapter=32, d_hidden=32, d_transform=32, disc_depth=2, disc_dim=16,
            bs=32, warmup_length=0, val_size=64, val_bs=64, log_every=0, epochs=2.0, lr=1e-3, disc_lr=1e-3)


# Tiny models: torch's thread pool only adds contention on a busy machine (restored afterwards).
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    return (rng.standard_normal((300, 16)).astype(np.float32), rng.standard_normal((300, 24)).astype(np.float32),
            rng.standard_normal((40, 16)).astype(np.float32), rng.standard_normal((40, 24)).astype(np.float32))


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "run"
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_gan(data[0], data[1], None, TINY, out_dir=out), out
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fitted(data):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return Aligner("gan", seed=2, **TINY).fit(data[0], data[1])
    finally:
        torch.set_num_threads(before)


def test_checkpoint_folder_round_trip(data, run):
    result, out = run
    assert {p.name for p in out.iterdir()} == {"model.pt", "disc.pt", "config.toml", "summary.json", "metrics.jsonl"}
    translator, config, summary = load_checkpoint(out)
    x = torch.from_numpy(data[2])
    torch.testing.assert_close(translator.translate(x, "a", "b"), result.translator.translate(x, "a", "b"),
                               rtol=0, atol=0)
    assert config == result.config and summary["best"]["epoch"] == result.best["epoch"]
    assert len((out / "metrics.jsonl").read_text().splitlines()) == len(result.history) == 3
    # model.pt is a plain state dict that loads strictly into a translator built from the config alone.
    fresh = build_translator({"a": 16, "b": 24}, out / "config.toml")
    fresh.load_state_dict(torch.load(out / "model.pt", weights_only=True), strict=True)
    assert set(torch.load(out / "disc.pt", weights_only=True)) == {"disc", "sup_disc", "latent_disc"}


def test_output_folder_is_never_overwritten_silently(data, run):
    _, out = run
    before = (out / "model.pt").read_bytes()
    with pytest.raises(FileExistsError, match="exists and is not empty"):
        train_gan(data[0], data[1], None, TINY, out_dir=out)
    assert (out / "model.pt").read_bytes() == before


def test_bad_checkpoints(tmp_path, run):
    _, out = run
    with pytest.raises(FileNotFoundError, match="model.pt is missing"):
        load_checkpoint(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("config.toml", "summary.json"):
        (bad / name).write_bytes((out / name).read_bytes())
    state = torch.load(out / "model.pt", weights_only=True)
    torch.save({k: v for k, v in state.items() if k != "transform.layers.0.0.bias"}, bad / "model.pt")
    with pytest.raises(ValueError, match=r"missing keys \['transform.layers.0.0.bias'\]"):
        load_checkpoint(bad)
    state["out_adapters.b.layers.2.3.weight"] = torch.zeros(5, 32)
    torch.save(state, bad / "model.pt")
    with pytest.raises(ValueError, match=r"out_adapters.b.layers.2.3.weight has shape \(5, 32\), expected \(24, 32\)"):
        load_checkpoint(bad)
    (bad / "model.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="model.pt cannot be read"):
        load_checkpoint(bad)


def test_aligner_gan_fit_transform_inverse(data, fitted):
    _, _, ea, eb = data
    y = fitted.transform(ea)
    assert y.shape == (40, 24) and y.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(fitted.transform(ea, raw=True), y * fitted.scale_b_, rtol=1e-6)
    x = fitted.inverse_transform(eb)
    assert x.shape == (40, 16)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    assert fitted.seed_ == 2 and fitted.gan_config_.seed == 2 and fitted.report_["best"]["epoch"] >= 0
    with pytest.raises(ValueError, match="X_a has 24 columns but this map expects 16"):
        fitted.transform(eb)
    with pytest.raises(ValueError, match="X_b has 16 columns but this map produces 24"):
        fitted.inverse_transform(ea)


def test_aligner_gan_save_load_identical_outputs(tmp_path, data, fitted):
    path = fitted.save(tmp_path / "gan.npz")
    loaded = Aligner.load(path, method="gan")
    np.testing.assert_array_equal(loaded.transform(data[2]), fitted.transform(data[2]))
    np.testing.assert_array_equal(loaded.inverse_transform(data[3], raw=True),
                                  fitted.inverse_transform(data[3], raw=True))
    assert loaded.params == fitted.params and loaded.seed_ == fitted.seed_ and loaded.gan_names_ == ("a", "b")
    with np.load(path, allow_pickle=False) as z:
        assert "gan/transform.layers.0.0.weight" in z.files and "W" not in z.files
        assert len([k for k in z.files if k.startswith("gan/")]) == len(fitted.translator_.state_dict())


def _rewrite(path, out, drop=(), meta=None, **arrays):
    with np.load(path) as z:
        content = {k: z[k] for k in z.files if k not in drop}
    m = json.loads(content.pop("metadata").tobytes())
    m.update(meta or {})
    content.update(arrays)
    with open(out, "wb") as f:
        np.savez(f, metadata=np.frombuffer(json.dumps(m).encode(), dtype=np.uint8), **content)
    return out


def test_bad_gan_model_files(tmp_path, fitted):
    good = fitted.save(tmp_path / "good.npz")
    with np.load(good) as z:
        meta = json.loads(z["metadata"].tobytes())
        weights = [k for k in z.files if k.startswith("gan/")]
    bad_config = dict(meta["gan"], config={**meta["gan"]["config"], "lrr": 1})
    cases = {
        _rewrite(good, tmp_path / "no_weights.npz", drop=weights):
            r"missing \['gan/<translator state>'\]",
        _rewrite(good, tmp_path / "key.npz", drop=["gan/transform.layers.0.0.bias"]):
            r"corrupt: .*missing keys \['transform.layers.0.0.bias'\]",
        _rewrite(good, tmp_path / "shape.npz", **{"gan/transform.layers.0.0.weight": np.ones((3, 3), np.float32)}):
            r"corrupt: .*transform.layers.0.0.weight has shape \(3, 3\), expected \(32, 32\)",
        _rewrite(good, tmp_path / "nan.npz", **{"gan/transform.layers.0.0.bias": np.full(32, np.nan, np.float32)}):
            "gan/transform.layers.0.0.bias contains non-finite values",
        _rewrite(good, tmp_path / "config.npz", meta={"gan": bad_config}): "corrupt: unknown config key 'lrr'",
        _rewrite(good, tmp_path / "meta.npz", meta={"gan": {"names": ["a"]}}): "GAN metadata needs a config object",
        _rewrite(good, tmp_path / "param.npz", meta={"params": {"bs": "x"}}): "corrupt: config key 'bs' must be an int",
    }
    for path, match in cases.items():
        with pytest.raises(ModelFileError, match=match):
            Aligner.load(path)
    with pytest.raises(ModelFileError, match="holds a 'gan' model, not 'mini'"):
        Aligner.load(good, method="mini")


def test_aligner_gan_parameters_are_checked_at_construction():
    with pytest.raises(TypeError, match="unknown parameter 'lrr' for method 'gan'"):
        Aligner("gan", lrr=1e-4)
    with pytest.raises(TypeError, match="config key 'epochs' must be a number, got 'ten'"):
        Aligner("gan", epochs="ten")
    with pytest.raises(ValueError, match="config key 'init' must be one of"):
        Aligner("gan", init="warm")
    with pytest.raises(TypeError, match="progress must be True or False"):
        Aligner("gan", progress="yes")
    aligner = Aligner("gan", config="small", init="mini", n_seeds=2, epochs=3)
    assert aligner.params == {"config": "small", "init": "mini", "n_seeds": 2, "epochs": 3.0}
