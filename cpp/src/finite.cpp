// Parallel scan for the first non-finite value and the range of magnitudes: blocks report their first hit, their
// maximum and their smallest non-zero row maximum; the lowest block's hit wins (extremes do not depend on order).
#include "vec2vec_fast/finite.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "vec2vec_fast/parallel.hpp"

namespace v2v {

FiniteScan scan_finite(ConstMatrixRef x, int n_threads) {
  constexpr Index kBlock = 4096;
  const Index n = x.rows(), d = x.cols(), n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<Index> hit(static_cast<std::size_t>(n_blocks), -1);  // flat index of the block's first hit
  std::vector<float> block_max(static_cast<std::size_t>(n_blocks), 0.0f);
  std::vector<float> block_low(static_cast<std::size_t>(n_blocks), std::numeric_limits<float>::infinity());
  const int threads = static_cast<int>(std::min<Index>(effective_threads(n_threads), std::max<Index>(n_blocks, 1)));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index b = 0; b < n_blocks; ++b) {
    float top = 0.0f, low = std::numeric_limits<float>::infinity();
    for (Index i = b * kBlock; i < std::min(n, (b + 1) * kBlock) && hit[b] < 0; ++i) {
      const float* row = x.data() + i * x.outerStride();
      const Eigen::Map<const Eigen::ArrayXf> values(row, d);
      // x * 0 is NaN exactly when x is NaN or infinite: one branch per row, not per value (Eigen's reductions are
      // vectorised; the maximum is only used when every value is finite).
      const float acc = (values * 0.0f).sum();
      const float row_max = values.abs().maxCoeff();
      top = std::max(top, row_max);
      if (row_max > 0) low = std::min(low, row_max);
      if (acc != acc)
        for (Index j = 0; j < d; ++j)
          if (!std::isfinite(row[j])) {
            hit[b] = i * d + j;
            break;
          }
    }
    block_max[b] = top;
    block_low[b] = low;
  }
  FiniteScan out;
  float low = std::numeric_limits<float>::infinity();
  for (Index b = 0; b < n_blocks; ++b) {
    out.max_abs = std::max(out.max_abs, block_max[b]);
    low = std::min(low, block_low[b]);
    if (out.row < 0 && hit[b] >= 0) {
      out.row = hit[b] / d;
      out.col = hit[b] % d;
    }
  }
  out.min_row_max = low < std::numeric_limits<float>::infinity() ? low : 0.0f;
  return out;
}

}  // namespace v2v
