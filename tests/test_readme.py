"""The README's Python example is examples/quickstart.py verbatim, and prints what the README says it prints."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _block_after(marker: str, lang: str) -> str:
    start = README.index(marker)
    match = re.compile(rf"```{lang}\n(.*?)```", re.S).search(README, start)
    assert match, f"no ```{lang} block after {marker!r}"
    return match.group(1)


def test_readme_example_is_the_quickstart_script():
    assert _block_after("### Aligning two embedding spaces", "python") == (ROOT / "examples/quickstart.py").read_text()


@pytest.mark.slow
def test_quickstart_prints_what_the_readme_shows():
    expected = _block_after("It prints", "")
    done = subprocess.run([sys.executable, "examples/quickstart.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    got, want = done.stdout.splitlines(), expected.splitlines()
    assert len(got) == len(want) == 4, done.stdout
    # The header, the Procrustes row (a closed-form fit on pairs) and the reload check are the same on any build.
    assert [got[i] for i in (0, 1, 3)] == [want[i] for i in (0, 1, 3)]
    # The mini row is an 800-row unpaired fit: its last digits move with the CPU the extension was compiled for
    # (-march=native; measured on an AVX2 and an AVX-512 build and a portable one: top-1 0.070-0.075, top-5
    # 0.177-0.198, mean rank 71.0-73.5, cosine 0.130-0.133), so it is checked within about twice those spreads.
    label, numbers = got[2][:30], [float(v) for v in got[2][30:].split()]
    assert label == want[2][:30]
    reference = [float(v) for v in want[2][30:].split()]
    tolerances = (0.015, 0.04, 5.0, 0.01)
    for name, value, ref, tol in zip(("top-1", "top-5", "mean rank", "cosine"), numbers, reference, tolerances):
        assert abs(value - ref) <= tol, f"mini's {name}: {value} against the README's {ref} (+-{tol})"
