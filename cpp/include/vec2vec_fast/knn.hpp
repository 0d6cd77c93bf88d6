// Exact top-k search by blocked matrix products: memory stays O(tile), never O(m * n).
#pragma once

#include <vector>

#include "vec2vec_fast/types.hpp"

namespace v2v {

enum class Metric { InnerProduct, Cosine, L2 };

struct KnnResult {
  RowMatrixXi64 indices;  ///< (m, k) row indices into base, best first, ties to the lower index
  RowMatrixXf scores;     ///< (m, k) inner product, cosine similarity, or squared L2 distance
};

/// queries: (m, d), base: (n, d), both row-major float32, 1 <= k <= n.
/// Cosine treats a zero row as having similarity 0 with everything.
KnnResult knn(ConstMatrixRef queries, ConstMatrixRef base, Index k, Metric metric, int n_threads,
              const InterruptCheck& check = {});

/// For each query, the mean of `values` rows at its k nearest base rows: values (n, dv) -> (m, dv).
/// Same search as knn(); the (m, k, dv) gather is never formed.
RowMatrixXf knn_mean(ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values, Index k, Metric metric,
                     int n_threads, const InterruptCheck& check = {});

/// The per-row factors every search computes for `base` (inverse norms for cosine, squared norms for L2, none for
/// inner product). A base searched many times (Refine-1's loop) computes them once and passes them to the overload
/// below: "add once, search many". The results are the same bits as without.
std::vector<float> base_factors(ConstMatrixRef base, Metric metric, int n_threads);

/// knn_mean with the base's n_factors factors precomputed by base_factors(base, metric, ...), read in place.
RowMatrixXf knn_mean(ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values, Index k, Metric metric,
                     const float* factors, Index n_factors, int n_threads, const InterruptCheck& check = {});

}  // namespace v2v
