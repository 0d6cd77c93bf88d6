// QAP heuristics. 2-opt: first-improvement pair swaps in scipy's scan order, each swap scored in O(n) from B
// permuted in place. FAQ: Frank-Wolfe on the doubly stochastic relaxation (Vogelstein et al. 2015), as scipy does
// it, projected by the exact linear assignment. Restarts run in parallel, each from its own seeded stream.
#include "vec2vec_fast/qap.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "vec2vec_fast/parallel.hpp"
#include "vec2vec_fast/random.hpp"

namespace v2v {
namespace {

VectorXi64 random_permutation(Index n, std::mt19937_64& rng) {
  VectorXi64 perm(n);
  for (Index i = 0; i < n; ++i) perm[i] = i;
  for (Index i = n - 1; i > 0; --i) {
    const Index j = std::min<Index>(static_cast<Index>(uniform01(rng) * (i + 1)), i);
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

// B permuted by the current assignment, Bp[a][b] = B[perm[a], perm[b]], kept with its transpose so that the
// O(n) swap delta reads rows only (contiguous, vectorised) for A's rows and columns alike.
struct PermutedPair {
  const RowMatrixXd& A;
  RowMatrixXd At, Bp, BpT;

  PermutedPair(const RowMatrixXd& a, const RowMatrixXd& B, const VectorXi64& perm)
      : A(a), At(a.transpose()), Bp(a.rows(), a.rows()) {
    for (Index r = 0; r < Bp.rows(); ++r)
      for (Index c = 0; c < Bp.cols(); ++c) Bp(r, c) = B(perm[r], perm[c]);
    BpT = Bp.transpose();
  }

  // Change of sum_ab A[a,b] Bp[a,b] when positions i and j exchange their B rows.
  double swap_delta(Index i, Index j) const {
    // Sums over every k of the row terms and the column terms, minus their k = i and k = j entries, plus the
    // four entries where both indices are in {i, j}.
    const double rows = (A.row(i) - A.row(j)).dot(Bp.row(j) - Bp.row(i));
    const double cols = (At.row(i) - At.row(j)).dot(BpT.row(j) - BpT.row(i));
    const double overlap = (A(i, i) - A(j, i)) * (Bp(j, i) - Bp(i, i)) + (A(i, j) - A(j, j)) * (Bp(j, j) - Bp(i, j)) +
                           (A(i, i) - A(i, j)) * (Bp(i, j) - Bp(i, i)) + (A(j, i) - A(j, j)) * (Bp(j, j) - Bp(j, i));
    const double both = (A(i, i) - A(j, j)) * (Bp(j, j) - Bp(i, i)) + (A(i, j) - A(j, i)) * (Bp(j, i) - Bp(i, j));
    return rows + cols - overlap + both;
  }

  void swap(Index i, Index j) {
    Bp.row(i).swap(Bp.row(j));
    Bp.col(i).swap(Bp.col(j));
    BpT.row(i).swap(BpT.row(j));
    BpT.col(i).swap(BpT.col(j));
  }

  double score() const { return (A.array() * Bp.array()).sum(); }
};

// Maximises the score (A already negated for minimisation) from `perm` until no pair swap improves it by more
// than `min_gain` (a rounding guard: without it, two swaps that undo each other could both look positive).
double two_opt(const RowMatrixXd& A, const RowMatrixXd& B, VectorXi64& perm, double min_gain,
               Interrupter& interrupter) {
  const Index n = A.rows();
  PermutedPair state(A, B, perm);
  bool improved = true;
  while (improved && !interrupter.poll()) {
    improved = false;
    for (Index i = 0; i < n && !improved; ++i) {
      for (Index j = i + 1; j < n; ++j) {
        if (state.swap_delta(i, j) > min_gain) {
          std::swap(perm[i], perm[j]);
          state.swap(i, j);
          improved = true;  // first improvement: rescan from the start, as scipy's 2-opt does
          break;
        }
      }
    }
  }
  return state.score();
}

RowMatrixXd sinkhorn(RowMatrixXd P, double tol = 1e-3, int max_iter = 1000) {
  for (int it = 0; it < max_iter; ++it) {
    const bool rows_ok = ((P.rowwise().sum().array() - 1.0).abs() < tol).all();
    const bool cols_ok = ((P.colwise().sum().array() - 1.0).abs() < tol).all();
    if (rows_ok && cols_ok) break;
    P.array().colwise() /= P.rowwise().sum().array();
    P.array().rowwise() /= P.colwise().sum().array();
  }
  return P;
}

RowMatrixXd permutation_matrix(const VectorXi64& perm) {
  RowMatrixXd P = RowMatrixXd::Zero(perm.size(), perm.size());
  for (Index i = 0; i < perm.size(); ++i) P(i, perm[i]) = 1.0;
  return P;
}

// Frank-Wolfe on max trace(A^T P B P^T) over doubly stochastic P, then the nearest permutation.
VectorXi64 faq(const RowMatrixXd& A, const RowMatrixXd& B, RowMatrixXd P, int max_iter, double tol,
               Interrupter& interrupter) {
  const Index n = A.rows();
  VectorXi64 cols;
  for (int it = 0; it < max_iter && !interrupter.poll(); ++it) {
    const RowMatrixXd grad = A * P * B.transpose() + A.transpose() * P * B;
    solve_square_assignment(grad, /*maximize=*/true, cols);
    const RowMatrixXd Q = permutation_matrix(cols);
    // Exact line search on f(Q + alpha (P - Q)) = f(Q) + b alpha + a alpha^2, alpha in [0, 1].
    const RowMatrixXd R = P - Q;
    const RowMatrixXd AR = A.transpose() * R, BR = B * R.transpose();
    const double a = (AR.transpose().array() * BR.array()).sum();
    RowMatrixXd BtQ(n, n), BRQ(n, n);
    for (Index i = 0; i < n; ++i) {
      BtQ.row(i) = B.transpose().row(cols[i]);
      BRQ.row(i) = BR.row(cols[i]);
    }
    const double b = (AR.array() * BtQ.array()).sum() + (A.array() * BRQ.array()).sum();
    double alpha;
    if (a < 0 && -b / (2 * a) >= 0 && -b / (2 * a) <= 1)
      alpha = -b / (2 * a);
    else
      alpha = (a + b) > 0 ? 1.0 : 0.0;  // stay at P if it beats Q, else jump to Q
    RowMatrixXd next = alpha * P + (1 - alpha) * Q;
    const double moved = (P - next).norm() / std::sqrt(static_cast<double>(n));
    P.swap(next);
    if (moved < tol) break;
  }
  solve_square_assignment(P, /*maximize=*/true, cols);
  return cols;
}

VectorXi64 permutation_of(ConstMatrixRefD P) {
  VectorXi64 perm(P.rows());
  for (Index i = 0; i < P.rows(); ++i) {
    Index j;
    P.row(i).maxCoeff(&j);
    perm[i] = j;
  }
  return perm;
}

}  // namespace

double qap_score(ConstMatrixRefD A, ConstMatrixRefD B, const VectorXi64& perm) {
  double s = 0;
  for (Index i = 0; i < A.rows(); ++i)
    for (Index j = 0; j < A.cols(); ++j) s += A(i, j) * B(perm[i], perm[j]);
  return s;
}

QapResult qap(ConstMatrixRefD A_in, ConstMatrixRefD B, const QapOptions& opt, ConstMatrixRefD start,
              const InterruptCheck& check) {
  const Index n = A_in.rows();
  if (A_in.cols() != n || B.rows() != n || B.cols() != n)
    throw std::invalid_argument("A and B must be square and of the same size, got A (" + std::to_string(A_in.rows()) +
                                ", " + std::to_string(A_in.cols()) + ") and B (" + std::to_string(B.rows()) + ", " +
                                std::to_string(B.cols()) + ")");
  if (n < 1) throw std::invalid_argument("A and B must be non-empty");
  if (opt.n_restarts < 1)
    throw std::invalid_argument("n_restarts=" + std::to_string(opt.n_restarts) + " must be >= 1");
  if (start.size() != 0 && (start.rows() != n || start.cols() != n))
    throw std::invalid_argument("start must be (n, n)");

  // Everything below maximises; minimisation maximises the score of -A.
  const RowMatrixXd A = opt.maximize ? RowMatrixXd(A_in) : RowMatrixXd(-A_in);
  const RowMatrixXd Bm(B);
  const double min_gain = 1e-12 * std::max(1e-300, A.norm() * Bm.norm());

  QapResult out;
  out.scores.assign(static_cast<std::size_t>(opt.n_restarts), 0.0);
  std::vector<VectorXi64> perms(static_cast<std::size_t>(opt.n_restarts));
  Interrupter interrupter(check);
  // Tiny instances (mini-vec2vec's c = 20: well under a millisecond in all) lose more to waking threads than they gain.
  const double work = static_cast<double>(opt.n_restarts) * n * n * n;
  const int threads = work < 2e6 ? 1 : static_cast<int>(std::min<Index>(effective_threads(opt.n_threads), opt.n_restarts));
  parallel_blocks(opt.n_restarts, threads, interrupter, [&](Index r, int) {
    std::mt19937_64 rng(derive_seed(opt.seed, static_cast<std::uint64_t>(r)));
    const bool given = r == 0 && start.size() != 0;
    VectorXi64 perm;
    if (opt.method == QapMethod::TwoOpt) {
      perm = given ? permutation_of(start) : random_permutation(n, rng);
    } else {
      RowMatrixXd P0;
      if (given) {
        P0 = start;
      } else if (r == 0 && opt.faq_barycenter) {
        P0 = RowMatrixXd::Constant(n, n, 1.0 / n);
      } else {  // scipy's "randomized": halfway between the barycenter and a random doubly stochastic matrix
        RowMatrixXd U(n, n);
        for (Index i = 0; i < n * n; ++i) U.data()[i] = uniform01(rng);
        P0 = 0.5 * (RowMatrixXd::Constant(n, n, 1.0 / n) + sinkhorn(U));
      }
      perm = faq(A, Bm, P0, opt.faq_max_iter, opt.faq_tol, interrupter);
    }
    double score = opt.method == QapMethod::Faq ? qap_score(A, Bm, perm) : two_opt(A, Bm, perm, min_gain, interrupter);
    out.scores[r] = opt.maximize ? score : -score;
    perms[r] = std::move(perm);
  });
  Index best = 0;
  for (Index r = 1; r < opt.n_restarts; ++r)
    if (opt.maximize ? out.scores[r] > out.scores[best] : out.scores[r] < out.scores[best]) best = r;
  out.best_restart = static_cast<int>(best);
  out.perm = perms[best];
  out.score = qap_score(A_in, B, out.perm);
  return out;
}

}  // namespace v2v
