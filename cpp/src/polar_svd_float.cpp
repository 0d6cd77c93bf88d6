// The float32 SVD of polar_factor (see polar_svd.hpp).
#include <Eigen/SVD>

#include "polar_svd.hpp"

namespace v2v::detail {

RowMatrixXd polar_factor_float(const Eigen::MatrixXf& M) {
  Eigen::BDCSVD<Eigen::MatrixXf> svd(M, Eigen::ComputeThinU | Eigen::ComputeThinV);
  return (svd.matrixU() * svd.matrixV().transpose()).cast<double>();
}

}  // namespace v2v::detail
