// Orthogonal Procrustes, also between spaces of different dimension (semi-orthogonal maps), and the polar factor.
#pragma once

#include "vec2vec_fast/lap.hpp"  // RowMatrixXd
#include "vec2vec_fast/types.hpp"

namespace v2v {

/// M = X^T diag(w) Y, (d_x, d_y), accumulated in float64. X: (n, d_x), Y: (n, d_y), weights: (n,) or empty.
RowMatrixXd cross_covariance(ConstMatrixRef X, ConstMatrixRef Y, const Eigen::Ref<const Eigen::VectorXf>& weights,
                             int n_threads, const InterruptCheck& check = {});

/// The semi-orthogonal matrix nearest to M (d1, d2) in Frobenius norm: U V^T from the thin SVD M = U S V^T.
/// Orthonormal columns when d1 >= d2, orthonormal rows when d1 < d2. The SVD runs in float32 when `single` is set
/// (twice as fast at d = 768, accurate to float32 rounding times the condition number of M).
RowMatrixXd polar_factor(const RowMatrixXd& M, bool single);

/// W (d_x, d_y) maximising trace(W^T X^T diag(w) Y) over semi-orthogonal W: the polar factor of the cross-covariance,
/// with its SVD in float32. This minimises sum_i w_i |x_i W - y_i|^2 exactly when d_x <= d_y (W W^T = I).
RowMatrixXf procrustes(ConstMatrixRef X, ConstMatrixRef Y, const Eigen::Ref<const Eigen::VectorXf>& weights,
                       int n_threads, const InterruptCheck& check = {});

}  // namespace v2v
