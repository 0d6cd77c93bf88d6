// Bindings shared by every kernel: interrupt translation, the finite check and build_info().
#include "bind_common.hpp"

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "vec2vec_fast/build_info.hpp"
#include "vec2vec_fast/finite.hpp"
#include "vec2vec_fast/parallel.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace v2v::bind {

InterruptCheck python_interrupt_check() {
  return [] {
    py::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;  // leaves KeyboardInterrupt set for the translator below
  };
}

Metric parse_metric(const std::string& name) {
  if (name == "ip") return Metric::InnerProduct;
  if (name == "cosine") return Metric::Cosine;
  if (name == "l2") return Metric::L2;
  throw std::invalid_argument("metric must be 'ip', 'cosine' or 'l2', got '" + name + "'");
}

void bind_common(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Interrupted&) {
      if (!PyErr_Occurred()) PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });

  m.def(
      "scan_finite",
      [](ConstMatrixRef x, int n_threads) {
        const FiniteScan s = scan_finite(x, n_threads);
        return std::make_tuple(s.row, s.col, s.max_abs, s.min_row_max);
      },
      "x"_a.noconvert(), "n_threads"_a, py::call_guard<py::gil_scoped_release>(),
      "(row, column) of the first NaN or infinity in x, or (-1, -1); the largest |x|; the smallest non-zero row's "
      "largest |x|.");

  m.def("max_threads", &max_threads,
        "The OpenMP thread limit in force (omp_get_max_threads: OMP_NUM_THREADS, threadpoolctl's limit).");

  m.def("build_info", [] {
    const BuildInfo info = build_info();
    return py::dict("openmp"_a = info.openmp, "max_threads"_a = info.max_threads,
                    "eigen_version"_a = info.eigen_version, "simd"_a = info.simd, "compiler"_a = info.compiler,
                    "flags"_a = info.flags, "build_type"_a = info.build_type);
  });
}

}  // namespace v2v::bind
