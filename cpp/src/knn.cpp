// Exact blocked top-k search: queries are split into fixed blocks handed to threads, each block scans the base in
// fixed tiles. Block and tile sizes never depend on the thread count, so results are bitwise identical for any.
#include "vec2vec_fast/knn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "vec2vec_fast/parallel.hpp"
#include "vec2vec_fast/topk.hpp"

namespace v2v {
namespace {

constexpr Index kQueryBlock = 256;
constexpr Index kBaseTile = 1024;
constexpr std::size_t kHeapBytesPerThread = std::size_t(64) << 20;

constexpr double kFloatMax = std::numeric_limits<float>::max();
constexpr float kMaxFactor = std::numeric_limits<float>::max();

// Per-row factor of the metric: inverse norm for cosine, squared norm for L2, unused for inner product.
// Cosine: an inverse norm beyond float32 (a row of norm < 2.9e-39) is clamped, so no product can become NaN.
// L2: a squared norm beyond float32 is an error (the Python wrapper rescales such data first).
std::vector<float> row_factors(ConstMatrixRef x, Metric metric, int n_threads) {
  std::vector<float> out;
  if (metric == Metric::InnerProduct) return out;
  out.resize(static_cast<std::size_t>(x.rows()));
  const Index n = x.rows();
#pragma omp parallel for schedule(static) num_threads(n_threads) if (n > 4096)
  for (Index i = 0; i < n; ++i) {
    const double sq = x.row(i).cast<double>().squaredNorm();
    out[i] = static_cast<float>(std::min(
        metric == Metric::Cosine ? (sq > 0 ? 1.0 / std::sqrt(sq) : 0.0) : sq, kFloatMax));
  }
  if (metric == Metric::L2) {
    const auto top = std::max_element(out.begin(), out.end());
    if (top != out.end() && *top >= kFloatMax)
      throw std::invalid_argument("a row's squared norm exceeds float32's range (row " +
                                  std::to_string(top - out.begin()) + "): rescale the input");
  }
  return out;
}

void check_args(ConstMatrixRef queries, ConstMatrixRef base, Index k) {
  if (queries.cols() != base.cols())
    throw std::invalid_argument("queries have " + std::to_string(queries.cols()) + " columns, base has " +
                                std::to_string(base.cols()));
  if (k < 1 || k > base.rows())
    throw std::invalid_argument("k=" + std::to_string(k) + " must be in [1, n_base=" + std::to_string(base.rows()) +
                                "]");
}

// L2 keys (2 q.b - |b|^2) chose and ranked the k kept rows; their reported distances are recomputed directly as
// |q - b|^2 in float64 (the expansion |q|^2 - key loses small distances to cancellation: identical rows of norm 1e3
// came out at ~0.1, not 0) and the k are re-sorted by them, ties to the lower index.
void exact_l2(ConstMatrixRef queries, Index q, ConstMatrixRef base, float* key, std::int64_t* id, Index k) {
  std::vector<std::pair<double, std::int64_t>> kept(static_cast<std::size_t>(k));
  const Eigen::RowVectorXd query = queries.row(q).cast<double>();
  for (Index j = 0; j < k; ++j) kept[j] = {(query - base.row(id[j]).cast<double>()).squaredNorm(), id[j]};
  std::sort(kept.begin(), kept.end());
  for (Index j = 0; j < k; ++j) {
    const double d = kept[j].first;  // beyond float32 only if the caller skipped the rescaling: report infinity
    key[j] = d > kFloatMax ? std::numeric_limits<float>::infinity() : static_cast<float>(d);
    id[j] = kept[j].second;
  }
}

void check_factors(ConstMatrixRef base, Metric metric, Index n_factors) {
  const Index expected = metric == Metric::InnerProduct ? 0 : base.rows();
  if (n_factors != expected)
    throw std::invalid_argument("base factors have " + std::to_string(n_factors) + " entries, expected " +
                                std::to_string(expected));
}

// Runs the search; `emit(q0, rows, keys, ids)` receives each finished query block (keys best first, k per row),
// called from worker threads, one block at a time per thread. `given_factors`: the base's row factors when the
// caller prepared them (base_factors), else null and they are computed here.
template <class Emit>
void search(ConstMatrixRef queries, ConstMatrixRef base, Index k, Metric metric, int n_threads,
            const InterruptCheck& check, const float* given_factors, Emit&& emit) {
  check_args(queries, base, k);
  const Index m = queries.rows(), n = base.rows();
  const Index query_block =
      std::clamp<Index>(static_cast<Index>(kHeapBytesPerThread / (k * (sizeof(float) + sizeof(std::int64_t)))), 1,
                        kQueryBlock);
  const Index n_blocks = (m + query_block - 1) / query_block;
  const int threads = static_cast<int>(std::min<Index>(effective_threads(n_threads), std::max<Index>(n_blocks, 1)));
  std::vector<float> computed;
  if (given_factors == nullptr) computed = row_factors(base, metric, threads);
  const float* base_factor = given_factors ? given_factors : computed.data();

  ParallelErrors errors;
  Interrupter interrupter(check);
#pragma omp parallel num_threads(threads)
  {
    RowMatrixXf tile;
    std::vector<float> keys;
    std::vector<std::int64_t> ids;
    std::vector<float> query_factor;
#pragma omp for schedule(dynamic, 1)
    for (Index blk = 0; blk < n_blocks; ++blk) {
      errors.run([&] {
        const Index q0 = blk * query_block, rows = std::min(query_block, m - q0);
        if (tile.size() == 0) {
          tile.resize(query_block, std::min(kBaseTile, n));
          keys.resize(static_cast<std::size_t>(query_block * k));
          ids.resize(keys.size());
        }
        query_factor = row_factors(queries.middleRows(q0, rows), metric, 1);
        std::vector<TopK> heaps;
        heaps.reserve(static_cast<std::size_t>(rows));
        for (Index i = 0; i < rows; ++i) heaps.emplace_back(&keys[i * k], &ids[i * k], k);

        for (Index b0 = 0; b0 < n; b0 += kBaseTile) {
          if (interrupter.poll()) return;
          const Index cols = std::min(kBaseTile, n - b0);
          auto scores = tile.topLeftCorner(rows, cols);
          scores.noalias() = queries.middleRows(q0, rows) * base.middleRows(b0, cols).transpose();
          for (Index i = 0; i < rows; ++i) {
            float* s = &scores(i, 0);
            // Turn inner products into keys (higher is better); L2 keys omit the query's own norm (constant per row).
            if (metric == Metric::Cosine) {
              const float qf = query_factor[i];
              // |s| <= |q| |b|, so with the factor clamped to float32 the score stays within [-1, 1] (+ rounding).
              for (Index j = 0; j < cols; ++j) s[j] *= std::min(qf * base_factor[b0 + j], kMaxFactor);
            } else if (metric == Metric::L2) {
              for (Index j = 0; j < cols; ++j) s[j] = 2.0f * s[j] - base_factor[b0 + j];
            }
            TopK& heap = heaps[i];
            Index j = 0;
            for (; j < cols && !heap.full(); ++j) heap.push(s[j], b0 + j);
            // Ids arrive in increasing order, so an equal key never displaces the kept one.
            for (; j < cols; ++j)
              if (s[j] > heap.worst_key()) heap.push(s[j], b0 + j);
          }
        }
        for (Index i = 0; i < rows; ++i) {
          heaps[i].sort_best_first();
          if (metric == Metric::L2) exact_l2(queries, q0 + i, base, &keys[i * k], &ids[i * k], k);
        }
        emit(q0, rows, keys.data(), ids.data());
      });
    }
  }
  errors.rethrow();
  interrupter.throw_if_stopped();
}

}  // namespace

KnnResult knn(ConstMatrixRef queries, ConstMatrixRef base, Index k, Metric metric, int n_threads,
              const InterruptCheck& check) {
  KnnResult out;
  out.indices.resize(queries.rows(), k);
  out.scores.resize(queries.rows(), k);
  search(queries, base, k, metric, n_threads, check, nullptr,
         [&](Index q0, Index rows, const float* keys, const std::int64_t* ids) {
           std::copy(keys, keys + rows * k, out.scores.data() + q0 * k);
           std::copy(ids, ids + rows * k, out.indices.data() + q0 * k);
         });
  return out;
}

namespace {

RowMatrixXf mean_of_neighbours(ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values, Index k,
                               Metric metric, const float* factors, int n_threads,
                               const InterruptCheck& check) {
  if (values.rows() != base.rows())
    throw std::invalid_argument("values have " + std::to_string(values.rows()) + " rows, base has " +
                                std::to_string(base.rows()));
  RowMatrixXf out(queries.rows(), values.cols());
  search(queries, base, k, metric, n_threads, check, factors,
         [&](Index q0, Index rows, const float*, const std::int64_t* ids) {
           Eigen::RowVectorXd sum(values.cols());
           for (Index i = 0; i < rows; ++i) {
             sum.setZero();
             for (Index j = 0; j < k; ++j) sum += values.row(ids[i * k + j]).cast<double>();
             out.row(q0 + i) = (sum / static_cast<double>(k)).cast<float>();
           }
         });
  return out;
}

}  // namespace

RowMatrixXf knn_mean(ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values, Index k, Metric metric,
                     int n_threads, const InterruptCheck& check) {
  return mean_of_neighbours(queries, base, values, k, metric, nullptr, n_threads, check);
}

std::vector<float> base_factors(ConstMatrixRef base, Metric metric, int n_threads) {
  return row_factors(base, metric, effective_threads(n_threads));
}

RowMatrixXf knn_mean(ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values, Index k, Metric metric,
                     const float* factors, Index n_factors, int n_threads, const InterruptCheck& check) {
  check_factors(base, metric, n_factors);
  return mean_of_neighbours(queries, base, values, k, metric, factors, n_threads, check);
}

}  // namespace v2v
