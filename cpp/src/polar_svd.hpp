// The two SVD instantiations behind polar_factor, each in a source file of its own (private to cpp/src).
#pragma once

#include "vec2vec_fast/lap.hpp"  // RowMatrixXd
#include "vec2vec_fast/types.hpp"

namespace v2v::detail {

/// U V^T from the thin float32 SVD of M (already scaled to unit max-norm).
RowMatrixXd polar_factor_float(const Eigen::MatrixXf& M);

/// U V^T from the thin float64 SVD of M.
RowMatrixXd polar_factor_double(const RowMatrixXd& M);

}  // namespace v2v::detail
