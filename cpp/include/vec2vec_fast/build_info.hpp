// How this copy of the core was compiled: reported by vec2vec_fast.build_info().
#pragma once

#include <string>

namespace v2v {

struct BuildInfo {
  bool openmp;
  int max_threads;
  std::string eigen_version;
  std::string simd;  ///< instruction sets Eigen vectorises with
  std::string compiler;
  std::string flags;
  std::string build_type;
};

BuildInfo build_info();

}  // namespace v2v
