"""Import, version, build_info and one tiny call per kernel: the wheel smoke test."""

import numpy as np

import vec2vec_fast as v2v


def test_version_matches_core():
    assert v2v.__version__ == v2v._core.__version__


def test_build_info_reports_the_build():
    info = v2v.build_info()
    assert info["openmp"] is True, "OpenMP must be linked in the default build"
    assert info["max_threads"] >= 1
    assert info["eigen_version"].startswith("3.4")
    assert "-ffast-math" not in info["flags"]
    # Release from pip; tools/sanitize.sh builds RelWithDebInfo so reports carry line numbers.
    assert info["build_type"] == ("RelWithDebInfo" if "-fsanitize" in info["flags"] else "Release")


def test_each_kernel_runs_on_tiny_input():
    x = np.array([[0, 0], [0, 1], [10, 10], [10, 11]], dtype=np.float32)
    result = v2v.kmeans(x, 2, seed=0)
    assert sorted(np.bincount(result.labels).tolist()) == [2, 2]
    idx, _ = v2v.knn(x, x, 1, metric="l2")
    assert idx[:, 0].tolist() == [0, 1, 2, 3]
