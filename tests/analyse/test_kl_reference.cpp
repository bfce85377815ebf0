// The entropy estimator's bias on exact VMF samples (analyse/kl_reference.hpp), the reference the isotropic verdict
// judges S(rho_w_hat) against.
#include "idealgas/analyse/kl_reference.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace idealgas {
namespace {

// d = 10, T = 0.05, N = 2000, rotated: an independent implementation (tests/reference/kl_bias_vmf.py: numpy, Wood's
// sampler, angle coordinates and brute-force neighbours of docs/theory.md §5, exact S by quadrature) measured a bias
// of -0.0591 ± 0.0041 nats over 200 replicates (2026-11-29).
TEST(KlBiasCurve, MatchesAnIndependentMeasurementAtDimensionTen) {
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = true;
  const std::vector<double> mean{0.1, -0.3, 0.2, 0.5, 0.1, 0.0, -0.4, 0.3, 0.2, 0.5};
  const KlBiasCurve curve = kl_bias_curve(mean, {0.05}, 2000, 48, 7, options);
  ASSERT_EQ(curve.nodes.size(), 2u);  // 10^-1.5 and 10^-1 around 0.05
  double bias = 0, se = 0;
  curve.at(0.05, bias, se);
  const double independent = -0.0591, independent_se = 0.0041;
  EXPECT_LT(bias, 0.0);
  EXPECT_NEAR(bias, independent, 3.0 * std::hypot(se, independent_se)) << "bias " << bias << " ± " << se;
  // The Monte Carlo SE is the spread of one KL estimate (sd ~ 2.7/sqrt(N), docs/numerics.md) over sqrt(48).
  EXPECT_NEAR(se, 2.7 / std::sqrt(2000.0) / std::sqrt(48.0), 0.004);
}

// The nodes depend on (seed, k) only: a configuration gets the same reference alone or inside any grid.
TEST(KlBiasCurve, SameNodesWhateverTheOtherTemperaturesAndLinearInLogT) {
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = true;
  const std::vector<double> mean{0.0, 0.6, 0.8};
  const KlBiasCurve alone = kl_bias_curve(mean, {0.02}, 200, 4, 11, options);
  const KlBiasCurve grid = kl_bias_curve(mean, {1e-4, 0.02, 0.3}, 200, 4, 11, options);
  ASSERT_EQ(alone.nodes.size(), 2u);
  EXPECT_EQ(grid.nodes.size(), 6u);
  double a = 0, a_se = 0, g = 0, g_se = 0;
  alone.at(0.02, a, a_se);
  grid.at(0.02, g, g_se);
  EXPECT_EQ(a, g);  // bitwise
  EXPECT_EQ(a_se, g_se);
  const int k = kl_lattice_index(0.02);  // 10^-2 <= 0.02 < 10^-1.5
  EXPECT_EQ(k, -4);
  double mid = 0, mid_se = 0;
  alone.at(std::pow(10.0, -1.75), mid, mid_se);  // halfway in log T between the two nodes
  EXPECT_NEAR(mid, 0.5 * (alone.nodes.at(-4).bias + alone.nodes.at(-3).bias), 1e-12);
  double none = 0, none_se = 0;
  alone.at(0.5, none, none_se);  // outside the nodes it has
  EXPECT_TRUE(std::isnan(none));
  alone.at(-1.0, none, none_se);
  EXPECT_TRUE(std::isnan(none));
  EXPECT_TRUE(kl_bias_curve(mean, {0.0, std::nan("")}, 200, 4, 11, options).nodes.empty());  // no positive finite T
}

}  // namespace
}  // namespace idealgas
