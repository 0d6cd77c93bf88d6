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

  m.def(
      "base_factors",
      [](ConstMatrixRef base, const std::string& metric, int n_threads) {
        std::vector<float> f = base_factors(base, parse_metric(metric), n_threads);
        return Eigen::VectorXf(Eigen::Map<Eigen::VectorXf>(f.data(), static_cast<Index>(f.size())));
      },
      "base"_a.noconvert(), "metric"_a, "n_threads"_a, py::call_guard<py::gil_scoped_release>(),
      "The per-row factors a search computes for base (float32 (n,); empty for 'ip'), to search it many times.");

  m.def(
      "knn_mean_prepared",
      [](ConstMatrixRef queries, ConstMatrixRef base, ConstMatrixRef values,
         const Eigen::Ref<const Eigen::VectorXf>& factors, Index k, const std::string& metric, int n_threads) {
        return knn_mean(queries, base, values, k, parse_metric(metric), factors.data(), factors.size(), n_threads,
                        python_interrupt_check());
      },
      "queries"_a.noconvert(), "base"_a.noconvert(), "values"_a.noconvert(), "factors"_a.noconvert(), "k"_a,
      "metric"_a, "n_threads"_a, py::call_guard<py::gil_scoped_release>(),
      "knn_mean with the base's factors from base_factors (the same bits, without recomputing them).");
}

}  // namespace v2v::bind
