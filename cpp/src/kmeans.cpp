// Lloyd k-means. Every parallel loop runs over fixed row blocks with per-block partial sums added in block order,
// and centroid sums run per cluster in row order, so results are bitwise identical for any thread count.
#include "vec2vec_fast/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "vec2vec_fast/parallel.hpp"
#include "vec2vec_fast/random.hpp"

namespace v2v {
namespace {

constexpr Index kRowBlock = 512;  // rows per product: fewer centroid repacks, while the tile still fits in L2
constexpr Index kCentroidTile = 1024;
constexpr Index kSumChunk = 64;       // rows summed in float before folding into the float64 centroid sum

Index n_row_blocks(Index n) { return (n + kRowBlock - 1) / kRowBlock; }

// The data with what every step needs about its rows.
struct Data {
  ConstMatrixRef x;
  bool spherical;
  std::vector<float> factor;  // squared norm (Euclidean) or inverse norm (spherical, 0 for a zero row)
  int threads;
};

// Spherical: an inverse norm beyond float32 (a row of norm < 2.9e-39) is clamped, so no product becomes NaN.
// Euclidean: a squared norm beyond float32 is an error (the Python wrapper rescales such data first).
Data make_data(ConstMatrixRef x, bool spherical, int threads) {
  constexpr double kFloatMax = std::numeric_limits<float>::max();
  Data data{x, spherical, std::vector<float>(static_cast<std::size_t>(x.rows())), threads};
  const Index n = x.rows();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index i = 0; i < n; ++i) {
    const double sq = x.row(i).cast<double>().squaredNorm();
    data.factor[i] = static_cast<float>(std::min(spherical ? (sq > 0 ? 1.0 / std::sqrt(sq) : 0.0) : sq, kFloatMax));
  }
  if (!spherical) {
    const auto top = std::max_element(data.factor.begin(), data.factor.end());
    if (*top >= kFloatMax)
      throw std::invalid_argument("row " + std::to_string(top - data.factor.begin()) +
                                  "'s squared norm exceeds float32's range: rescale the input");
  }
  return data;
}

void normalize_rows(RowMatrixXf& c) {
  for (Index j = 0; j < c.rows(); ++j) {
    const double norm = c.row(j).cast<double>().norm();
    if (norm > 0) c.row(j) /= static_cast<float>(norm);
  }
}

// Squared Euclidean distance, or cosine distance 1 - cos on the sphere, from an inner product.
inline float distance(const Data& data, Index i, float dot, float centroid_sqnorm) {
  if (data.spherical) return std::max(0.0f, 1.0f - dot * data.factor[i]);
  return std::max(0.0f, data.factor[i] + centroid_sqnorm - 2.0f * dot);
}

// Per-row-block partial centroid sums, filled during the assignment pass so small-k iterations read the data once.
struct BlockSums {
  RowMatrixXf sums;  // (n_blocks * k, d): block b's sums are rows [b * k, (b + 1) * k)
  static bool fits(Index n, Index k, Index d, double limit_bytes) {
    return static_cast<double>(n_row_blocks(n)) * k * d * sizeof(float) <= limit_bytes;
  }
};

// Assigns each row to its nearest centroid (ties to the lower index); returns the inertia. With `block_sums`,
// also adds each row (spherical: x / |x|) to its block's partial sum of its cluster.
double assign(const Data& data, const RowMatrixXf& centroids, VectorXi64& labels, std::vector<float>& min_dist,
              std::vector<RowMatrixXf>& scratch, Interrupter& interrupter, BlockSums* block_sums = nullptr) {
  const Index n = data.x.rows(), k = centroids.rows();
  const Eigen::VectorXf centroid_sqnorm = centroids.rowwise().squaredNorm();
  const Index n_blocks = n_row_blocks(n);
  std::vector<double> partial(static_cast<std::size_t>(n_blocks), 0.0);
  parallel_blocks(n_blocks, data.threads, interrupter, [&](Index block, int thread) {
    const Index r0 = block * kRowBlock, rows = std::min(kRowBlock, n - r0);
    RowMatrixXf& tile = scratch[thread];
    tile.resize(kRowBlock, std::min(kCentroidTile, k));
    std::vector<float> best_key(static_cast<std::size_t>(rows), -std::numeric_limits<float>::infinity());
    std::vector<std::int64_t> best_id(static_cast<std::size_t>(rows), 0);
    for (Index c0 = 0; c0 < k; c0 += kCentroidTile) {
      const Index cols = std::min(kCentroidTile, k - c0);
      auto dots = tile.topLeftCorner(rows, cols);
      dots.noalias() = data.x.middleRows(r0, rows) * centroids.middleRows(c0, cols).transpose();
      for (Index i = 0; i < rows; ++i) {
        // Key to maximise: the inner product on the sphere, 2 x.c - |c|^2 in Euclidean space. The vectorised max
        // finds the value, a short scan its first position (ties go to the lower index).
        Eigen::Map<Eigen::ArrayXf> keys(&dots(i, 0), cols);
        if (!data.spherical) keys = 2.0f * keys - centroid_sqnorm.segment(c0, cols).array();
        const float top = keys.maxCoeff();
        if (top > best_key[i]) {
          Index j = 0;
          while (keys[j] != top) ++j;
          best_key[i] = top;
          best_id[i] = c0 + j;
        }
      }
    }
    double sum = 0;
    for (Index i = 0; i < rows; ++i) {
      const Index c = best_id[i];
      labels[r0 + i] = c;
      // Recomputed directly (n * d work, 1/k of the products): the |x|^2 + |c|^2 - 2 x.c expansion loses the
      // small distances to cancellation.
      const auto row = data.x.row(r0 + i);
      min_dist[r0 + i] = data.spherical ? std::max(0.0f, 1.0f - row.dot(centroids.row(c)) * data.factor[r0 + i])
                                        : (row - centroids.row(c)).squaredNorm();
      sum += min_dist[r0 + i];
    }
    partial[block] = sum;
    if (block_sums) {
      auto sums = block_sums->sums.middleRows(block * k, k);
      sums.setZero();
      for (Index i = 0; i < rows; ++i) {
        if (data.spherical)
          sums.row(best_id[i]) += data.x.row(r0 + i) * data.factor[r0 + i];
        else
          sums.row(best_id[i]) += data.x.row(r0 + i);
      }
    }
  });
  double inertia = 0;
  for (double p : partial) inertia += p;
  return inertia;
}

// New centroids from labels (summing the block sums when given, else gathering each cluster's rows); empty clusters
// get the rows farthest from their centroids. Returns the squared shift.
double update(const Data& data, const VectorXi64& labels, const std::vector<float>& min_dist, RowMatrixXf& centroids,
              Interrupter& interrupter, const BlockSums* block_sums = nullptr) {
  const Index n = data.x.rows(), k = centroids.rows(), d = data.x.cols();
  // Counting sort of rows by label keeps each cluster's rows in index order: sums are reproducible.
  std::vector<Index> start(static_cast<std::size_t>(k + 1), 0);
  for (Index i = 0; i < n; ++i) ++start[labels[i] + 1];
  for (Index c = 0; c < k; ++c) start[c + 1] += start[c];
  std::vector<Index> order;
  if (!block_sums) {
    order.resize(static_cast<std::size_t>(n));
    std::vector<Index> fill(start.begin(), start.end() - 1);
    for (Index i = 0; i < n; ++i) order[fill[labels[i]]++] = i;
  }
  const Index n_blocks = n_row_blocks(n);
  std::vector<double> shift(static_cast<std::size_t>(k), 0.0);
  std::vector<char> empty(static_cast<std::size_t>(k), 0);
  parallel_blocks(k, data.threads, interrupter, [&](Index c, int) {
    if (start[c] == start[c + 1]) {
      empty[c] = 1;
      return;
    }
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(d);
    if (block_sums) {
      for (Index b = 0; b < n_blocks; ++b) sum += block_sums->sums.row(b * k + c).cast<double>();
    } else {
      // Rows are summed in float chunks (vectorised) folded into a float64 total: large clusters keep precision.
      Eigen::RowVectorXf chunk(d);
      for (Index p0 = start[c]; p0 < start[c + 1]; p0 += kSumChunk) {
        chunk.setZero();
        for (Index p = p0; p < std::min(p0 + kSumChunk, start[c + 1]); ++p) {
          const Index i = order[p];
          if (data.spherical)
            chunk += data.x.row(i) * data.factor[i];
          else
            chunk += data.x.row(i);
        }
        sum += chunk.cast<double>();
      }
    }
    if (data.spherical) {
      const double norm = sum.norm();
      if (norm > 0) sum /= norm;
    } else {
      sum /= static_cast<double>(start[c + 1] - start[c]);
    }
    const Eigen::RowVectorXf updated = sum.cast<float>();
    shift[c] = (updated - centroids.row(c)).cast<double>().squaredNorm();
    centroids.row(c) = updated;
  });

  std::vector<Index> empties;
  for (Index c = 0; c < k; ++c)
    if (empty[c]) empties.push_back(c);
  if (!empties.empty()) {
    std::vector<Index> far(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) far[i] = i;
    const Index take = std::min<Index>(static_cast<Index>(empties.size()), n);
    std::partial_sort(far.begin(), far.begin() + take, far.end(), [&](Index a, Index b) {
      return min_dist[a] > min_dist[b] || (min_dist[a] == min_dist[b] && a < b);
    });
    for (Index e = 0; e < take; ++e) {
      const Index c = empties[e];
      Eigen::RowVectorXf updated = data.x.row(far[e]);
      if (data.spherical) {  // normalised in float64: exact even for a row whose inverse norm exceeds float32
        const Eigen::RowVectorXd row = data.x.row(far[e]).cast<double>();
        const double norm = row.norm();
        if (norm > 0) updated = (row / norm).cast<float>();
      }
      shift[c] = (updated - centroids.row(c)).cast<double>().squaredNorm();
      centroids.row(c) = updated;
    }
  }
  double total = 0;
  for (double s : shift) total += s;
  return total;
}

// Distances from every row to each candidate row: out (n, n_candidates).
void distances_to_rows(const Data& data, const std::vector<Index>& candidates, RowMatrixXf& out,
                       Interrupter& interrupter) {
  const Index n = data.x.rows(), t = static_cast<Index>(candidates.size());
  RowMatrixXf cand(t, data.x.cols());
  Eigen::VectorXf cand_sqnorm(t);
  for (Index j = 0; j < t; ++j) {
    cand.row(j) = data.x.row(candidates[j]);
    if (data.spherical) cand.row(j) *= data.factor[candidates[j]];
    cand_sqnorm[j] = data.spherical ? 1.0f : data.factor[candidates[j]];
  }
  out.resize(n, t);
  parallel_blocks(n_row_blocks(n), data.threads, interrupter, [&](Index block, int) {
    const Index r0 = block * kRowBlock, rows = std::min(kRowBlock, n - r0);
    auto dots = out.middleRows(r0, rows);
    dots.noalias() = data.x.middleRows(r0, rows) * cand.transpose();
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < t; ++j) dots(i, j) = distance(data, r0 + i, dots(i, j), cand_sqnorm[j]);
  });
}

// Row drawn with probability proportional to weight, from per-block sums (searchsorted 'left' on the cumsum).
Index sample_row(const std::vector<float>& weight, const std::vector<double>& block_sum, double total,
                 std::mt19937_64& rng) {
  const Index n = static_cast<Index>(weight.size());
  if (!(total > 0)) return std::min<Index>(static_cast<Index>(uniform01(rng) * n), n - 1);
  double target = uniform01(rng) * total, acc = 0;
  for (std::size_t b = 0; b < block_sum.size(); ++b) {
    if (acc + block_sum[b] >= target) {
      const Index r0 = static_cast<Index>(b) * kRowBlock, r1 = std::min(r0 + kRowBlock, n);
      for (Index i = r0; i < r1; ++i) {
        acc += weight[i];
        if (acc >= target && weight[i] > 0) return i;
      }
      break;  // rounding: fall through to the last positive weight
    }
    acc += block_sum[b];
  }
  for (Index i = n - 1; i > 0; --i)
    if (weight[i] > 0) return i;
  return 0;
}

// Greedy k-means++ (as scikit-learn): each new centroid is the best of 2 + log(k) D^2-sampled candidates.
RowMatrixXf seed_kmeanspp(const Data& data, Index k, std::mt19937_64& rng, Interrupter& interrupter) {
  const Index n = data.x.rows();
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  const Index n_blocks = n_row_blocks(n);
  RowMatrixXf centroids(k, data.x.cols());
  std::vector<Index> chosen{std::min<Index>(static_cast<Index>(uniform01(rng) * n), n - 1)};
  RowMatrixXf dist;
  distances_to_rows(data, chosen, dist, interrupter);
  std::vector<float> closest(dist.data(), dist.data() + n);
  std::vector<double> block_sum(static_cast<std::size_t>(n_blocks));
  auto sum_blocks = [&] {
    for (Index b = 0; b < n_blocks; ++b) {
      double s = 0;
      for (Index i = b * kRowBlock; i < std::min(n, (b + 1) * kRowBlock); ++i) s += closest[i];
      block_sum[b] = s;
    }
  };
  sum_blocks();
  std::vector<Index> picks;
  for (Index c = 1; c < k; ++c) {
    double total = 0;
    for (double s : block_sum) total += s;
    std::vector<Index> candidates(static_cast<std::size_t>(trials));
    for (auto& cand : candidates) cand = sample_row(closest, block_sum, total, rng);
    distances_to_rows(data, candidates, dist, interrupter);
    // Potential of each candidate, from per-block partials added in block order.
    std::vector<double> partial(static_cast<std::size_t>(n_blocks * trials), 0.0);
    parallel_blocks(n_blocks, data.threads, interrupter, [&](Index b, int) {
      for (Index i = b * kRowBlock; i < std::min(n, (b + 1) * kRowBlock); ++i)
        for (int t = 0; t < trials; ++t) partial[b * trials + t] += std::min(closest[i], dist(i, t));
    });
    int best = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) {
      double pot = 0;
      for (Index b = 0; b < n_blocks; ++b) pot += partial[b * trials + t];
      if (pot < best_pot) {
        best_pot = pot;
        best = t;
      }
    }
    for (Index i = 0; i < n; ++i) closest[i] = std::min(closest[i], dist(i, best));
    sum_blocks();
    chosen.push_back(candidates[best]);
  }
  for (Index c = 0; c < k; ++c) centroids.row(c) = data.x.row(chosen[c]);
  return centroids;
}

RowMatrixXf seed_random(const Data& data, Index k, std::mt19937_64& rng) {
  const Index n = data.x.rows();
  std::vector<Index> perm(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) perm[i] = i;
  RowMatrixXf centroids(k, data.x.cols());
  for (Index c = 0; c < k; ++c) {  // partial Fisher-Yates: k distinct rows
    const Index j = c + std::min<Index>(static_cast<Index>(uniform01(rng) * (n - c)), n - c - 1);
    std::swap(perm[c], perm[j]);
    centroids.row(c) = data.x.row(perm[c]);
  }
  return centroids;
}

// Mean over features of the per-feature variance, the scale scikit-learn uses for tol.
double mean_variance(const Data& data, Interrupter& interrupter) {
  const Index n = data.x.rows(), d = data.x.cols(), n_blocks = n_row_blocks(n);
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(d, n_blocks), sqsums = Eigen::MatrixXd::Zero(d, n_blocks);
  parallel_blocks(n_blocks, data.threads, interrupter, [&](Index b, int) {
    for (Index i = b * kRowBlock; i < std::min(n, (b + 1) * kRowBlock); ++i) {
      const Eigen::VectorXd row = data.x.row(i).transpose().cast<double>();
      sums.col(b) += row;
      sqsums.col(b) += row.cwiseAbs2();
    }
  });
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(d), sqsum = Eigen::VectorXd::Zero(d);
  for (Index b = 0; b < n_blocks; ++b) {
    sum += sums.col(b);
    sqsum += sqsums.col(b);
  }
  const Eigen::VectorXd mean = sum / static_cast<double>(n);
  return ((sqsum / static_cast<double>(n) - mean.cwiseAbs2()).cwiseMax(0.0)).mean();
}

KMeansResult lloyd(const Data& data, RowMatrixXf centroids, int max_iter, double tol_abs, double block_sums_limit,
                   Interrupter& interrupter) {
  const Index n = data.x.rows();
  KMeansResult out;
  std::vector<RowMatrixXf> scratch(static_cast<std::size_t>(data.threads));
  std::vector<float> min_dist(static_cast<std::size_t>(n));
  VectorXi64 labels(n), previous;
  BlockSums block_sums;
  const bool fused = BlockSums::fits(n, centroids.rows(), data.x.cols(), block_sums_limit);
  if (fused) block_sums.sums.resize(n_row_blocks(n) * centroids.rows(), data.x.cols());
  BlockSums* sums = fused ? &block_sums : nullptr;
  bool labels_current = false;  // labels were computed from the current centroids
  for (int it = 0; it < max_iter; ++it) {
    out.inertia_history.push_back(assign(data, centroids, labels, min_dist, scratch, interrupter, sums));
    labels_current = true;
    if (it > 0 && labels == previous) break;  // strict convergence: the update would change nothing
    const double shift = update(data, labels, min_dist, centroids, interrupter, sums);
    labels_current = false;
    out.n_iter = it + 1;
    if (shift <= tol_abs) break;
    previous.swap(labels);
    labels.resize(n);
  }
  if (!labels_current) out.inertia_history.push_back(assign(data, centroids, labels, min_dist, scratch, interrupter));
  out.inertia = out.inertia_history.back();
  out.centroids = std::move(centroids);
  out.labels = std::move(labels);
  return out;
}

}  // namespace

KMeansResult kmeans(ConstMatrixRef x, const KMeansOptions& opt, const RowMatrixXf* init_centroids,
                    const InterruptCheck& check) {
  const Index n = x.rows(), k = opt.n_clusters;
  if (n < 1 || x.cols() < 1) throw std::invalid_argument("x must be non-empty, got shape (" + std::to_string(n) +
                                                         ", " + std::to_string(x.cols()) + ")");
  if (k < 1 || k > n)
    throw std::invalid_argument("n_clusters=" + std::to_string(k) + " must be in [1, n_samples=" + std::to_string(n) +
                                "]");
  if (opt.n_init < 1) throw std::invalid_argument("n_init=" + std::to_string(opt.n_init) + " must be >= 1");
  if (opt.max_iter < 1) throw std::invalid_argument("max_iter=" + std::to_string(opt.max_iter) + " must be >= 1");
  if (opt.init == KMeansInit::Given &&
      (!init_centroids || init_centroids->rows() != k || init_centroids->cols() != x.cols()))
    throw std::invalid_argument("init centroids must have shape (n_clusters, d)");

  Interrupter interrupter(check);
  const Data data = make_data(x, opt.spherical, effective_threads(opt.n_threads));
  const double tol_abs = opt.tol > 0 ? opt.tol * mean_variance(data, interrupter) : opt.tol;
  KMeansResult best;
  for (int run = 0; run < opt.n_init; ++run) {
    std::mt19937_64 rng(derive_seed(opt.seed, static_cast<std::uint64_t>(run)));
    RowMatrixXf centroids = opt.init == KMeansInit::Given     ? *init_centroids
                            : opt.init == KMeansInit::Random ? seed_random(data, k, rng)
                                                             : seed_kmeanspp(data, k, rng, interrupter);
    if (opt.spherical) normalize_rows(centroids);
    KMeansResult result =
        lloyd(data, std::move(centroids), opt.max_iter, tol_abs, opt.block_sums_limit_bytes, interrupter);
    result.best_init = run;
    if (run == 0 || result.inertia < best.inertia) best = std::move(result);
  }
  return best;
}

}  // namespace v2v
