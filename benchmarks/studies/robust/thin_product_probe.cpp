// The k-means++ seeding's cost, outside the library (study README, nineteenth round). The seeding adds one centroid
// at a time; each step measures every row's distance to 2 + log(k) candidate rows, a product of the rows (n x d) by
// the candidates (d x 4 at k = 20), row block by row block as cpp/src/kmeans.cpp does. This probe times those products
// against the rest of a seeding step, times a transposed streaming kernel against Eigen's, and checks whether a plain
// FMA chain (with the depth cut in panels of kc) gives Eigen's bits.
//
// Build and run (repository root; the rows as raw float32, centred and unit, as the anchor stage sees them):
//   python -c "import numpy as np; a=np.load('../shared/data/minilm_e5small_wiki/A.npy')[:8000].astype('f4'); \
//     a-=a.mean(0); a/=np.linalg.norm(a,axis=1,keepdims=True); a.tofile('/tmp/rows.f32')"
//   g++ -O3 -march=native -fopenmp-simd -DNDEBUG -I$EIGEN_INCLUDE benchmarks/studies/robust/thin_product_probe.cpp \
//     -o /tmp/thin_probe && /tmp/thin_probe /tmp/rows.f32 8000 384
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <vector>

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Index = Eigen::Index;
constexpr Index kRowBlock = 512;  // as cpp/src/kmeans.cpp

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void eigen_products(const RowMatrix& x, const RowMatrix& cand, RowMatrix& out) {
  out.resize(x.rows(), cand.rows());
  for (Index r0 = 0; r0 < x.rows(); r0 += kRowBlock) {
    const Index rows = std::min(kRowBlock, x.rows() - r0);
    out.middleRows(r0, rows).noalias() = x.middleRows(r0, rows) * cand.transpose();
  }
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ROWS.f32 N D\n", argv[0]);
    return 2;
  }
  const Index n = std::atol(argv[2]), d = std::atol(argv[3]), k = 20;
  RowMatrix x(n, d);
  std::ifstream in(argv[1], std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(x.data()), n * d * sizeof(float))) {
    std::fprintf(stderr, "cannot read %td x %td float32 from %s\n", n, d, argv[1]);
    return 2;
  }
  std::vector<float> sqnorm(n);
  for (Index i = 0; i < n; ++i) sqnorm[i] = x.row(i).squaredNorm();
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  std::printf("rows %td x %td, Eigen's caches: L1 %td, L2 %td bytes\n", n, d, Eigen::l1CacheSize(), Eigen::l2CacheSize());

  // 1. A greedy k-means++ seeding (the library's loop, one thread): products against the rest.
  double products = 0, rest = 0;
  const int seedings = 20;
  std::mt19937_64 rng(0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int s = 0; s < seedings; ++s) {
    std::vector<float> closest(n, std::numeric_limits<float>::infinity());
    std::vector<Index> cands{static_cast<Index>(uniform(rng) * n)};
    RowMatrix cand, dist;
    for (Index c = 0; c < k; ++c) {
      cand.resize(static_cast<Index>(cands.size()), d);
      for (Index j = 0; j < cand.rows(); ++j) cand.row(j) = x.row(cands[j]);
      auto t = std::chrono::steady_clock::now();
      eigen_products(x, cand, dist);
      products += seconds_since(t);
      t = std::chrono::steady_clock::now();
      std::vector<double> potential(cand.rows(), 0.0);
      for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < cand.rows(); ++j) {
          dist(i, j) = std::max(0.0f, sqnorm[i] + sqnorm[cands[j]] - 2.0f * dist(i, j));
          potential[j] += std::min(closest[i], dist(i, j));
        }
      const Index best = std::min_element(potential.begin(), potential.end()) - potential.begin();
      double total = 0;
      for (Index i = 0; i < n; ++i) total += closest[i] = std::min(closest[i], dist(i, best));
      cands.assign(trials, 0);
      for (auto& cd : cands) {  // D^2 sampling
        double target = uniform(rng) * total, acc = 0;
        for (cd = 0; cd < n - 1 && (acc += closest[cd]) < target; ++cd) {
        }
      }
      rest += seconds_since(t);
    }
  }
  std::printf("seeding: %.2f ms, of which the products %.2f ms (%.0f%%)\n", (products + rest) / seedings * 1e3,
              products / seedings * 1e3, 100 * products / (products + rest));

  // 2. One step's product: Eigen against streaming a transposed copy of the rows (read once per step, no packing).
  RowMatrix cand(trials, d), eigen_out, streamed(trials, n);
  for (int j = 0; j < trials; ++j) cand.row(j) = x.row((17 + 1000 * j) % n);
  const RowMatrix xt = x.transpose();
  double eigen_best = 1e9, stream_best = 1e9;
  for (int rep = 0; rep < 50; ++rep) {
    auto t = std::chrono::steady_clock::now();
    eigen_products(x, cand, eigen_out);
    eigen_best = std::min(eigen_best, seconds_since(t));
    t = std::chrono::steady_clock::now();
    for (Index r0 = 0; r0 < n; r0 += kRowBlock) {
      const Index rows = std::min(kRowBlock, n - r0);
      for (int j = 0; j < trials; ++j) std::fill(&streamed(j, r0), &streamed(j, r0) + rows, 0.0f);
      for (Index c = 0; c < d; ++c)
        for (int j = 0; j < trials; ++j) {
          const float w = cand(j, c);
          const float* col = &xt(c, r0);
          float* o = &streamed(j, r0);
#pragma omp simd
          for (Index i = 0; i < rows; ++i) o[i] += w * col[i];
        }
    }
    stream_best = std::min(stream_best, seconds_since(t));
  }
  std::printf("one step's product (%td x %td by %td x %d), best of 50: Eigen %.3f ms (%.1f GB/s of rows), transposed "
              "streaming %.3f ms\n", n, d, d, trials, eigen_best * 1e3, n * d * 4 / eigen_best / 1e9, stream_best * 1e3);

  // 3. Eigen's bits from a plain FMA chain over panels of kc: how many of the products agree exactly.
  for (int kc : {static_cast<int>(d), 288, 256, 200, 192, 128}) {
    long equal = 0;
    for (Index i = 0; i < n; ++i)
      for (int j = 0; j < trials; ++j) {
        float value = 0;
        for (Index c0 = 0; c0 < d; c0 += kc) {
          float acc = 0;
          for (Index c = c0; c < std::min<Index>(d, c0 + kc); ++c) acc = std::fma(x(i, c), cand(j, c), acc);
          value += acc;
        }
        equal += value == eigen_out(i, j);
      }
    std::printf("FMA chain, panels of %d: %ld of %td products equal to Eigen's\n", kc, equal, n * trials);
  }
  return 0;
}
