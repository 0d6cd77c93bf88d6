// The float64 SVD of polar_factor (see polar_svd.hpp).
#include <Eigen/SVD>

#include "polar_svd.hpp"

namespace v2v::detail {

RowMatrixXd polar_factor_double(const RowMatrixXd& M) {
  Eigen::BDCSVD<Eigen::MatrixXd> svd(M, Eigen::ComputeThinU | Eigen::ComputeThinV);
  return svd.matrixU() * svd.matrixV().transpose();
}

}  // namespace v2v::detail
