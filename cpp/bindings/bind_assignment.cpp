// Bindings of linear and quadratic assignment.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bind_common.hpp"
#include "vec2vec_fast/lap.hpp"
#include "vec2vec_fast/qap.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace v2v::bind {

namespace {
QapMethod parse_method(const std::string& name) {
  if (name == "2opt") return QapMethod::TwoOpt;
  if (name == "faq") return QapMethod::Faq;
  if (name == "faq+2opt") return QapMethod::FaqTwoOpt;
  throw std::invalid_argument("method must be '2opt', 'faq' or 'faq+2opt', got '" + name + "'");
}
}  // namespace

void bind_assignment(py::module_& m) {
  m.def(
      "linear_sum_assignment",
      [](ConstMatrixRefD cost, bool maximize) {
        Assignment a = linear_sum_assignment(cost, maximize);
        return std::make_pair(std::move(a.rows), std::move(a.cols));
      },
      "cost"_a.noconvert(), "maximize"_a, py::call_guard<py::gil_scoped_release>(),
      "Exact linear assignment: (rows, cols) int64.");

  m.def(
      "qap",
      [](ConstMatrixRefD A, ConstMatrixRefD B, const std::string& method, int n_restarts, bool maximize,
         std::uint64_t seed, int n_threads, ConstMatrixRefD start, int faq_max_iter, double faq_tol,
         bool faq_barycenter) {
        QapOptions opt;
        opt.method = parse_method(method);
        opt.n_restarts = n_restarts;
        opt.maximize = maximize;
        opt.seed = seed;
        opt.n_threads = n_threads;
        opt.faq_max_iter = faq_max_iter;
        opt.faq_tol = faq_tol;
        opt.faq_barycenter = faq_barycenter;
        QapResult r = qap(A, B, opt, start, python_interrupt_check());
        return std::make_tuple(std::move(r.perm), r.score, std::move(r.scores), r.best_restart);
      },
      "A"_a.noconvert(), "B"_a.noconvert(), "method"_a, "n_restarts"_a, "maximize"_a, "seed"_a, "n_threads"_a,
      "start"_a.noconvert(), "faq_max_iter"_a, "faq_tol"_a, "faq_barycenter"_a,
      py::call_guard<py::gil_scoped_release>(), "Approximate QAP: (perm, score, scores, best_restart).");
}

}  // namespace v2v::bind
