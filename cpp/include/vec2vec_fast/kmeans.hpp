// Lloyd k-means (Euclidean or spherical/cosine) with k-means++ or random seeding, deterministic for any thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "vec2vec_fast/types.hpp"

namespace v2v {

enum class KMeansInit { KMeansPlusPlus, Random, Given };

struct KMeansOptions {
  Index n_clusters = 8;
  KMeansInit init = KMeansInit::KMeansPlusPlus;
  int n_init = 1;            ///< independent seedings; the lowest final inertia wins
  int max_iter = 300;        ///< maximum number of centroid updates
  double tol = 1e-4;         ///< stop when the squared centroid shift <= tol * mean per-feature variance of x
  bool spherical = false;    ///< cosine k-means: unit-norm centroids, rows weighted as x / |x|
  std::uint64_t seed = 0;
  int n_threads = 0;         ///< <= 0: all available
  /// Small-k runs keep per-row-block partial sums (n_blocks * k * d floats) so each iteration reads x once;
  /// above this size the update gathers each cluster's rows instead.
  double block_sums_limit_bytes = 64.0 * (1 << 20);
};

struct KMeansResult {
  RowMatrixXf centroids;               ///< (n_clusters, d)
  VectorXi64 labels;                   ///< (n,) index of each row's centroid
  double inertia = 0;                  ///< sum of squared distances (spherical: sum of 1 - cosine)
  int n_iter = 0;                      ///< centroid updates run by the winning seeding
  std::vector<double> inertia_history; ///< inertia after 0, 1, ..., n_iter updates of the winning seeding
  int best_init = 0;                   ///< which of the n_init seedings won
};

/// x: (n, d) row-major float32. `init_centroids` (n_clusters, d) is required when opt.init == Given.
KMeansResult kmeans(ConstMatrixRef x, const KMeansOptions& opt, const RowMatrixXf* init_centroids = nullptr,
                    const InterruptCheck& check = {});

}  // namespace v2v
