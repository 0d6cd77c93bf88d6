// Seeded randomness shared by the kernels: per-stream seeds and uniform draws that do not depend on the platform.
#pragma once

#include <cstdint>
#include <random>

namespace v2v {

/// Seed of stream `stream` (a k-means seeding, a QAP restart) of a run with base seed `seed` (SplitMix64).
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Uniform in [0, 1) from the top 53 bits: the same sequence on every standard library, unlike std distributions.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace v2v
