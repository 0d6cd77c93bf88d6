"""matmul_rows: x @ W whose rows have the same bits however the batch is split and for any thread count."""

import numpy as np
import pytest

from vec2vec_fast.rowwise import matmul_rows


@pytest.mark.parametrize("k, n", [(384, 768), (768, 384), (5, 3), (37, 70)])
def test_rows_do_not_depend_on_the_batch_or_threads(rng, k, n):
    x = rng.standard_normal((1037, k)).astype(np.float32)
    W = rng.standard_normal((k, n)).astype(np.float32)
    whole = matmul_rows(x, W, n_threads=2)
    assert whole.shape == (1037, n) and whole.dtype == np.float32
    for rows, threads in [(1, 1), (7, 2), (128, 1), (500, 2)]:
        parts = [matmul_rows(x[i:i + rows], W.copy(), n_threads=threads) for i in range(0, len(x), rows)]
        np.testing.assert_array_equal(np.concatenate(parts), whole)
    exact = x.astype(np.float64) @ W.astype(np.float64)
    np.testing.assert_allclose(whole, exact, rtol=0, atol=1e-5 * np.sqrt(k) * np.abs(exact).max())


def test_converts_and_checks(rng):
    x = rng.standard_normal((4, 3))  # float64 and a non-contiguous W are converted once
    W = rng.standard_normal((6, 3)).T
    np.testing.assert_allclose(matmul_rows(x, W), x @ W, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="x has 3 columns but W has 4 rows"):
        matmul_rows(x, np.zeros((4, 2)))
