// Linear assignment by successive shortest augmenting paths (Dijkstra on reduced costs, as in Jonker-Volgenant and
// Crouse 2016): O(n^2 m) for n <= m, exact, keeps row and column potentials so reduced costs stay non-negative.
#include "vec2vec_fast/lap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace v2v {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Minimises sum cost(i, col[i]) over injective maps rows -> cols; requires rows <= cols.
// `cost(i, j)` is read through the accessor so a transposed or negated view needs no copy.
template <class Cost>
std::vector<Index> shortest_augmenting_path(Index n_rows, Index n_cols, Cost cost) {
  std::vector<double> u(n_rows, 0.0), v(n_cols, 0.0), dist(n_cols);
  std::vector<Index> col_of_row(n_rows, -1), row_of_col(n_cols, -1), pred(n_cols), todo(n_cols);
  std::vector<char> row_done(n_rows), col_done(n_cols);

  for (Index start = 0; start < n_rows; ++start) {
    std::fill(dist.begin(), dist.end(), kInf);
    std::fill(row_done.begin(), row_done.end(), 0);
    std::fill(col_done.begin(), col_done.end(), 0);
    std::iota(todo.begin(), todo.end(), Index(0));
    Index n_todo = n_cols, row = start, sink = -1;
    double reached = 0;  // length of the shortest path found so far
    while (sink < 0) {
      row_done[row] = 1;
      double lowest = kInf;
      Index pick = -1;
      for (Index t = 0; t < n_todo; ++t) {
        const Index j = todo[t];
        const double reduced = reached + cost(row, j) - u[row] - v[j];
        if (reduced < dist[j]) {
          dist[j] = reduced;
          pred[j] = row;
        }
        // Among equal distances prefer a free column: the path ends sooner.
        if (dist[j] < lowest || (dist[j] == lowest && row_of_col[j] < 0)) {
          lowest = dist[j];
          pick = t;
        }
      }
      if (!(lowest < kInf)) throw std::invalid_argument("cost matrix is infeasible: no assignment avoids every inf");
      reached = lowest;
      const Index col = todo[pick];
      col_done[col] = 1;
      todo[pick] = todo[--n_todo];
      if (row_of_col[col] < 0)
        sink = col;
      else
        row = row_of_col[col];
    }
    // Update the potentials so every reduced cost stays >= 0, then flip the path.
    u[start] += reached;
    for (Index i = 0; i < n_rows; ++i)
      if (row_done[i] && i != start) u[i] += reached - dist[col_of_row[i]];
    for (Index j = 0; j < n_cols; ++j)
      if (col_done[j]) v[j] -= reached - dist[j];
    for (Index col = sink;;) {
      const Index r = pred[col];
      row_of_col[col] = r;
      std::swap(col_of_row[r], col);
      if (r == start) break;
    }
  }
  return col_of_row;
}

template <class Cost>
std::vector<Index> solve(Index n_rows, Index n_cols, bool maximize, Cost cost) {
  if (maximize) return shortest_augmenting_path(n_rows, n_cols, [&](Index i, Index j) { return -cost(i, j); });
  return shortest_augmenting_path(n_rows, n_cols, cost);
}

void check_values(ConstMatrixRefD cost, bool maximize) {
  for (Index i = 0; i < cost.rows(); ++i)
    for (Index j = 0; j < cost.cols(); ++j) {
      const double c = cost(i, j);
      if (std::isnan(c) || (maximize ? c == kInf : c == -kInf))
        throw std::invalid_argument("cost[" + std::to_string(i) + ", " + std::to_string(j) + "] = " +
                                    std::to_string(c) + " is not allowed (" +
                                    (maximize ? "NaN or +inf when maximizing" : "NaN or -inf when minimizing") +
                                    ")");
    }
}

}  // namespace

Assignment linear_sum_assignment(ConstMatrixRefD cost, bool maximize) {
  check_values(cost, maximize);
  const Index n = cost.rows(), m = cost.cols();
  Assignment out;
  if (n == 0 || m == 0) return out;
  if (n <= m) {
    const auto cols = solve(n, m, maximize, [&](Index i, Index j) { return cost(i, j); });
    out.rows.resize(n);
    out.cols.resize(n);
    for (Index i = 0; i < n; ++i) {
      out.rows[i] = i;
      out.cols[i] = cols[i];
    }
    return out;
  }
  // More rows than columns: solve the transpose, then report the pairs by row.
  const auto rows_of_col = solve(m, n, maximize, [&](Index i, Index j) { return cost(j, i); });
  std::vector<Index> order(m);
  std::iota(order.begin(), order.end(), Index(0));
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return rows_of_col[a] < rows_of_col[b]; });
  out.rows.resize(m);
  out.cols.resize(m);
  for (Index t = 0; t < m; ++t) {
    out.rows[t] = rows_of_col[order[t]];
    out.cols[t] = order[t];
  }
  return out;
}

void solve_square_assignment(ConstMatrixRefD cost, bool maximize, VectorXi64& col_of_row) {
  const Index n = cost.rows();
  const auto cols = solve(n, n, maximize, [&](Index i, Index j) { return cost(i, j); });
  col_of_row.resize(n);
  for (Index i = 0; i < n; ++i) col_of_row[i] = cols[i];
}

}  // namespace v2v
