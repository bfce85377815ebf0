// One update of each protocol against a hand computation (docs/theory.md §2, §4), and the exact norm identity
// |w_{t+1}|^2 = (1 - eta lambda)^2 |w_t|^2 + eta^2 |g_B|^2 that holds because g_B is orthogonal to w.
#include <cmath>

#include <gtest/gtest.h>

#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_model.hpp"

namespace idealgas {
namespace {

// Hand-computed case: mu = (0,0,1), w = (3,0,4) so |w| = 5, w_hat = (0.6,0,0.8), sigma2 = 4, eps = (1,2,-1).
// grad L(w) = (mu - 0.8 w_hat)/5 = (-0.096, 0, 0.072); <eps, w_hat> = -0.2, so P eps = (1.12, 2, -0.84) and
// (sigma/|w|) P eps = 0.4 P eps = (0.448, 0.8, -0.336). Hence g_B = (0.352, 0.8, -0.264), |g_B|^2 = 0.8336.
IsoModel hand_model() {
  IsoModel m;
  m.d = 3;
  m.sigma2 = 4.0;
  m.sigma = 2.0;
  m.mu = {0.0, 0.0, 1.0};
  return m;
}
constexpr double kEps[3] = {1.0, 2.0, -1.0};
constexpr double kTol = 1e-14;  // a few ulps of the O(1) coordinates

TEST(IsoStep, FixedLrMatchesHandComputation) {
  const IsoModel m = hand_model();
  double w[3] = {3.0, 0.0, 4.0};
  const auto info = iso_step(m, ProtocolParams::make(Protocol::fixed_lr, 0.1, 0.5), w, kEps);
  // w - 0.1 (g_B + 0.5 w) = (3,0,4) - 0.1 (1.852, 0.8, 1.736)
  EXPECT_NEAR(w[0], 2.8148, kTol);
  EXPECT_NEAR(w[1], -0.08, kTol);
  EXPECT_NEAR(w[2], 3.8264, kTol);
  EXPECT_NEAR(info.cos_mu, 0.8, kTol);
  EXPECT_NEAR(std::sqrt(info.step.norm_sq_before), 5.0, kTol);
  // Exact identity: (1 - 0.05)^2 * 25 + 0.01 * 0.8336.
  EXPECT_NEAR(info.step.pre_projection_norm_sq, 0.95 * 0.95 * 25.0 + 0.01 * 0.8336, 1e-13);
}

TEST(IsoStep, FixedElrScalesTheWholeStepByTheSquaredNorm) {
  const IsoModel m = hand_model();
  double w[3] = {3.0, 0.0, 4.0};
  // eta_eff |w|^2 = 0.002 * 25 = 0.05: w - 0.05 (1.852, 0.8, 1.736)
  iso_step(m, ProtocolParams::make(Protocol::fixed_elr, 0.002, 0.5), w, kEps);
  EXPECT_NEAR(w[0], 2.9074, kTol);
  EXPECT_NEAR(w[1], -0.04, kTol);
  EXPECT_NEAR(w[2], 3.9132, kTol);
}

TEST(IsoStep, SphereStepsWithoutDecayThenProjects) {
  const IsoModel m = hand_model();
  double w[3] = {3.0, 0.0, 4.0};
  const auto info = iso_step(m, ProtocolParams::make(Protocol::fixed_sphere, 0.004, 5.0), w, kEps);
  // w_tilde = w - 0.1 g_B = (2.9648, -0.08, 4.0264); |w_tilde|^2 = 25 + 0.01 * 0.8336 = 25.008336.
  const double norm_tilde = std::sqrt(25.008336);
  EXPECT_NEAR(info.step.pre_projection_norm_sq, 25.008336, 1e-13);
  EXPECT_NEAR(info.step.norm_growth, norm_tilde - 5.0, 1e-15);
  EXPECT_NEAR(w[0], 5.0 * 2.9648 / norm_tilde, kTol);
  EXPECT_NEAR(w[1], 5.0 * -0.08 / norm_tilde, kTol);
  EXPECT_NEAR(w[2], 5.0 * 4.0264 / norm_tilde, kTol);
  EXPECT_NEAR(std::sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), 5.0, kTol);
}

TEST(IsoStep, FixedDimensionKernelEqualsRuntimeDimensionBitwise) {
  const IsoModel m = hand_model();
  for (Protocol p : {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere}) {
    double a[3] = {3.0, 0.0, 4.0}, b[3] = {3.0, 0.0, 4.0};
    const auto params = ProtocolParams::make(p, 0.01, p == Protocol::fixed_sphere ? 5.0 : 0.5);
    iso_step_fixed<0>(m, params, a, kEps);
    iso_step_fixed<3>(m, params, b, kEps);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(a[i], b[i]) << protocol_name(p);
  }
}

TEST(IsoModel, LossIsScaleInvariant) {
  const IsoModel m = IsoModel::make(7, 1.0, 123);
  std::vector<double> w = iso_initial_direction(7, 5);
  const double l1 = iso_loss(m, w.data());
  for (double& x : w) x *= 37.5;
  EXPECT_NEAR(iso_loss(m, w.data()), l1, 1e-15);
  double mu_norm_sq = 0.0;
  for (double x : m.mu) mu_norm_sq += x * x;
  EXPECT_NEAR(mu_norm_sq, 1.0, 1e-15);
}

TEST(ProtocolParams, RejectsBadHyperparameters) {
  EXPECT_THROW(ProtocolParams::make("lr", -0.1, 0.1), InputError);
  EXPECT_THROW(ProtocolParams::make("elr", 0.1, std::nan("")), InputError);
  EXPECT_THROW(ProtocolParams::make("sphere", 0.1, 0.0), InputError);
  EXPECT_THROW(ProtocolParams::make("adam", 0.1, 0.1), InputError);
  EXPECT_THROW(IsoModel::make(1, 1.0, 0), InputError);
}

}  // namespace
}  // namespace idealgas
