// Finds non-finite values without allocating a mask the size of the input.
#pragma once

#include <utility>

#include "vec2vec_fast/types.hpp"

namespace v2v {

/// (row, column) of the first NaN or infinity in row-major order, or (-1, -1) when every value is finite.
std::pair<Index, Index> first_nonfinite(ConstMatrixRef x, int n_threads);

}  // namespace v2v
