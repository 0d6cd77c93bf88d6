// OpenMP helpers: thread counts and carrying exceptions out of parallel regions.
#pragma once

#include <atomic>
#include <exception>
#include <mutex>

#ifdef V2V_HAS_OPENMP
#include <omp.h>
#endif

namespace v2v {

inline int max_threads() {
#ifdef V2V_HAS_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// n_threads <= 0 means "all"; without OpenMP everything runs on one thread.
inline int effective_threads(int n_threads) {
#ifdef V2V_HAS_OPENMP
  return n_threads > 0 ? n_threads : omp_get_max_threads();
#else
  (void)n_threads;
  return 1;
#endif
}

/// Keeps the first exception thrown inside an OpenMP region so it can be rethrown after it:
/// an exception must never cross the region's boundary.
class ParallelErrors {
 public:
  template <class F>
  void run(F&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      body();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!first_) first_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace v2v

#include <chrono>

#include "vec2vec_fast/types.hpp"

namespace v2v {

inline int thread_num() {
#ifdef V2V_HAS_OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/// Lets long parallel loops stop early on Ctrl-C. Any thread may poll; only thread 0 of a region (the caller's
/// own thread, the only one allowed to talk to Python) runs the check, and at most every 20 ms.
class Interrupter {
 public:
  explicit Interrupter(const InterruptCheck& check) : check_(check) {}

  bool poll() {
    if (stopped_.load(std::memory_order_relaxed)) return true;
    if (!check_ || thread_num() != 0) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(20)) return false;
    last_ = now;
    if (check_()) stopped_.store(true, std::memory_order_relaxed);
    return stopped_.load(std::memory_order_relaxed);
  }

  /// Call outside parallel regions: throws Interrupted if a stop was requested.
  void throw_if_stopped() const {
    if (stopped_.load(std::memory_order_relaxed)) throw Interrupted();
  }

 private:
  const InterruptCheck& check_;
  std::atomic<bool> stopped_{false};
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace v2v

namespace v2v {

/// Runs body(block, thread) for block in [0, n_blocks) on `threads` threads, then rethrows the first error and
/// stops with Interrupted if Ctrl-C arrived. Callers keep per-thread scratch indexed by `thread`.
template <class Body>
void parallel_blocks(Index n_blocks, int threads, Interrupter& interrupter, Body&& body) {
  ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index block = 0; block < n_blocks; ++block) {
    errors.run([&] {
      if (!interrupter.poll()) body(block, thread_num());
    });
  }
  errors.rethrow();
  interrupter.throw_if_stopped();
}

}  // namespace v2v
