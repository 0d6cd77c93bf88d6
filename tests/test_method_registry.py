"""A method defined outside the library plugs in through the registry: fit, transform, save, load and the command
line work for it without any change to aligner.py or the CLI."""

import json
from dataclasses import dataclass
from typing import Any, Dict

import numpy as np
import pytest

from vec2vec_fast import Aligner, methods
from vec2vec_fast.cli import main
from vec2vec_fast.methods.base import FitResult, FittedMap, Method
from vec2vec_fast.schema import Param, Schema


@dataclass(eq=False)
class ShiftMap(FittedMap):
    """x -> (x - mean_a) padded or cut to d_b, times gain: simple enough to check by hand."""

    mean_a: np.ndarray
    d_b_: int
    gain: float
    scale_a: float = 1.0
    scale_b: float = 1.0

    @property
    def d_a(self):
        return len(self.mean_a)

    @property
    def d_b(self):
        return self.d_b_

    def _pad(self, x, width):
        out = np.zeros((len(x), width), np.float32)
        n = min(width, x.shape[1])
        out[:, :n] = x[:, :n]
        return out

    def transform(self, x, *, raw=False, n_threads=None):
        return self._pad((x - self.mean_a) * self.gain, self.d_b)

    def inverse_transform(self, y, *, raw=False, n_threads=None):
        return self._pad(y / self.gain, self.d_a) + self.mean_a

    def output_frame(self, y):
        return np.asarray(y, np.float32)

    def attributes(self) -> Dict[str, Any]:
        return {"shift": self.mean_a}

    def arrays(self):
        return {"shift/mean_a": self.mean_a}

    def file_meta(self):
        return {"shift": {"gain": self.gain}}


class ShiftMethod(Method):
    name = "toy-shift"
    summary = "test method: centre A, pad to B's width, scale"
    schema = Schema([Param("gain", float, 1.0, "output scale", above=0.0, high=100.0)])

    def fit(self, X_a, X_b, *, seed, n_threads):
        a, b = np.asarray(X_a, np.float32), np.asarray(X_b, np.float32)
        return FitResult(ShiftMap(a.mean(0), b.shape[1], self.params.get("gain", 1.0)), 0, {"rows": len(a)})

    @classmethod
    def file_arrays(cls, meta, names):
        if "shift/mean_a" not in names:
            raise ValueError("missing ['shift/mean_a']")
        return {"shift/mean_a": (meta["d_a"],)}

    @classmethod
    def load_map(cls, meta, arrays, where):
        return ShiftMap(arrays["shift/mean_a"].astype(np.float32), meta["d_b"], float(meta["shift"]["gain"]))


@pytest.fixture
def registered():
    methods.register(ShiftMethod)
    yield ShiftMethod
    methods.unregister(ShiftMethod.name)


def _data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((50, 6)).astype(np.float32), rng.standard_normal((40, 9)).astype(np.float32)


def test_register_refuses_a_clash_and_non_methods(registered):
    with pytest.raises(ValueError, match="already registered"):
        methods.register(type("Other", (ShiftMethod,), {}))
    with pytest.raises(TypeError, match="Method subclass"):
        methods.register(object)
    with pytest.raises(ValueError, match="built-in"):
        methods.unregister("mini")


def test_toy_method_through_the_api(tmp_path, registered):
    a, b = _data()
    aligner = Aligner("toy-shift", gain=2.0).fit(a, b)
    assert aligner.n_features_in_ == 6 and aligner.n_features_out_ == 9 and aligner.report_ == {"rows": 50}
    np.testing.assert_array_equal(aligner.shift_, a.mean(0))
    y = aligner.transform(a[:5])
    np.testing.assert_allclose(y[:, :6], (a[:5] - a.mean(0)) * 2, rtol=1e-6)
    assert not y[:, 6:].any()
    with pytest.raises(ValueError, match="gain must be > 0 and <= 100, got -1.0"):
        Aligner("toy-shift", gain=-1.0)
    path = aligner.save(tmp_path / "toy.npz")
    loaded = Aligner.load(path)
    assert loaded.method == "toy-shift" and loaded.params == {"gain": 2.0}
    np.testing.assert_array_equal(loaded.transform(a), aligner.transform(a))
    np.testing.assert_allclose(loaded.inverse_transform(y), a[:5], rtol=1e-5, atol=1e-6)
    assert loaded.get_params()["gain"] == 2.0


def test_toy_method_through_the_command_line(tmp_path, capsys, registered):
    a, b = _data()
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    model = tmp_path / "m.npz"
    status = main(["align", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "-o", str(model),
                   "--method", "toy-shift", "--gain", "3", "-q"])
    assert status == 0, capsys.readouterr().err
    assert main(["transform", str(model), str(tmp_path / "a.npy"), "-o", str(tmp_path / "y.npy"), "-q"]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "y.npy")[:, :6], (a - a.mean(0)) * 3, rtol=1e-5, atol=1e-6)
    capsys.readouterr()
    assert main(["info", str(model), "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["method"] == "toy-shift" and meta["params"] == {"gain": 3.0} and meta["shift"] == {"gain": 3.0}
    # a hyperparameter of another method is refused by name
    status = main(["align", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "-o", str(tmp_path / "n.npz"),
                   "--method", "toy-shift", "--anchor-runs", "3", "-q"])
    assert status == 1 and "--anchor-runs does not apply to --method toy-shift" in capsys.readouterr().err
