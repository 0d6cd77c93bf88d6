// The private extension module vec2vec_fast._core: one bind_* call per kernel family.
#include <pybind11/pybind11.h>

#include "bind_common.hpp"

#define V2V_STRINGIFY(x) #x
#define V2V_MACRO_STRINGIFY(x) V2V_STRINGIFY(x)

PYBIND11_MODULE(_core, m, pybind11::mod_gil_not_used()) {
  m.doc() = "vec2vec_fast C++ kernels (private: use the vec2vec_fast package)";
  v2v::bind::bind_common(m);
  v2v::bind::bind_kmeans(m);
  v2v::bind::bind_knn(m);
  v2v::bind::bind_assignment(m);
  v2v::bind::bind_procrustes(m);
#ifdef VERSION_INFO
  m.attr("__version__") = V2V_MACRO_STRINGIFY(VERSION_INFO);
#else
  m.attr("__version__") = "dev";
#endif
}
