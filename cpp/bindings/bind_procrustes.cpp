// Bindings of Procrustes, the polar factor and applying a map row by row.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bind_common.hpp"
#include "vec2vec_fast/procrustes.hpp"
#include "vec2vec_fast/rowwise.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace v2v::bind {

void bind_procrustes(py::module_& m) {
  m.def(
      "procrustes",
      [](ConstMatrixRef X, ConstMatrixRef Y, const Eigen::Ref<const Eigen::VectorXf>& weights, int n_threads) {
        return procrustes(X, Y, weights, n_threads, python_interrupt_check());
      },
      "X"_a.noconvert(), "Y"_a.noconvert(), "weights"_a.noconvert(), "n_threads"_a,
      py::call_guard<py::gil_scoped_release>(), "Semi-orthogonal W (d_x, d_y) = polar factor of X^T diag(w) Y.");

  m.def(
      "cross_covariance",
      [](ConstMatrixRef X, ConstMatrixRef Y, const Eigen::Ref<const Eigen::VectorXf>& weights, int n_threads) {
        return cross_covariance(X, Y, weights, n_threads, python_interrupt_check());
      },
      "X"_a.noconvert(), "Y"_a.noconvert(), "weights"_a.noconvert(), "n_threads"_a,
      py::call_guard<py::gil_scoped_release>(), "X^T diag(w) Y in float64.");

  m.def(
      "polar_factor", [](const Eigen::Ref<const RowMatrixXd>& M, bool single) { return polar_factor(M, single); },
      "M"_a.noconvert(), "single"_a, py::call_guard<py::gil_scoped_release>(),
      "Nearest semi-orthogonal matrix U V^T (float64 result; SVD in float32 when single).");

  m.def(
      "matmul_rows",
      [](ConstMatrixRef X, ConstMatrixRef W, int n_threads) {
        return matmul_rows(X, W, n_threads, python_interrupt_check());
      },
      "X"_a.noconvert(), "W"_a.noconvert(), "n_threads"_a, py::call_guard<py::gil_scoped_release>(),
      "X W, each row summed in a fixed order: the same bits for any batch, chunking or thread count.");
}

}  // namespace v2v::bind
