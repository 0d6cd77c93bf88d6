"""Fuzzing the GAN config loader (vec2vec_fast.configs.load_config), the reader of untrusted TOML files.

Every input must either load into a valid config (every value passes the schema check) or raise ValueError/TypeError
with a message naming the file or the key. Never another exception, a crash, code execution, or an allocation sized by
a config field without bound.
"""

import json
import math
import os
import random
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from strategies import budget
from vec2vec_fast.configs import CONFIG_DIR, NAMES, SCHEMA, SECTIONS, GanConfig, check_value, load_config

PACKAGED = {name: (CONFIG_DIR / f"{name}.toml").read_bytes() for name in NAMES}


def load_or_clear_error(path, overrides=None, strings=False):
    """load_config's result after checking it is valid, or None after a ValueError/TypeError that names the file or
    the key. Any other exception fails the test."""
    try:
        cfg = load_config(path, overrides, strings=strings)
    except (ValueError, TypeError) as err:
        message = str(err)
        assert str(path) in message or "config key" in message or "unknown" in message, message
        return None
    assert isinstance(cfg, GanConfig)
    for key, value in cfg.items():
        assert check_value(key, value) == value
    return cfg


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def _toml_containers(inner):
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=2)


VALUES = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(max_size=8)
    | st.sampled_from(["fp16", "batch", "res_mlp", "a", "b", "mini", "least_squares"]),
    _toml_containers, max_leaves=4,
)
KEYS = st.one_of(st.sampled_from(sorted(SCHEMA)), st.sampled_from(["dataset", "use_wandb", "bogus", "seed.x"]),
                 st.text(max_size=6))


@st.composite
def documents(draw):
    """A TOML document: top-level keys and sections (packaged, inert, unknown) of schema and other keys."""
    lines = [f"{json.dumps(k)} = {toml_value(v)}"
             for k, v in draw(st.dictionaries(KEYS, VALUES, max_size=3)).items()]
    sections = draw(st.lists(st.one_of(st.sampled_from(list(SECTIONS)), st.sampled_from(["data", "wandb", "x"])),
                             max_size=4, unique=True))
    for section in sections:
        lines.append(f"[{section}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}"
                  for k, v in draw(st.dictionaries(KEYS, VALUES, max_size=4)).items()]
    return "\n".join(lines) + "\n"


@settings(max_examples=budget(150))
@given(doc=documents())
def test_generated_toml_documents(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text(doc)
    load_or_clear_error(path)


@settings(max_examples=budget(150))
@given(data=st.data(), name=st.sampled_from(sorted(PACKAGED)))
def test_mutated_packaged_configs(data, name, tmp_path_factory):
    """A packaged config truncated, bit-flipped, with a line deleted or duplicated, or with bytes spliced in."""
    blob = bytearray(PACKAGED[name])
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        kind = data.draw(st.sampled_from(["truncate", "flip", "delete line", "duplicate line", "splice"]))
        if kind == "truncate":
            del blob[data.draw(st.integers(0, len(blob))):]
        elif kind == "flip" and blob:
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] ^= 1 << data.draw(st.integers(0, 7))
        elif kind in ("delete line", "duplicate line"):
            lines = bytes(blob).split(b"\n")
            i = data.draw(st.integers(0, len(lines) - 1))
            lines[i:i + 1] = [] if kind == "delete line" else [lines[i], lines[i]]
            blob = bytearray(b"\n".join(lines))
        elif kind == "splice":
            i = data.draw(st.integers(0, len(blob)))
            blob[i:i] = data.draw(st.one_of(st.binary(max_size=8), st.sampled_from(
                [b"=", b"[", b"]", b"\"", b"'''", b"\n[translator]\n", b"\ndepth = 0\n", b"\\u0000", b"\xff"])))
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_bytes(bytes(blob))
    load_or_clear_error(path)


@settings(max_examples=budget(150))
@given(overrides=st.dictionaries(st.sampled_from(sorted(SCHEMA)), st.one_of(VALUES, st.none()), max_size=4),
       strings=st.booleans())
def test_overrides_of_any_type(overrides, strings):
    if strings:
        overrides = {k: v if isinstance(v, str) else str(v) for k, v in overrides.items()}
    load_or_clear_error("unsupervised", overrides, strings)


@pytest.mark.parametrize("text", [
    "depth = " + "[" * 50_000 + "]" * 50_000,
    "depth = " + "{a = " * 50_000 + "1" + "}" * 50_000,
    "[translator]\n" + "depth = 1\n" * 3,
    b"\xff\xfe[translator]\ndepth = 2\n",
    "\x00",
    "[[translator]]\ndepth = 2\n",
    "translator = 3\n",
    "[translator.depth]\nx = 1\n",
])
def test_pathological_files_raise_clear_errors(tmp_path, text):
    """Deep nesting, duplicate keys, invalid UTF-8, NUL, arrays of tables, a section given as a value."""
    path = tmp_path / "c.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert load_or_clear_error(path) is None


SIZE_KEYS = ["depth", "transform_depth", "d_adapter", "d_hidden", "d_transform", "disc_depth", "disc_dim"]
BUILD = textwrap.dedent("""
    import json, resource, sys
    import torch
    from vec2vec_fast.configs import load_config
    from vec2vec_fast.gan import build_translator
    from vec2vec_fast.gan.discriminator import Discriminator
    build_translator({"a": 4, "b": 4}, load_config(None, {"depth": 1, "transform_depth": 1, "d_adapter": 8,
                                                         "d_hidden": 8, "d_transform": 8}))  # warm-up
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + 2**30, vm + 2**30))
    try:
        cfg = load_config(sys.argv[1])
        build_translator({"a": 4, "b": 4}, cfg)
        Discriminator(4, cfg.disc_dim, cfg.disc_depth, cfg.weight_init, torch.Generator())  # as the trainer does
        print("built")
    except (ValueError, TypeError) as err:
        print("clear error")
    except BaseException as err:
        print(type(err).__name__ + ": " + str(err)[:150])
""")


def capped_env():
    """The environment of a capped subprocess; under AddressSanitizer (tools/sanitize.sh) a failed allocation must
    return NULL (a MemoryError or torch's RuntimeError), as without it, rather than abort."""
    return dict(os.environ, OMP_NUM_THREADS="1",
                ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":allocator_may_return_null=1")


# Each case is a subprocess that imports torch (seconds): one width field in the default run, all of them with -m slow.
@pytest.mark.parametrize("key", [key if key == "d_hidden" else pytest.param(key, marks=pytest.mark.slow)
                                 for key in SIZE_KEYS])
def test_size_fields_cannot_demand_unbounded_memory(tmp_path, key):
    """A config whose size field is absurd (2**40 units) is refused with a clear error before anything that size is
    allocated: built in a process that cannot map more than 1 GiB beyond its start, with a time limit."""
    pytest.importorskip("torch")
    path = tmp_path / "c.toml"
    path.write_text(f"[{SCHEMA[key].section}]\n{key} = {2**40}\n")
    try:
        proc = subprocess.run([sys.executable, "-c", BUILD, str(path)], capture_output=True, text=True, timeout=120,
                              env=capped_env())
    except subprocess.TimeoutExpired:
        pytest.fail(f"{key} = 2**40: building the translator ran for over 2 minutes")
    assert proc.stdout.strip().splitlines()[-1:] == ["clear error"], (proc.stdout[-500:], proc.stderr[-1500:])


def test_a_config_at_every_size_cap_cannot_demand_unbounded_memory(tmp_path):
    """Each size field within its own cap, all at once: 64-block adapters and backbone of width 16,384 are ~200 GB of
    weights. Refused with a clear error before allocating (same capped build as above)."""
    pytest.importorskip("torch")
    path = tmp_path / "c.toml"
    path.write_text("[translator]\ndepth = 64\ntransform_depth = 64\nd_adapter = 16384\nd_hidden = 16384\n"
                    "d_transform = 16384\n[discriminator]\ndisc_depth = 64\ndisc_dim = 16384\n")
    try:
        proc = subprocess.run([sys.executable, "-c", BUILD, str(path)], capture_output=True, text=True, timeout=120,
                              env=capped_env())
    except subprocess.TimeoutExpired:
        pytest.fail("building the translator ran for over 2 minutes")
    assert proc.stdout.strip().splitlines()[-1:] == ["clear error"], (proc.stdout[-500:], proc.stderr[-1500:])


def test_random_bytes_files(tmp_path):
    """Plain random bytes, 500 files: never anything but a clear error (or, rarely, a valid empty config)."""
    rng = random.Random(0)
    for i in range(500):
        path = tmp_path / f"r{i}.toml"
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(64))))
        load_or_clear_error(path)
