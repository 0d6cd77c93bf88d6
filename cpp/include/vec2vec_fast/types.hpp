// Shared matrix types and small utilities of the vec2vec_fast C++ core (no Python here).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <stdexcept>

namespace v2v {

/// Row-major float32 matrix: the layout numpy hands us without a copy.
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXi64 = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorXi64 = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;
using ConstMatrixRef = Eigen::Ref<const RowMatrixXf>;
using Index = Eigen::Index;

/// Called by the calling thread between long steps; returns true when the caller asked to stop (e.g. Ctrl-C).
using InterruptCheck = std::function<bool()>;

/// Thrown when an InterruptCheck returned true. The binding turns it into KeyboardInterrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

inline void check_interrupt(const InterruptCheck& check) {
  if (check && check()) throw Interrupted();
}

}  // namespace v2v
