// Ordinary least squares: exact recovery on noise-free data, textbook standard errors, refusal of bad designs.
#include "idealgas/analyse/least_squares.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

// Noise-free data are recovered to rounding; the QR solve loses at most a few digits to the conditioning.
constexpr double kExactTol = 1e-12;

TEST(LeastSquares, RecoversCoefficientsOfNoiseFreeData) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  const std::vector<double> beta = {0.7, -1.3, 2.25, 0.125};
  const size_t n = 40, p = beta.size();
  std::vector<double> design, y;
  for (size_t k = 0; k < n; ++k) {
    const double x1 = u(rng), x2 = u(rng), x3 = u(rng);
    design.insert(design.end(), {1.0, x1, x2, x3});
    y.push_back(beta[0] + beta[1] * x1 + beta[2] * x2 + beta[3] * x3);
  }
  const LinearFit fit = fit_least_squares(design, p, y);
  ASSERT_EQ(fit.n, n);
  ASSERT_EQ(fit.p, p);
  ASSERT_EQ(fit.dof(), n - p);
  for (size_t k = 0; k < p; ++k) {
    EXPECT_NEAR(fit.coef[k], beta[k], kExactTol) << "coefficient " << k;
    EXPECT_NEAR(fit.coef_se[k], 0.0, kExactTol) << "coefficient " << k;
  }
  EXPECT_NEAR(fit.r_squared, 1.0, kExactTol);
  EXPECT_NEAR(fit.rss, 0.0, kExactTol);
}

TEST(LeastSquares, RecoversBadlyScaledColumns) {
  // Columns 1, 1e-6 x, 1e6 x^2: equilibration makes the scale irrelevant.
  const std::vector<double> beta = {3.0, 4e6, -2.5e-6};
  std::vector<double> design, y;
  for (int k = 0; k < 25; ++k) {
    const double x = 0.1 + 0.2 * k;
    const double c1 = 1e-6 * x, c2 = 1e6 * x * x;
    design.insert(design.end(), {1.0, c1, c2});
    y.push_back(beta[0] + beta[1] * c1 + beta[2] * c2);
  }
  const LinearFit fit = fit_least_squares(design, 3, y);
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(fit.coef[k] / beta[k], 1.0, 1e-11) << "coefficient " << k;
}

// Simple linear regression y = b0 + b1 x: the textbook closed forms
//   b1 = Sxy/Sxx, b0 = ybar - b1 xbar, s^2 = RSS/(n-2), se(b1) = s/sqrt(Sxx), se(b0) = s sqrt(1/n + xbar^2/Sxx),
//   cov(b0, b1) = -xbar s^2/Sxx, R^2 = Sxy^2/(Sxx Syy).
TEST(LeastSquares, SimpleRegressionMatchesTextbookFormulas) {
  // Anscombe's quartet, data set I (Anscombe 1973, Am. Stat. 27:17).
  const std::vector<double> x = {10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5};
  const std::vector<double> y = {8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68};
  const size_t n = x.size();
  double xbar = 0, ybar = 0;
  for (size_t k = 0; k < n; ++k) xbar += x[k] / n, ybar += y[k] / n;
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t k = 0; k < n; ++k) {
    sxx += (x[k] - xbar) * (x[k] - xbar);
    sxy += (x[k] - xbar) * (y[k] - ybar);
    syy += (y[k] - ybar) * (y[k] - ybar);
  }
  const double b1 = sxy / sxx, b0 = ybar - b1 * xbar;
  double rss = 0;
  for (size_t k = 0; k < n; ++k) rss += std::pow(y[k] - b0 - b1 * x[k], 2);
  const double s2 = rss / (n - 2), s = std::sqrt(s2);

  std::vector<double> design;
  for (double xi : x) design.insert(design.end(), {1.0, xi});
  const LinearFit fit = fit_least_squares(design, 2, y);

  constexpr double kTol = 1e-12;
  EXPECT_NEAR(fit.coef[0], b0, kTol);
  EXPECT_NEAR(fit.coef[1], b1, kTol);
  EXPECT_NEAR(fit.coef_se[1], s / std::sqrt(sxx), kTol);
  EXPECT_NEAR(fit.coef_se[0], s * std::sqrt(1.0 / n + xbar * xbar / sxx), kTol);
  EXPECT_NEAR(fit.cov(0, 1), -xbar * s2 / sxx, kTol);
  EXPECT_NEAR(fit.cov(1, 0), fit.cov(0, 1), kTol);
  EXPECT_NEAR(fit.residual_sd, s, kTol);
  EXPECT_NEAR(fit.r_squared, sxy * sxy / (sxx * syy), kTol);

  // Published values for Anscombe I (R: lm(y1 ~ x1)), to their 4 printed digits.
  EXPECT_NEAR(fit.coef[0], 3.0001, 5e-5);
  EXPECT_NEAR(fit.coef[1], 0.5001, 5e-5);
  EXPECT_NEAR(fit.coef_se[0], 1.1247, 5e-5);
  EXPECT_NEAR(fit.coef_se[1], 0.1179, 5e-5);
  EXPECT_NEAR(fit.residual_sd, 1.237, 5e-4);
  EXPECT_NEAR(fit.r_squared, 0.6665, 5e-5);

  // Linear combination b0 + 10 b1 (the fitted value at x = 10) and its SE from the covariance.
  const std::vector<double> w = {1.0, 10.0};
  EXPECT_NEAR(fit.combination(w), b0 + 10 * b1, kTol);
  EXPECT_NEAR(fit.combination_se(w), s * std::sqrt(1.0 / n + (10 - xbar) * (10 - xbar) / sxx), kTol);
  EXPECT_NEAR(fit.predict({1.0, 10.0}), b0 + 10 * b1, kTol);
}

TEST(LeastSquares, RefusesRankDeficientDesign) {
  std::vector<double> design, y;
  for (int k = 0; k < 10; ++k) {
    const double x = 0.3 * k;
    design.insert(design.end(), {1.0, x, 2.0 * x - 1.0});  // third column = 2 * second - first
    y.push_back(std::sin(x));
  }
  EXPECT_THROW(fit_least_squares(design, 3, y), InputError);

  std::vector<double> zero_column;
  for (int k = 0; k < 10; ++k) zero_column.insert(zero_column.end(), {1.0, 0.0});
  EXPECT_THROW(fit_least_squares(zero_column, 2, y), InputError);
}

TEST(LeastSquares, RefusesTooFewObservationsAndBadShapes) {
  const std::vector<double> two_points = {1.0, 0.0, 1.0, 1.0};  // [2, 2]
  EXPECT_THROW(fit_least_squares(two_points, 2, {1.0, 2.0}), InputError);  // n == p: no residual dof
  EXPECT_THROW(fit_least_squares({1.0, 2.0, 3.0}, 2, {1.0, 2.0}), InputError);  // size mismatch
  EXPECT_THROW(fit_least_squares({1.0, 2.0, 3.0}, 0, {1.0, 2.0, 3.0}), InputError);
  EXPECT_THROW(fit_least_squares({1.0, 1.0, 1.0}, 1, {1.0, NAN, 3.0}), InputError);
}

TEST(LeastSquares, JsonHasCoefficientsAndCovariance) {
  std::vector<double> design, y;
  for (int k = 0; k < 6; ++k) {
    design.insert(design.end(), {1.0, static_cast<double>(k)});
    y.push_back(1.0 + 0.5 * k + (k % 2 ? 0.1 : -0.1));
  }
  const nlohmann::json j = to_json(fit_least_squares(design, 2, y));
  EXPECT_EQ(j.at("n").get<int>(), 6);
  EXPECT_EQ(j.at("p").get<int>(), 2);
  EXPECT_EQ(j.at("coef").size(), 2u);
  EXPECT_EQ(j.at("coef_se").size(), 2u);
  EXPECT_EQ(j.at("covariance").size(), 2u);
  EXPECT_EQ(j.at("covariance")[0].size(), 2u);
  EXPECT_TRUE(j.contains("r_squared"));
  EXPECT_TRUE(j.contains("residual_sd"));
  EXPECT_TRUE(j.contains("rss"));
}

}  // namespace
}  // namespace idealgas
