// Applying a linear map row by row: X W with every output row a function of its own input row only.
#pragma once

#include "vec2vec_fast/types.hpp"

namespace v2v {

/// Y = X W, X: (n, K) row-major float32, W: (K, N) row-major float32, Y: (n, N) float32.
/// Every entry is summed in one fixed order, y[i, j] = (...((x[i,0] w[0,j]) + x[i,1] w[1,j]) + ...) + x[i,K-1] w[K-1,j],
/// by the same instructions for every row, so row i's result has the same bits whatever the other rows are: the
/// same for any batch size, any split of the rows into chunks (streamed or on Dask workers) and any thread count.
/// BLAS GEMM guarantees none of this (its sums depend on a row's place in the micro-tile and on the threads).
RowMatrixXf matmul_rows(ConstMatrixRef X, ConstMatrixRef W, int n_threads, const InterruptCheck& check = {});

}  // namespace v2v
