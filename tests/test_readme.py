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
    assert done.stdout == expected
