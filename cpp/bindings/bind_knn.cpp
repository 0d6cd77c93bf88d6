// Bindings of the exact top-k search kernels.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bind_common.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace v2v::bind {

void bind_knn(py::module_& m) {
  m.def(
      "knn",
      [](ConstMatrixRef queries, ConstMatrixRef base, Index k, const std::string& metric, int n_threads) {
        KnnResult r = knn(queries, base, k, parse_metric(metric), n_threads, python_interrupt_check());
        return std::make_pair(std::move(r.indices), std::move(r.scores));
      },
      "queries"_a.noconvert(), "base"_a.noconvert(), "k"_a, "metric"_a, "n_threads"_a,
      py::call_guard<py::gil_scoped_release>(), "Exact top-k: (indices int64 (m, k), scores float32 (m, k)).");

  m.def(
      "knn_mean",
      [](ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values, Index k, const std::string& metric,
         int n_threads) {
        return knn_mean(queries, base, values, k, parse_metric(metric), n_threads, python_interrupt_check());
      },
      "queries"_a.noconvert(), "base"_a.noconvert(), "values"_a.noconvert(), "k"_a, "metric"_a, "n_threads"_a,
      py::call_guard<py::gil_scoped_release>(), "Mean of values rows at each query's k nearest base rows.");
}

}  // namespace v2v::bind
