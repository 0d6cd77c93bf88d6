"""Fuzzing Aligner.load, the one reader of untrusted files: truncated, bit-flipped, wrong-typed and forged model files.

Every input must either load into a model identical to (or, for edited metadata, as usable as) a valid one, or raise
ModelFileError. Never another exception, never a crash, never code execution, never an allocation sized by a forged
field (checked in a subprocess whose address space is capped).
"""

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from strategies import budget
from vec2vec_fast import Aligner, ModelFileError

RNG = np.random.default_rng(5)
X_A = RNG.standard_normal((40, 3)).astype(np.float32)
X_B = RNG.standard_normal((40, 4)).astype(np.float32)


class SavedModel(dict):
    """A real saved model: its bytes, its members, and what it computes (short repr for hypothesis's reports)."""

    def __repr__(self):
        return f"<saved procrustes model, {len(self['blob'])} bytes>"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    aligner = Aligner("procrustes", seed=3).fit(X_A, X_B)
    path = aligner.save(tmp_path_factory.mktemp("model") / "m.v2v.npz")
    blob = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    meta = json.loads(np.load(io.BytesIO(members["metadata.npy"])).tobytes())
    return SavedModel(blob=blob, members=members, meta=meta, forward=aligner.transform(X_A).tobytes(),
                      backward=aligner.inverse_transform(X_B).tobytes())


def npy(array=None, *, header=None, payload=b""):
    """An .npy member: a real array, or a hand-written header (possibly lying about the shape) and raw bytes."""
    f = io.BytesIO()
    if header is None:
        np.lib.format.write_array(f, np.asarray(array), allow_pickle=True)
    else:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(payload)
    return f.getvalue()


def zip_members(members, compression=zipfile.ZIP_STORED):
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return f.getvalue()


def with_metadata(model, meta):
    members = dict(model["members"])
    members["metadata.npy"] = npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    return zip_members(members)


def load_or_model_file_error(tmp_path, blob):
    """Aligner.load on these bytes: the loaded model, or None after a ModelFileError (anything else fails)."""
    path = tmp_path / "fuzzed.v2v.npz"
    path.write_bytes(blob)
    try:
        return Aligner.load(path)
    except ModelFileError as err:
        assert str(path) in str(err)  # the message names the file
        return None


def assert_usable(aligner):
    """A model that loaded must work: finite outputs, unit (or zero) rows, finite raw outputs."""
    for apply, x in ((aligner.transform, X_A), (aligner.inverse_transform, X_B)):
        y = apply(x)
        assert np.isfinite(y).all()
        assert np.isfinite(apply(x, raw=True)).all(), "a loaded model gives non-finite raw outputs"


# ------------------------------------------------------------------------------------------- truncation and flips
@settings(max_examples=budget(100))
@given(data=st.data())
def test_truncated_files_raise_model_file_error(model, tmp_path_factory, data):
    cut = data.draw(st.integers(0, len(model["blob"]) - 1), label="length kept")
    assert load_or_model_file_error(tmp_path_factory.mktemp("t"), model["blob"][:cut]) is None


@settings(max_examples=budget(150))
@given(data=st.data())
def test_bit_flips_are_detected_or_harmless(model, tmp_path_factory, data):
    blob = bytearray(model["blob"])
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(0, 7)), min_size=1, max_size=4),
                      label="(byte, bit) flips")
    for byte, bit in flips:
        blob[byte] ^= 1 << bit
    loaded = load_or_model_file_error(tmp_path_factory.mktemp("f"), bytes(blob))
    if loaded is not None:  # a flip the zip checksums do not cover (e.g. a timestamp) must not change the model
        assert loaded.transform(X_A).tobytes() == model["forward"]
        assert loaded.inverse_transform(X_B).tobytes() == model["backward"]


# ------------------------------------------------------------------------------------------ wrong-typed metadata
def _json_containers(inner):
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=6),
                    _json_containers, max_leaves=6)
META_KEYS = ["format", "format_version", "library_version", "method", "d_a", "d_b", "params", "seed", "scale_a",
             "scale_b", "report", "gan"]


@settings(max_examples=budget(200))
@given(data=st.data())
def test_wrong_typed_metadata_raises_model_file_error_or_loads_a_usable_model(model, tmp_path_factory, data):
    meta = json.loads(json.dumps(model["meta"]))
    edits = data.draw(st.lists(st.tuples(st.sampled_from(META_KEYS), st.one_of(st.just("<delete>"), JSON,
                                                                              st.sampled_from(["gan", "mini"]))),
                               min_size=1, max_size=3), label="edits")
    for key, value in edits:
        if value == "<delete>":
            meta.pop(key, None)
        else:
            meta[key] = value
    if data.draw(st.booleans(), label="whole metadata replaced"):
        meta = data.draw(JSON, label="metadata")
    loaded = load_or_model_file_error(tmp_path_factory.mktemp("m"), with_metadata(model, meta))
    if loaded is not None:
        assert_usable(loaded)


@pytest.mark.parametrize("blob", [b"", b"{", b"\xff\xfe", b"[]", b"null", b'"text"', b"1e999", b"{}" * 100])
def test_metadata_that_is_not_a_json_object(model, tmp_path, blob):
    members = dict(model["members"], **{"metadata.npy": npy(np.frombuffer(blob, dtype=np.uint8))})
    assert load_or_model_file_error(tmp_path, zip_members(members)) is None


# ------------------------------------------------------------------------------------------------ wrong arrays
ARRAY_DTYPES = [np.float16, np.float32, np.float64, np.int64, np.bool_, np.complex64, "<U2", "S2", ">f4", "<f8"]


@st.composite
def arrays(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
    dtype = np.dtype(draw(st.sampled_from(ARRAY_DTYPES)))
    values = np.random.default_rng(draw(st.integers(0, 2**32))).standard_normal(shape)
    if values.size and dtype.kind == "f" and draw(st.booleans()):
        values.flat[draw(st.integers(0, values.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    with np.errstate(invalid="ignore", over="ignore"):
        return values.astype(dtype)


@settings(max_examples=budget(150))
@given(data=st.data(), member=st.sampled_from(["W", "mean_a", "mean_b", "metadata"]))
def test_wrong_arrays_raise_model_file_error_or_load_a_usable_model(model, tmp_path_factory, data, member):
    members = dict(model["members"])
    if data.draw(st.booleans(), label="delete it"):
        del members[f"{member}.npy"]
    else:
        members[f"{member}.npy"] = npy(data.draw(arrays(), label=member))
    if data.draw(st.booleans(), label="add a stray member"):
        members[data.draw(st.sampled_from(["extra.npy", "gan/x.npy", "W.npy/", "../evil.npy"]))] = npy(np.ones(2))
    loaded = load_or_model_file_error(tmp_path_factory.mktemp("a"), zip_members(members))
    if loaded is not None:
        assert_usable(loaded)


@pytest.mark.parametrize("edit", ["scale_b=1e308", "scale_a=-1", "W*1e30", "mean_b=3e38"])
def test_finite_but_impossible_values_are_refused_or_harmless(model, tmp_path, edit):
    """Values no fit can produce (a scale near float64's limit, a negative norm, a map or mean at float32's limit)
    must not load into a model whose outputs overflow to inf or NaN."""
    members, meta = dict(model["members"]), json.loads(json.dumps(model["meta"]))
    if edit.startswith("scale"):
        key, value = edit.split("=")
        meta[key] = float(value)
        members["metadata.npy"] = npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    elif edit == "W*1e30":
        members["W.npy"] = npy(np.load(io.BytesIO(members["W.npy"])) * np.float32(1e30))
    else:
        members["mean_b.npy"] = npy(np.full(4, 3e38, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow inside transform is a failure here, not a warning
        loaded = load_or_model_file_error(tmp_path, zip_members(members))
        if loaded is not None:
            assert_usable(loaded)


def test_a_pickled_object_array_never_runs(model, tmp_path):
    """allow_pickle=False: an object array in the file is refused, and its payload never executes."""
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    for member in ("W", "metadata"):
        members = dict(model["members"])
        members[f"{member}.npy"] = npy(np.array([Payload()], dtype=object))
        assert load_or_model_file_error(tmp_path, zip_members(members)) is None
    # The same payload as a raw pickle in place of the whole file.
    assert load_or_model_file_error(tmp_path, pickle.dumps(Payload())) is None
    assert not marker.exists()


# ------------------------------------------------------------------------------ sizes from forged fields, capped
FORGED_LOADER = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    from vec2vec_fast import Aligner, ModelFileError
    X = np.ones((2, 3), np.float32)
    Aligner.load(sys.argv[1])  # warm-up: every import and first-use allocation happens before the cap
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    cap = vm + 512 * 2**20  # half a GiB more than what is mapped now: far above what any model here needs
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out = {}
    for path in sys.argv[2:]:
        start = time.perf_counter()
        try:
            Aligner.load(path)
            outcome = "loaded"
        except ModelFileError:
            outcome = "ModelFileError"
        except BaseException as err:
            outcome = type(err).__name__ + ": " + str(err)[:200]
        out[path] = (outcome, time.perf_counter() - start)
    print(json.dumps(out))
""")

FORGED_SHAPES = {
    "exabytes": {"descr": "<f4", "fortran_order": False, "shape": (2**31, 2**31)},
    "terabytes": {"descr": "<f4", "fortran_order": False, "shape": (2**20, 2**20)},
    "32 GiB": {"descr": "<f8", "fortran_order": False, "shape": (2**16, 2**16)},
    "3 GiB, Fortran": {"descr": "<f4", "fortran_order": True, "shape": (3, 2**28)},
    "negative": {"descr": "<f4", "fortran_order": False, "shape": (-1, 4)},
}


def capped_env():
    """The environment of a capped subprocess; under AddressSanitizer (tools/sanitize.sh) a failed allocation must
    return NULL (numpy's MemoryError), as without it, rather than abort."""
    return dict(os.environ, OMP_NUM_THREADS="1",
                ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":allocator_may_return_null=1")


def run_capped(model, tmp_path, files):
    valid = tmp_path / "valid.v2v.npz"
    valid.write_bytes(model["blob"])
    paths = []
    for name, blob in files.items():
        paths.append(tmp_path / f"{name.replace(' ', '_').replace(',', '')}.v2v.npz")
        paths[-1].write_bytes(blob)
    proc = subprocess.run([sys.executable, "-c", FORGED_LOADER, str(valid), *map(str, paths)], capture_output=True,
                          text=True, timeout=300, env=capped_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {Path(p).name: outcome for p, (outcome, _) in json.loads(proc.stdout.splitlines()[-1]).items()}


def test_forged_array_headers_never_allocate_what_they_claim(model, tmp_path):
    """A W member whose .npy header claims a huge shape (a few bytes of data follow) is refused without trying to
    allocate it: loaded in a process that cannot map more than half a GiB beyond its start."""
    files = {}
    for name, header in FORGED_SHAPES.items():
        for member in ("W", "mean_a"):
            members = dict(model["members"], **{f"{member}.npy": npy(header=header, payload=b"\0" * 64)})
            files[f"{member} {name}"] = zip_members(members)
    outcomes = run_capped(model, tmp_path, files)
    assert outcomes == {name: "ModelFileError" for name in outcomes}, outcomes


def test_a_gan_model_file_cannot_demand_a_huge_translator(model, tmp_path):
    """A "gan" model file whose metadata config asks for the widest, deepest translator the config schema allows
    (tens of GB of weights) while its arrays hold a few bytes: refused before the translator is allocated."""
    pytest.importorskip("torch")
    meta = dict(model["meta"], method="gan", d_a=3, d_b=4,
                gan={"config": {"depth": 64, "transform_depth": 64, "d_adapter": 16_384, "d_hidden": 16_384,
                                "d_transform": 16_384}, "names": ["a", "b"]})
    members = {"metadata.npy": npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)),
               "gan/adapters.a.0.weight.npy": npy(np.ones((2, 2), dtype=np.float32))}
    assert run_capped(model, tmp_path, {"gan": zip_members(members)}) == {"gan.v2v.npz": "ModelFileError"}


def test_compressed_members_cannot_inflate_without_bound(model, tmp_path):
    """A 600 MiB metadata member deflated to under a MiB (a zip bomb) is refused without inflating it."""
    prefix, suffix, pad = b'{"format": "vec2vec_fast.Aligner", "pad": "', b'"}', 600 * 2**20
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w") as z:
        for name, member in model["members"].items():
            if name != "metadata.npy":
                z.writestr(name, member)
        info = zipfile.ZipInfo("metadata.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as out:  # streamed: the 600 MiB are never in memory
            out.write(npy(header={"descr": "|u1", "fortran_order": False,
                                  "shape": (len(prefix) + pad + len(suffix),)}))
            out.write(prefix)
            chunk = b" " * 2**20
            for _ in range(pad // len(chunk)):
                out.write(chunk)
            out.write(suffix)
    blob = f.getvalue()
    assert len(blob) < 2**20
    assert run_capped(model, tmp_path, {"bomb": blob}) == {"bomb.v2v.npz": "ModelFileError"}
