// Approximate quadratic assignment: max (or min) of sum_ij A[i,j] * B[perm[i], perm[j]] over permutations.
#pragma once

#include <cstdint>
#include <vector>

#include "vec2vec_fast/lap.hpp"
#include "vec2vec_fast/types.hpp"

namespace v2v {

enum class QapMethod { TwoOpt, Faq, FaqTwoOpt };

struct QapOptions {
  QapMethod method = QapMethod::TwoOpt;
  int n_restarts = 30;
  bool maximize = true;
  std::uint64_t seed = 0;
  int n_threads = 0;
  int faq_max_iter = 30;       ///< Frank-Wolfe iterations (scipy's default)
  double faq_tol = 0.03;       ///< stop when |P_new - P|_F / sqrt(n) < tol (scipy's default)
  bool faq_barycenter = false; ///< restart 0 starts at the barycenter J/n instead of a random doubly stochastic P
};

struct QapResult {
  VectorXi64 perm;            ///< (n,) B's row matched to each row of A
  double score = 0;           ///< sum_ij A[i,j] B[perm[i], perm[j]]
  std::vector<double> scores; ///< the score of every restart, in restart order
  int best_restart = 0;       ///< the lowest restart index reaching the best score
};

/// A, B: (n, n) float64. `start` (n, n), if non-empty, replaces restart 0's start: a permutation matrix for 2-opt
/// (row i has its 1 at perm[i]) or a doubly stochastic matrix for FAQ. Restart r draws from its own stream of
/// `seed`, so the result does not depend on the thread count.
QapResult qap(ConstMatrixRefD A, ConstMatrixRefD B, const QapOptions& opt, ConstMatrixRefD start,
              const InterruptCheck& check = {});

/// sum_ij A[i,j] B[perm[i], perm[j]]
double qap_score(ConstMatrixRefD A, ConstMatrixRefD B, const VectorXi64& perm);

}  // namespace v2v
