"""Vector files: .npy/.npz/.fvecs/.ivecs/.bvecs reading, streamed chunks, atomic writers, and every bad-file error."""

import numpy as np
import pytest

from vec2vec_fast.io import VectorWriter, inspect_vectors, iter_chunks, open_vectors, save_vectors, write_fvecs


def _xvecs_bytes(x: np.ndarray, value_dtype: str) -> bytes:
    rec = np.empty(len(x), dtype=[("dim", "<i4"), ("values", value_dtype, (x.shape[1],))])
    rec["dim"] = x.shape[1]
    rec["values"] = x
    return rec.tobytes()


def test_fvecs_round_trip(tmp_path, rng):
    x = rng.standard_normal((1001, 13)).astype(np.float32)
    path = write_fvecs(tmp_path / "x.fvecs", x)
    assert path.stat().st_size == 1001 * (4 + 13 * 4)
    assert path.read_bytes() == _xvecs_bytes(x, "<f4")  # the standard layout, byte for byte
    info = inspect_vectors(path)
    assert (info.format, info.shape, info.dtype) == ("fvecs", (1001, 13), np.dtype("<f4"))
    mapped = open_vectors(path)
    assert isinstance(mapped.base, np.memmap) or isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, x)
    np.testing.assert_array_equal(np.concatenate(list(iter_chunks(path, 100))), x)


@pytest.mark.parametrize("suffix, dtype", [(".ivecs", "<i4"), (".bvecs", "u1")])
def test_reads_ivecs_and_bvecs(tmp_path, rng, suffix, dtype):
    x = rng.integers(0, 200, size=(50, 7)).astype(dtype)
    path = tmp_path / f"x{suffix}"
    path.write_bytes(_xvecs_bytes(x, dtype))
    np.testing.assert_array_equal(open_vectors(path), x)
    np.testing.assert_array_equal(np.concatenate(list(iter_chunks(path, 16))), x)


def test_fvecs_with_mixed_dimensions_names_the_row(tmp_path, rng):
    good = _xvecs_bytes(rng.standard_normal((10, 4)).astype(np.float32), "<f4")
    # Row 5 claims dimension 3 and row 6 dimension 5: the total size still divides into 20-byte rows.
    rows = [good[i * 20:(i + 1) * 20] for i in range(10)]
    rows[5] = np.int32(3).tobytes() + rows[5][4:]
    rows[6] = np.int32(5).tobytes() + rows[6][4:]
    path = tmp_path / "mixed.fvecs"
    path.write_bytes(b"".join(rows))
    with pytest.raises(ValueError, match="row 5 has dimension 3 but row 0 has 4"):
        open_vectors(path)
    with pytest.raises(ValueError, match="row 5 has dimension 3"):
        list(iter_chunks(path, 3))
    mapped = open_vectors(path, check=False)  # only the ends are checked without check
    assert mapped.shape == (10, 4)


def test_fvecs_truncated_or_foreign(tmp_path, rng):
    data = _xvecs_bytes(rng.standard_normal((10, 4)).astype(np.float32), "<f4")
    (tmp_path / "cut.fvecs").write_bytes(data[:-3])
    with pytest.raises(ValueError, match="not a whole number of 20-byte rows of dimension 4"):
        inspect_vectors(tmp_path / "cut.fvecs")
    (tmp_path / "neg.fvecs").write_bytes(np.int32(-7).tobytes() + data[4:])
    with pytest.raises(ValueError, match="first row has dimension -7"):
        inspect_vectors(tmp_path / "neg.fvecs")
    (tmp_path / "empty.fvecs").write_bytes(b"")
    with pytest.raises(ValueError, match="empty or truncated"):
        open_vectors(tmp_path / "empty.fvecs")


def test_npy_is_memory_mapped_and_streamed(tmp_path, rng):
    x = rng.standard_normal((300, 9)).astype(np.float16)
    np.save(tmp_path / "x.npy", x)
    mapped = open_vectors(tmp_path / "x.npy")
    assert isinstance(mapped, np.memmap) and mapped.dtype == np.float16
    blocks = list(iter_chunks(tmp_path / "x.npy", 64))
    assert [len(b) for b in blocks] == [64, 64, 64, 64, 44]
    assert all(b.dtype == np.float16 and not isinstance(b, np.memmap) for b in blocks)  # file reads, not the map
    np.testing.assert_array_equal(np.concatenate(blocks), x)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))  # Fortran order falls back to slicing the map
    np.testing.assert_array_equal(np.concatenate(list(iter_chunks(tmp_path / "f.npy", 64))), x)


def test_npy_errors(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"shape \(5,\); vectors must be 2-D"):
        open_vectors(tmp_path / "one.npy")
    np.save(tmp_path / "empty.npy", np.zeros((0, 4)))
    with pytest.raises(ValueError, match="empty array"):
        open_vectors(tmp_path / "empty.npy")
    np.save(tmp_path / "text.npy", np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="vectors must be real numbers"):
        open_vectors(tmp_path / "text.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="junk.npy is not a valid .npy file"):
        open_vectors(tmp_path / "junk.npy")
    np.save(tmp_path / "cut.npy", np.zeros((100, 4), np.float32))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "cut.npy").read_bytes()[:-8])
    with pytest.raises(ValueError, match="cut.npy is truncated"):
        open_vectors(tmp_path / "cut.npy")


def test_missing_folder_and_unknown_type(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npy: no such file"):
        open_vectors(tmp_path / "nope.npy")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        open_vectors(tmp_path)
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match=r"unknown vector file type '.csv'"):
        open_vectors(tmp_path / "x.csv")


def test_npz_keys(tmp_path, rng):
    a, b = rng.standard_normal((20, 3)), rng.standard_normal((20, 5))
    np.savez(tmp_path / "two.npz", a=a, b=b)
    np.testing.assert_array_equal(open_vectors(tmp_path / "two.npz", "b"), b)
    assert inspect_vectors(tmp_path / "two.npz", "a").shape == (20, 3)
    with pytest.raises(ValueError, match=r"holds 2 arrays \['a', 'b'\]: name one"):
        open_vectors(tmp_path / "two.npz")
    with pytest.raises(ValueError, match=r"has no array 'c'; it holds \['a', 'b'\]"):
        open_vectors(tmp_path / "two.npz", "c")
    np.savez_compressed(tmp_path / "one.npz", only=a)
    np.testing.assert_array_equal(np.concatenate(list(iter_chunks(tmp_path / "one.npz", 7))), a)
    np.save(tmp_path / "x.npy", a)
    with pytest.raises(ValueError, match="a key .* only applies to .npz"):
        open_vectors(tmp_path / "x.npy", "a")


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".fvecs"])
def test_writer_streams_and_round_trips(tmp_path, rng, suffix):
    x = rng.standard_normal((257, 6)).astype(np.float32)
    path = tmp_path / f"out{suffix}"
    with VectorWriter(path, 257, 6) as writer:
        for start in range(0, 257, 50):
            writer.write(x[start:start + 50])
    np.testing.assert_array_equal(open_vectors(path), x)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_writer_never_clobbers_and_cleans_up(tmp_path, rng):
    x = rng.standard_normal((10, 3)).astype(np.float32)
    path = tmp_path / "out.npy"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="out.npy exists; pass overwrite=True"):
        VectorWriter(path, 10, 3)
    # Too few rows: the error names the counts and the old file survives untouched.
    writer = VectorWriter(path, 10, 3, overwrite=True)
    writer.write(x[:4])
    with pytest.raises(ValueError, match="only 4 of 10 rows were written"):
        writer.close()
    assert path.read_bytes() == b"precious"
    # An exception inside the with-block drops the temporary file.
    with pytest.raises(RuntimeError, match="boom"):
        with VectorWriter(path, 10, 3, overwrite=True) as writer:
            writer.write(x)
            raise RuntimeError("boom")
    assert path.read_bytes() == b"precious"
    with VectorWriter(path, 10, 3, overwrite=True) as writer:
        with pytest.raises(ValueError, match=r"block of shape \(10, 4\) does not fit"):
            writer.write(np.zeros((10, 4)))
        with pytest.raises(ValueError, match="11 rows exceed the declared 10"):
            writer.write(np.zeros((11, 3)))
        writer.write(x)
    np.testing.assert_array_equal(np.load(path), x)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy"]


def test_writer_output_checks(tmp_path):
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        VectorWriter(tmp_path / "missing" / "x.npy", 1, 1)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        VectorWriter(tmp_path, 1, 1)
    with pytest.raises(ValueError, match="unknown output file type '.txt'"):
        VectorWriter(tmp_path / "x.txt", 1, 1)


def test_save_vectors_from_a_memory_map(tmp_path, rng):
    x = rng.standard_normal((100, 4)).astype(np.float16)
    np.save(tmp_path / "x.npy", x)
    save_vectors(tmp_path / "copy.npy", open_vectors(tmp_path / "x.npy"), chunk_rows=7)
    copy = np.load(tmp_path / "copy.npy")
    assert copy.dtype == np.float16
    np.testing.assert_array_equal(copy, x)
    with pytest.raises(ValueError, match="write_fvecs writes .fvecs files"):
        write_fvecs(tmp_path / "x.npy", x)


def test_iter_chunks_arguments(rng):
    x = rng.standard_normal((5, 2))
    assert [len(b) for b in iter_chunks(x, 2)] == [2, 2, 1]
    with pytest.raises(ValueError, match="chunk_rows must be a positive integer, got 0"):
        list(iter_chunks(x, 0))
    with pytest.raises(ValueError, match="2-D array or a vector file"):
        list(iter_chunks(np.zeros(3), 2))
