// Bindings of k-means.
#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "bind_common.hpp"
#include "vec2vec_fast/kmeans.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace v2v::bind {

namespace {
KMeansInit parse_init(const std::string& name) {
  if (name == "k-means++") return KMeansInit::KMeansPlusPlus;
  if (name == "random") return KMeansInit::Random;
  if (name == "array") return KMeansInit::Given;
  throw std::invalid_argument("init must be 'k-means++', 'random' or an array, got '" + name + "'");
}
}  // namespace

void bind_kmeans(py::module_& m) {
  m.def(
      "kmeans",
      [](ConstMatrixRef x, Index n_clusters, const std::string& init, ConstMatrixRef init_centroids, int n_init,
         int max_iter, double tol, bool spherical, std::uint64_t seed, int n_threads, double block_sums_limit_bytes) {
        KMeansOptions opt;
        opt.n_clusters = n_clusters;
        opt.init = parse_init(init);
        opt.n_init = n_init;
        opt.max_iter = max_iter;
        opt.tol = tol;
        opt.spherical = spherical;
        opt.seed = seed;
        opt.n_threads = n_threads;
        opt.block_sums_limit_bytes = block_sums_limit_bytes;
        const RowMatrixXf given = opt.init == KMeansInit::Given ? RowMatrixXf(init_centroids) : RowMatrixXf();
        KMeansResult r = kmeans(x, opt, opt.init == KMeansInit::Given ? &given : nullptr, python_interrupt_check());
        return std::make_tuple(std::move(r.centroids), std::move(r.labels), r.inertia, r.n_iter,
                               std::move(r.inertia_history), r.best_init);
      },
      "x"_a.noconvert(), "n_clusters"_a, "init"_a, "init_centroids"_a.noconvert(), "n_init"_a, "max_iter"_a,
      "tol"_a, "spherical"_a, "seed"_a, "n_threads"_a, "block_sums_limit_bytes"_a, py::call_guard<py::gil_scoped_release>(),
      "Lloyd k-means: (centroids, labels, inertia, n_iter, inertia_history, best_init).");
}

}  // namespace v2v::bind
