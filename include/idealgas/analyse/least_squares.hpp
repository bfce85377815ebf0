// Ordinary least squares y ≈ X b with classical standard errors: Cov(b) = s^2 (X^T X)^{-1},
// s^2 = RSS/(n - p). Solved by column-pivoted Householder QR on unit-norm columns (Eigen, kept out of
// this header so that including it stays cheap). Inputs are plain row-major arrays.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace idealgas {

struct LinearFit {
  std::size_t n = 0;  // number of observations
  std::size_t p = 0;  // number of coefficients (columns of the design)
  std::vector<double> coef;        // [p], b
  std::vector<double> coef_se;     // [p], sqrt(diag(covariance))
  std::vector<double> covariance;  // [p, p], row-major, s^2 (X^T X)^{-1}
  double rss = 0.0;            // residual sum of squares
  double residual_var = 0.0;   // s^2 = rss / (n - p)
  double residual_sd = 0.0;    // s
  double r_squared = 0.0;      // 1 - rss / sum (y - mean y)^2; meaningful when X has an intercept column;
                               // NaN when y is constant (the total sum of squares is zero)

  std::size_t dof() const { return n - p; }
  /// Covariance of coefficients a and b.
  double cov(std::size_t a, std::size_t b) const { return covariance[a * p + b]; }
  /// Value of the linear combination sum_k weights[k] coef[k]; weights: [p].
  double combination(const std::vector<double>& weights) const;
  /// Standard error of that combination, sqrt(w^T Cov w); weights: [p].
  double combination_se(const std::vector<double>& weights) const;
  /// Fitted value for one design row; x_row: [p].
  double predict(const std::vector<double>& x_row) const { return combination(x_row); }
};

/// Fits y ≈ design * b. design: [n, p] row-major, with n = y.size(); y: [n].
/// Throws InputError if design.size() != n * p, if n <= p (no residual degrees of freedom), if any entry is
/// not finite, or if the design is rank deficient (a column is, to kRankRelativeTolerance, a combination of
/// the others after scaling every column to unit norm).
LinearFit fit_least_squares(const std::vector<double>& design, std::size_t n_params, const std::vector<double>& y);

/// {"n", "p", "coef", "coef_se", "covariance" ([p][p]), "rss", "residual_sd", "r_squared"}; NaN -> null.
/// Needs <nlohmann/json.hpp> at the call site.
nlohmann::json to_json(const LinearFit& fit);
void to_json(nlohmann::json& out, const LinearFit& fit);

/// Rank threshold for fit_least_squares, relative to the largest pivot of the column-equilibrated QR.
/// A design with condition number above ~1e10 gives standard errors that mean nothing, so it is refused.
inline constexpr double kRankRelativeTolerance = 1e-10;

}  // namespace idealgas
