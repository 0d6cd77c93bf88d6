// Procrustes: the cross-covariance is the O(n d^2) part and runs in parallel over fixed column slabs of the output
// (each entry summed by one thread in row-block order: the same bits for any thread count); the polar factor of the
// small d_x x d_y matrix comes from an SVD (polar_svd_*.cpp: each SVD instantiation is the slowest code to compile,
// so each has a file of its own and the two build in parallel).
#include "vec2vec_fast/procrustes.hpp"

#include <algorithm>
#include <string>

#include "polar_svd.hpp"
#include "vec2vec_fast/parallel.hpp"

namespace v2v {
namespace {
constexpr Index kRowBlock = 8192;

// Output columns per task: the smallest even number of slabs at most 384 wide. Wide slabs repack X's rows less
// often; an even count keeps two cores busy. Depends on d_y only, so the bits never depend on the thread count.
Index column_slab(Index dy) {
  Index slabs = 2;
  while ((dy + slabs - 1) / slabs > 384) slabs += 2;
  return std::max<Index>(1, (dy + slabs - 1) / slabs);
}
}  // namespace

RowMatrixXd cross_covariance(ConstMatrixRef X, ConstMatrixRef Y, const Eigen::Ref<const Eigen::VectorXf>& weights,
                             int n_threads, const InterruptCheck& check) {
  const Index n = X.rows(), dx = X.cols(), dy = Y.cols();
  if (Y.rows() != n)
    throw std::invalid_argument("X has " + std::to_string(n) + " rows but Y has " + std::to_string(Y.rows()));
  const bool weighted = weights.size() != 0;
  if (weighted && weights.size() != n)
    throw std::invalid_argument("weights has " + std::to_string(weights.size()) + " entries, X has " +
                                std::to_string(n) + " rows");
  RowMatrixXd M = RowMatrixXd::Zero(dx, dy);
  const Index slab_width = column_slab(dy), n_slabs = (dy + slab_width - 1) / slab_width;
  const int threads = static_cast<int>(std::min<Index>(effective_threads(n_threads), n_slabs));
  Interrupter interrupter(check);
  parallel_blocks(n_slabs, threads, interrupter, [&](Index slab, int) {
    const Index c0 = slab * slab_width, cols = std::min(slab_width, dy - c0);
    RowMatrixXf scaled, part(dx, cols);
    for (Index r0 = 0; r0 < n; r0 += kRowBlock) {
      if (interrupter.poll()) return;
      const Index rows = std::min(kRowBlock, n - r0);
      const auto Yb = Y.block(r0, c0, rows, cols);
      if (weighted) {  // weights go on X's rows, one block at a time: no copy of the data
        scaled = weights.segment(r0, rows).asDiagonal() * X.middleRows(r0, rows);
        part.noalias() = scaled.transpose() * Yb;
      } else {
        part.noalias() = X.middleRows(r0, rows).transpose() * Yb;
      }
      M.middleCols(c0, cols) += part.cast<double>();
    }
  });
  return M;
}

RowMatrixXd polar_factor(const RowMatrixXd& M, bool single) {
  if (single) {
    // Scaled to unit max-norm first so float32 cannot overflow or underflow; the polar factor is scale-free.
    const double scale = M.cwiseAbs().maxCoeff();
    const Eigen::MatrixXf Mf = (scale > 0 ? RowMatrixXd(M / scale) : M).cast<float>();
    return detail::polar_factor_float(Mf);
  }
  return detail::polar_factor_double(M);
}

RowMatrixXf procrustes(ConstMatrixRef X, ConstMatrixRef Y, const Eigen::Ref<const Eigen::VectorXf>& weights,
                       int n_threads, const InterruptCheck& check) {
  return polar_factor(cross_covariance(X, Y, weights, n_threads, check), /*single=*/true).cast<float>();
}

}  // namespace v2v
