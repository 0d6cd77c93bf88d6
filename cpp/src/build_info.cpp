// Compile-time facts about the core, filled in by CMake definitions and Eigen's macros.
#include "vec2vec_fast/build_info.hpp"

#include <Eigen/Core>

#include "vec2vec_fast/parallel.hpp"

#ifndef V2V_COMPILE_FLAGS
#define V2V_COMPILE_FLAGS "unknown"
#endif
#ifndef V2V_BUILD_TYPE
#define V2V_BUILD_TYPE "unknown"
#endif

namespace v2v {

BuildInfo build_info() {
  BuildInfo info;
#ifdef V2V_HAS_OPENMP
  info.openmp = true;
#else
  info.openmp = false;
#endif
  info.max_threads = max_threads();
  info.eigen_version = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                       std::to_string(EIGEN_MINOR_VERSION);
  info.simd = Eigen::SimdInstructionSetsInUse();
#if defined(__clang__)
  info.compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  info.compiler = std::string("gcc ") + __VERSION__;
#else
  info.compiler = "unknown";
#endif
  info.flags = V2V_COMPILE_FLAGS;
  info.build_type = V2V_BUILD_TYPE;
  return info;
}

}  // namespace v2v
