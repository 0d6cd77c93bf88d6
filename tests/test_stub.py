"""The committed type stub of the private module matches what pybind11-stubgen generates from the build."""

import subprocess
import sys
from pathlib import Path

import pytest

import vec2vec_fast

pytest.importorskip("pybind11_stubgen")


def test_core_stub_is_current(tmp_path):
    committed = Path(vec2vec_fast.__file__).with_name("_core.pyi")
    assert committed.exists(), "_core.pyi is not installed with the package"
    subprocess.run([sys.executable, "-m", "pybind11_stubgen", "vec2vec_fast._core", "-o", str(tmp_path),
                    "--numpy-array-use-type-var"], check=True, capture_output=True)
    generated = tmp_path / "vec2vec_fast" / "_core.pyi"
    assert generated.read_text() == committed.read_text(), (
        "python/vec2vec_fast/_core.pyi is stale: regenerate it with "
        "`pybind11-stubgen vec2vec_fast._core -o /tmp/stubs --numpy-array-use-type-var`")
