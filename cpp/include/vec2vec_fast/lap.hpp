// Exact linear assignment (shortest augmenting paths with dual potentials, as Jonker-Volgenant), dense costs.
#pragma once

#include "vec2vec_fast/types.hpp"

namespace v2v {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRefD = Eigen::Ref<const RowMatrixXd>;

/// cost: (n_rows, n_cols), any shape. Returns, for each row in order, its column when n_rows <= n_cols; otherwise
/// the rows chosen for each column are reported as (rows, cols) sorted by row. +inf marks a forbidden pair
/// (-inf when maximize); an assignment that needs one throws std::invalid_argument.
struct Assignment {
  VectorXi64 rows;
  VectorXi64 cols;
};
Assignment linear_sum_assignment(ConstMatrixRefD cost, bool maximize);

/// Square case used inside the QAP solver: col_of_row (n) for maximize/minimize of sum cost[i, col_of_row[i]].
void solve_square_assignment(ConstMatrixRefD cost, bool maximize, VectorXi64& col_of_row);

}  // namespace v2v
