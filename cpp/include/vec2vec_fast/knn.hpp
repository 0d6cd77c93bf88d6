// Exact top-k search by blocked matrix products: memory stays O(tile), never O(m * n).
#pragma once

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

}  // namespace v2v
