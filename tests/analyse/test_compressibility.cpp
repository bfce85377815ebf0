// Compressibility factor Z = PV/(RT): 1 for every SDE stationary state of docs/theory.md §3 (the ideal-gas law
// PV = RT), and its first-order standard error from the relative SEs of P, V, T.
#include "idealgas/analyse/compressibility.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "idealgas/theory/ideal_gas.hpp"

namespace idealgas {
namespace {

// PV = RT holds to rounding in the closed forms: a few ulps of the products.
constexpr double kIdealGasTol = 1e-13;

TEST(Compressibility, IsOneForEverySdeStationaryState) {
  for (long long d : {3LL, 10LL, 1000LL})
    for (double eta : {1e-3, 1e-2, 1e-1})
      for (double second : {1e-3, 1e-1, 4.0}) {
        theory::StationaryInputs in;
        in.d = d;
        in.sigma2 = 0.7;
        for (Protocol p : {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere}) {
          theory::StationaryInputs q = in;
          (p == Protocol::fixed_lr ? q.eta : q.eta_eff) = eta;
          (p == Protocol::fixed_sphere ? q.radius : q.lambda) = second;
          const theory::StationaryState s = theory::stationary_state(p, q);
          const Compressibility z = compressibility(s.P, 0.0, s.V, 0.0, s.T, 0.0, s.R);
          EXPECT_NEAR(z.Z, 1.0, kIdealGasTol) << protocol_name(p) << " d=" << d << " eta=" << eta;
          EXPECT_EQ(z.Z_se, 0.0);
        }
      }
}

TEST(Compressibility, StandardErrorAddsRelativeErrorsInQuadrature) {
  // P = 2 ± 10 %, V = 3 ± 10 %, T = 1.5 exact, R = 1: Z = 4, SE = 4 sqrt(0.01 + 0.01).
  const Compressibility z = compressibility(2.0, 0.2, 3.0, 0.3, 1.5, 0.0, 1.0);
  EXPECT_DOUBLE_EQ(z.Z, 4.0);
  EXPECT_NEAR(z.Z_se, 4.0 * std::sqrt(0.02), 1e-15);
  EXPECT_TRUE(std::isnan(compressibility(0.0, 0.0, 3.0, 0.0, 1.5, 0.0, 1.0).Z));   // P must be > 0
  EXPECT_TRUE(std::isnan(compressibility(2.0, 0.0, kNaN, 0.0, 1.5, 0.0, 1.0).Z));  // a diverged row
}

TEST(Compressibility, GridRowsTakeTheirErrorsFromTheMeasuredColumns) {
  // Z = 2 P r^2 / (eta_eff Tr Sigma) (theory::compressibility_factor). Fixed LR, d = 3 (Tr Sigma = 2 sigma2):
  // eta = lambda = 0.01, sigma2 = 1 puts the SDE radius at r^4 = eta Tr Sigma / (2 lambda) = 1, so r^2 = 2V = 1
  // gives Z = 1 exactly.
  GridTable lr;
  lr.protocol = Protocol::fixed_lr;
  lr.d = 3;
  StationaryRow row;
  row.eta = 0.01, row.lambda = 0.01, row.sigma2 = 1.0;
  row.P = 0.01;  // lambda, exact
  row.r_mean = 1.0, row.r_se = 0.002;
  row.V = 0.5;  // r^2/2, its SE from r's: r SE(r) = 0.002, 0.4 % of V
  Compressibility z = compressibility(lr, row);
  EXPECT_DOUBLE_EQ(z.Z, 1.0);
  EXPECT_NEAR(z.Z_se, 2.0 * 0.002 / 0.5, 1e-15);  // fixed LR: Z ~ V^2 (eta_eff = eta / r^2)
  row.sigma2_se = 0.01;  // a measured sigma2 (1 %) adds in quadrature
  EXPECT_NEAR(compressibility(lr, row).Z_se, std::hypot(0.008, 0.01), 1e-15);
  GridTable elr = lr;
  elr.protocol = Protocol::fixed_elr;  // Z ~ V
  row.eta = 0.01;  // eta_eff: r^2 = eta_eff Tr Sigma / (2 lambda) = 1
  row.sigma2_se = 0.0;
  EXPECT_DOUBLE_EQ(compressibility(elr, row).Z, 1.0);
  EXPECT_NEAR(compressibility(elr, row).Z_se, 0.002 / 0.5, 1e-15);
  GridTable sphere = lr;
  sphere.protocol = Protocol::fixed_sphere;
  row.radius = 1.0;
  row.lambda_eff_se = 0.0003;  // 3 % of P = lambda_eff; V = r^2/2 exact
  z = compressibility(sphere, row);
  EXPECT_DOUBLE_EQ(z.Z, 1.0);
  EXPECT_NEAR(z.Z_se, 0.03, 1e-15);
  row.sigma2 = kNaN;  // no noise measurement: no Z
  EXPECT_TRUE(std::isnan(compressibility(sphere, row).Z));
}

}  // namespace
}  // namespace idealgas
