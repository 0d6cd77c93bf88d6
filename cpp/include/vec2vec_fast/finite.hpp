// Finds non-finite values, and the largest magnitude, without allocating a mask the size of the input.
#pragma once

#include "vec2vec_fast/types.hpp"

namespace v2v {

struct FiniteScan {
  Index row = -1;        ///< first NaN or infinity in row-major order, or -1 when every value is finite
  Index col = -1;
  float max_abs = 0.0f;  ///< largest |x| (meaningful when every value is finite)
  float min_row_max = 0.0f;  ///< smallest of the rows' largest |x| over the non-zero rows (0 when all are zero)
};

/// One pass over x: where its first non-finite value is, its largest magnitude, and the largest magnitude of its
/// smallest non-zero row (how far apart its rows' scales are).
FiniteScan scan_finite(ConstMatrixRef x, int n_threads);

}  // namespace v2v
