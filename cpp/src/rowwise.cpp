// matmul_rows: a small register-tiled product whose per-entry summation order never depends on the batch.
// W is packed once per call into zero-padded, 64-byte-aligned column tiles of constant width and the rows go through
// in zero-padded groups of constant height, so every entry of every row runs through the identical fixed-trip-count
// loop (no alignment peeling, no scalar epilogue that could contract differently). Row blocks are split across
// threads; each entry is computed by exactly one thread, so the thread count cannot change a bit either.
#include "vec2vec_fast/rowwise.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "vec2vec_fast/parallel.hpp"

namespace v2v {
namespace {
constexpr Index kRows = 8;         // rows per micro-group (the last one of a call is zero-padded)
constexpr Index kCols = 32;        // output columns per tile (W packed to this width, zero-padded)
constexpr Index kBlockRows = 128;  // rows per parallel task: X block and one W tile stay in L2 together

struct alignas(64) Tile {
  float v[kCols];
};

// acc[r][j] = sum over k ascending of x[r][k] * w[k][j]: the single place where output values are computed.
inline void micro(const float* x, Index ldx, const Tile* w, Index K, float (&acc)[kRows][kCols]) {
  for (Index r = 0; r < kRows; ++r)
    for (Index j = 0; j < kCols; ++j) acc[r][j] = 0.0f;
  for (Index k = 0; k < K; ++k) {
    const float* wk = w[k].v;
    for (Index r = 0; r < kRows; ++r) {
      const float a = x[r * ldx + k];
      for (Index j = 0; j < kCols; ++j) acc[r][j] += a * wk[j];
    }
  }
}
}  // namespace

RowMatrixXf matmul_rows(ConstMatrixRef X, ConstMatrixRef W, int n_threads, const InterruptCheck& check) {
  const Index n = X.rows(), K = X.cols(), N = W.cols();
  if (W.rows() != K)
    throw std::invalid_argument("X has " + std::to_string(K) + " columns but W has " + std::to_string(W.rows()) +
                                " rows");
  RowMatrixXf Y(n, N);
  if (n == 0 || N == 0) return Y;
  const Index n_tiles = (N + kCols - 1) / kCols;
  std::vector<Tile> packed(static_cast<std::size_t>(n_tiles * K));  // tile t, row k at [t * K + k]
  for (Index t = 0; t < n_tiles; ++t)
    for (Index k = 0; k < K; ++k) {
      Tile& dst = packed[static_cast<std::size_t>(t * K + k)];
      for (Index j = 0; j < kCols; ++j) dst.v[j] = t * kCols + j < N ? W(k, t * kCols + j) : 0.0f;
    }
  const Index n_blocks = (n + kBlockRows - 1) / kBlockRows;
  const int threads = static_cast<int>(std::min<Index>(effective_threads(n_threads), n_blocks));
  Interrupter interrupter(check);
  parallel_blocks(n_blocks, threads, interrupter, [&](Index block, int) {
    const Index r_begin = block * kBlockRows, r_end = std::min(n, r_begin + kBlockRows);
    RowMatrixXf pad;  // the block's last partial group, zero-padded to kRows rows
    float acc[kRows][kCols];
    for (Index t = 0; t < n_tiles; ++t) {
      const Index c0 = t * kCols, cols = std::min(kCols, N - c0);
      const Tile* w = packed.data() + t * K;
      for (Index r0 = r_begin; r0 < r_end; r0 += kRows) {
        const Index rows = std::min(kRows, r_end - r0);
        const float* x = X.data() + r0 * X.outerStride();
        Index ldx = X.outerStride();
        if (rows < kRows) {
          if (pad.rows() != kRows) pad = RowMatrixXf::Zero(kRows, K);
          pad.topRows(rows) = X.middleRows(r0, rows);
          x = pad.data();
          ldx = K;
        }
        micro(x, ldx, w, K, acc);
        for (Index r = 0; r < rows; ++r)
          for (Index j = 0; j < cols; ++j) Y(r0 + r, c0 + j) = acc[r][j];
      }
    }
  });
  return Y;
}

}  // namespace v2v
