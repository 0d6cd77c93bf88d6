// Parallel scan for the first non-finite value: blocks report their first hit, the lowest block wins.
#include "vec2vec_fast/finite.hpp"

#include <cmath>
#include <vector>

#include "vec2vec_fast/parallel.hpp"

namespace v2v {

std::pair<Index, Index> first_nonfinite(ConstMatrixRef x, int n_threads) {
  constexpr Index kBlock = 4096;
  const Index n = x.rows(), d = x.cols(), n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<Index> hit(static_cast<std::size_t>(n_blocks), -1);  // flat index of the block's first hit
  const int threads = static_cast<int>(std::min<Index>(effective_threads(n_threads), std::max<Index>(n_blocks, 1)));
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index b = 0; b < n_blocks; ++b) {
    for (Index i = b * kBlock; i < std::min(n, (b + 1) * kBlock) && hit[b] < 0; ++i) {
      const float* row = x.data() + i * x.outerStride();
      float acc = 0.0f;  // x * 0 is NaN exactly when x is NaN or infinite: one branch per row, not per value
      for (Index j = 0; j < d; ++j) acc += row[j] * 0.0f;
      if (acc != acc)
        for (Index j = 0; j < d; ++j)
          if (!std::isfinite(row[j])) {
            hit[b] = i * d + j;
            break;
          }
    }
  }
  for (Index h : hit)
    if (h >= 0) return {h / d, h % d};
  return {-1, -1};
}

}  // namespace v2v
