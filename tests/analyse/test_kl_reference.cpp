// The entropy estimator's bias on exact VMF samples (analyse/kl_reference.hpp), the reference the isotropic verdict
// judges S(rho_w_hat) against.
#include "idealgas/analyse/kl_reference.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace idealgas {
namespace {

// d = 10, T = 0.05, N = 2000, rotated: an independent implementation (tests/reference/kl_bias_vmf.py: numpy, Wood's
// sampler, the angle coordinates and brute-force neighbours of theory.md §5, exact S by quadrature) measured a bias
// of -0.0591 ± 0.0041 nats over 200 replicates (2026-11-29).
TEST(KlBiasCurve, MatchesAnIndependentMeasurementAtDimensionTen) {
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = true;
  const std::vector<double> mean{0.1, -0.3, 0.2, 0.5, 0.1, 0.0, -0.4, 0.3, 0.2, 0.5};
  const KlBiasCurve curve = kl_bias_curve(mean, 0.05, 0.05, 2000, 5, 48, 7, options);
  ASSERT_EQ(curve.log_T.size(), 1u);  // a zero span is one node
  const double independent = -0.0591, independent_se = 0.0041;
  EXPECT_LT(curve.bias[0], 0.0);
  EXPECT_NEAR(curve.bias[0], independent, 3.0 * std::hypot(curve.se[0], independent_se))
      << "bias " << curve.bias[0] << " ± " << curve.se[0];
  // The Monte Carlo SE is the spread of one KL estimate (sd ~ 2.7/sqrt(N), docs/numerics.md) over sqrt(48).
  EXPECT_NEAR(curve.se[0], 2.7 / std::sqrt(2000.0) / std::sqrt(48.0), 0.004);
}

TEST(KlBiasCurve, InterpolatesLinearlyInLogTemperatureAndIsReproducible) {
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = true;
  const std::vector<double> mean{0.0, 0.6, 0.8};
  const KlBiasCurve a = kl_bias_curve(mean, 1e-3, 1e-1, 200, 3, 4, 11, options);
  const KlBiasCurve b = kl_bias_curve(mean, 1e-3, 1e-1, 200, 3, 4, 11, options);
  ASSERT_EQ(a.log_T.size(), 3u);
  EXPECT_EQ(a.bias, b.bias);  // bitwise: the streams depend on (seed, node, replicate) only
  EXPECT_NEAR(a.log_T[1], std::log(1e-2), 1e-12);
  double bias = 0, se = 0;
  a.at(std::sqrt(1e-3 * 1e-2), bias, se);  // halfway between the first two nodes in log T
  EXPECT_NEAR(bias, 0.5 * (a.bias[0] + a.bias[1]), 1e-15);
  a.at(1e-5, bias, se);  // beyond the ends: the end node
  EXPECT_EQ(bias, a.bias[0]);
  a.at(10.0, bias, se);
  EXPECT_EQ(bias, a.bias[2]);
  a.at(-1.0, bias, se);
  EXPECT_TRUE(std::isnan(bias));
  EXPECT_TRUE(kl_bias_curve(mean, 0.0, 1.0, 200, 3, 4, 11, options).log_T.empty());  // T_min not positive
}

}  // namespace
}  // namespace idealgas
