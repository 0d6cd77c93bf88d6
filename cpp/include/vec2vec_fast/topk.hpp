// A fixed-capacity top-k selector over (key, index) pairs: higher key is better, ties go to the lower index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "vec2vec_fast/types.hpp"

namespace v2v {

inline bool better(float key_a, std::int64_t id_a, float key_b, std::int64_t id_b) {
  return key_a > key_b || (key_a == key_b && id_a < id_b);
}

/// Binary heap whose root is the worst kept candidate, over caller-owned storage of k slots.
class TopK {
 public:
  TopK(float* keys, std::int64_t* ids, Index k) : keys_(keys), ids_(ids), k_(k) {}

  bool full() const { return size_ == k_; }
  float worst_key() const { return keys_[0]; }

  /// Offers a candidate. Callers that scan ids in increasing order may skip any key <= worst_key() once full.
  void push(float key, std::int64_t id) {
    if (size_ < k_) {
      Index i = size_++;
      keys_[i] = key;
      ids_[i] = id;
      sift_up(i);
    } else if (better(key, id, keys_[0], ids_[0])) {
      keys_[0] = key;
      ids_[0] = id;
      sift_down(0);
    }
  }

  /// Orders the kept candidates best first (in place) and returns how many there are.
  Index sort_best_first() {
    std::vector<std::pair<float, std::int64_t>> items(static_cast<std::size_t>(size_));
    for (Index i = 0; i < size_; ++i) items[i] = {keys_[i], ids_[i]};
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return better(a.first, a.second, b.first, b.second); });
    for (Index i = 0; i < size_; ++i) {
      keys_[i] = items[i].first;
      ids_[i] = items[i].second;
    }
    return size_;
  }

 private:
  bool worse_at(Index a, Index b) const { return better(keys_[b], ids_[b], keys_[a], ids_[a]); }
  void swap_at(Index a, Index b) {
    std::swap(keys_[a], keys_[b]);
    std::swap(ids_[a], ids_[b]);
  }
  void sift_up(Index i) {
    while (i > 0) {
      Index parent = (i - 1) / 2;
      if (!worse_at(i, parent)) break;
      swap_at(i, parent);
      i = parent;
    }
  }
  void sift_down(Index i) {
    for (;;) {
      Index left = 2 * i + 1, worst = i;
      if (left < size_ && worse_at(left, worst)) worst = left;
      if (left + 1 < size_ && worse_at(left + 1, worst)) worst = left + 1;
      if (worst == i) return;
      swap_at(i, worst);
      i = worst;
    }
  }

  float* keys_;
  std::int64_t* ids_;
  Index k_;
  Index size_ = 0;
};

}  // namespace v2v
