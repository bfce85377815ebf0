#include "idealgas/analyse/least_squares.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

// Fits here are small (hundreds of rows); a single-threaded product keeps results bitwise independent of the
// OpenMP thread count and safe to call from inside parallel grid loops.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Dense>

#include "idealgas/core/error.hpp"

namespace idealgas {

double LinearFit::combination(const std::vector<double>& weights) const {
  if (weights.size() != p)
    throw InputError(fmt::format("LinearFit::combination: weights has {} entries, expected p = {}", weights.size(), p));
  double value = 0.0;
  for (std::size_t k = 0; k < p; ++k) value += weights[k] * coef[k];
  return value;
}

double LinearFit::combination_se(const std::vector<double>& weights) const {
  if (weights.size() != p)
    throw InputError(
        fmt::format("LinearFit::combination_se: weights has {} entries, expected p = {}", weights.size(), p));
  double var = 0.0;
  for (std::size_t a = 0; a < p; ++a)
    for (std::size_t b = 0; b < p; ++b) var += weights[a] * covariance[a * p + b] * weights[b];
  // Rounding can make a zero variance slightly negative.
  return std::sqrt(std::max(var, 0.0));
}

LinearFit fit_least_squares(const std::vector<double>& design, std::size_t n_params, const std::vector<double>& y) {
  const std::size_t n = y.size();
  const std::size_t p = n_params;
  if (p == 0) throw InputError("fit_least_squares: the design needs at least one column, got p = 0");
  if (design.size() != n * p)
    throw InputError(fmt::format("fit_least_squares: design has {} entries, expected n * p = {} * {} = {}",
                                 design.size(), n, p, n * p));
  if (n <= p)
    throw InputError(fmt::format(
        "fit_least_squares: need more observations than coefficients for standard errors, got n = {}, p = {}", n, p));
  for (std::size_t k = 0; k < design.size(); ++k)
    if (!std::isfinite(design[k]))
      throw InputError(fmt::format("fit_least_squares: design entry [{}, {}] is not finite ({})", k / p, k % p,
                                   design[k]));
  for (std::size_t k = 0; k < n; ++k)
    if (!std::isfinite(y[k])) throw InputError(fmt::format("fit_least_squares: y[{}] is not finite ({})", k, y[k]));

  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMatrix> x_raw(design.data(), static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
  const Eigen::Map<const Eigen::VectorXd> y_vec(y.data(), static_cast<Eigen::Index>(n));

  // Equilibrate columns to unit norm: the rank decision and the conditioning then do not depend on the units
  // of each regressor (x^2 next to 1 on a log grid differ by 1-2 orders of magnitude).
  const Eigen::VectorXd col_norm = x_raw.colwise().norm().transpose();
  for (std::size_t c = 0; c < p; ++c)
    if (col_norm[static_cast<Eigen::Index>(c)] == 0.0)
      throw InputError(fmt::format("fit_least_squares: design column {} is identically zero (rank deficient)", c));
  const Eigen::MatrixXd x_scaled = x_raw * col_norm.cwiseInverse().asDiagonal();

  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x_scaled);
  qr.setThreshold(kRankRelativeTolerance);
  if (qr.rank() < static_cast<Eigen::Index>(p))
    throw InputError(fmt::format(
        "fit_least_squares: design is rank deficient (numerical rank {} < p = {} at relative tolerance {}); "
        "remove collinear columns or add distinct grid values",
        qr.rank(), p, kRankRelativeTolerance));

  const Eigen::VectorXd b_scaled = qr.solve(y_vec);
  const Eigen::VectorXd residual = y_vec - x_scaled * b_scaled;

  LinearFit fit;
  fit.n = n;
  fit.p = p;
  fit.rss = residual.squaredNorm();
  fit.residual_var = fit.rss / static_cast<double>(n - p);
  fit.residual_sd = std::sqrt(fit.residual_var);
  const double y_mean = y_vec.mean();
  const double tss = (y_vec.array() - y_mean).square().sum();
  fit.r_squared = tss > 0.0 ? 1.0 - fit.rss / tss : std::numeric_limits<double>::quiet_NaN();

  // (X_s^T X_s)^{-1} = P R^{-1} R^{-T} P^T with X_s P = Q R; only the leading p x p block of R is used.
  const Eigen::MatrixXd r_top = qr.matrixR().topLeftCorner(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p))
                                    .triangularView<Eigen::Upper>();
  const Eigen::MatrixXd r_inv = r_top.triangularView<Eigen::Upper>().solve(
      Eigen::MatrixXd::Identity(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p)));
  const Eigen::MatrixXd perm = qr.colsPermutation();
  const Eigen::MatrixXd xtx_inv_scaled = perm * (r_inv * r_inv.transpose()) * perm.transpose();
  // Undo the column scaling: b = D^{-1} b_s, Cov(b) = D^{-1} Cov(b_s) D^{-1} with D = diag(col_norm).
  const Eigen::VectorXd inv_norm = col_norm.cwiseInverse();
  const Eigen::MatrixXd cov = fit.residual_var * (inv_norm.asDiagonal() * xtx_inv_scaled * inv_norm.asDiagonal());

  fit.coef.resize(p);
  fit.coef_se.resize(p);
  fit.covariance.resize(p * p);
  for (std::size_t a = 0; a < p; ++a) {
    const auto ea = static_cast<Eigen::Index>(a);
    fit.coef[a] = b_scaled[ea] * inv_norm[ea];
    fit.coef_se[a] = std::sqrt(std::max(cov(ea, ea), 0.0));
    for (std::size_t b = 0; b < p; ++b) fit.covariance[a * p + b] = cov(ea, static_cast<Eigen::Index>(b));
  }
  return fit;
}

nlohmann::json to_json(const LinearFit& fit) {
  nlohmann::json out;
  to_json(out, fit);
  return out;
}

void to_json(nlohmann::json& out, const LinearFit& fit) {
  // nlohmann writes NaN/inf as null.
  nlohmann::json cov = nlohmann::json::array();
  for (std::size_t a = 0; a < fit.p; ++a) {
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t b = 0; b < fit.p; ++b) row.push_back(fit.covariance[a * fit.p + b]);
    cov.push_back(row);
  }
  out = nlohmann::json{{"n", fit.n},
                       {"p", fit.p},
                       {"coef", fit.coef},
                       {"coef_se", fit.coef_se},
                       {"covariance", cov},
                       {"rss", fit.rss},
                       {"residual_sd", fit.residual_sd},
                       {"r_squared", fit.r_squared}};
}

}  // namespace idealgas
