// The simulator's stationary state against theory (docs/theory.md §2-5), each within 3 of its own standard errors plus
// a documented floor for the model error that the theory leaves out (no other slack):
//  - U against exact VMF at the discrete update's temperature T_discrete (theory/discrete_direction.hpp), no
//    floor; at eta_eff = 0.1 the heating it predicts is resolved by many SE (asserted);
//  - r (lr, elr) and lambda_eff (sphere) against the one-step identity; floor 1e-3 relative (its neglected
//    fluctuation terms, O(eta lambda/(d-1)) and O(eta_eff^2), are below that at these hyperparameters);
//  - S(rho_w_hat) against what the KL estimator returns for exact VMF(T_discrete) samples of the same size (its
//    bias measured, analyse/kl_reference.hpp; -0.035 nats at d = 10), SEs in quadrature, no floor.
// Default (dynamics) schedule, so the cases include the paper grid's slowest corner, eta = lambda = 1e-3, where
// the radius relaxes over 250,000 (lr) and 500,000 (elr) iterations, and its hottest edge, eta_eff = 0.1.
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "idealgas/analyse/iso_stationary.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas {
namespace {

struct Case {
  Protocol protocol;
  long long d;
  double eta;     // eta (lr) or eta_eff (elr, sphere)
  double second;  // lambda (lr, elr) or radius (sphere)
};

const Case kCases[] = {
    {Protocol::fixed_lr, 3, 3e-3, 3e-3},     {Protocol::fixed_elr, 3, 2e-3, 2e-3},
    {Protocol::fixed_sphere, 3, 2e-3, 1.0},  {Protocol::fixed_lr, 3, 1e-3, 1e-3},
    {Protocol::fixed_elr, 3, 1e-3, 1e-3},    {Protocol::fixed_lr, 10, 2e-3, 9e-3},
    {Protocol::fixed_elr, 10, 2e-3, 9e-3},   {Protocol::fixed_sphere, 10, 2e-3, 1.0},
    {Protocol::fixed_lr, 3, 0.1, 0.1},       {Protocol::fixed_elr, 10, 0.1, 0.01},
    {Protocol::fixed_sphere, 3, 0.1, 1.0},
};

constexpr double kSigmas = 3.0;
constexpr double kRadiusFloorRel = 1e-3;

StationaryRow run_case(const Case& c) {
  IsoConfig config;
  config.d = c.d;
  config.grid = 1;
  config.protocols = {c.protocol};
  if (c.protocol == Protocol::fixed_lr) config.eta = {c.eta, c.eta};
  else config.eta_eff = {c.eta, c.eta};
  if (c.protocol == Protocol::fixed_sphere) config.radius = {c.second, c.second};
  else config.lambda = {c.second, c.second};
  IsoGrid grid(config, c.protocol);
  grid.advance_to(grid.max_iterations());
  const IsoStationaryTable t = iso_stationary_table(grid);
  EXPECT_EQ(t.status[0], "ok");
  EXPECT_EQ(t.table.rows[0].flags, "") << "the dynamics schedule should vouch for every SE here";
  return t.table.rows[0];
}

class IsoStationary : public ::testing::TestWithParam<Case> {};

TEST_P(IsoStationary, MatchesTheoryWithinThreeStandardErrors) {
  const Case c = GetParam();
  const StationaryRow r = run_case(c);
  EXPECT_NEAR(r.U, r.U_discrete, kSigmas * r.U_se)
      << "U = " << r.U << " ± " << r.U_se << ", VMF(T_discrete) " << r.U_discrete << ", VMF(T) " << r.U_vmf;
  // At eta_eff = 0.1 the heating is real and resolved: U sits many SE above VMF at the protocol's T, so the check
  // above could fail without the discrete-time law. (lr: the longer step 1/(1 - eta lambda) and the larger discrete
  // radius nearly cancel; the heating remains.)
  if (c.eta >= 0.05) {
    EXPECT_GT((r.U - r.U_vmf) / r.U_se, c.protocol == Protocol::fixed_lr ? 3.0 : 5.0) << "VMF(T) " << r.U_vmf;
    EXPECT_GT(r.T_discrete, r.T);
  }
  // The one-step identity leaves out O(eta_eff^2) fluctuation terms (0.4-0.7 % at eta_eff = 0.1): it is held to
  // the floor in the SDE regime only, as the verdict does (V1: eta lambda <= 1e-3, eta_eff <= 1e-2).
  const bool sde_regime = c.protocol == Protocol::fixed_lr ? c.eta * c.second <= 1e-3 : c.eta <= 1e-2;
  if (!sde_regime) {
  } else if (c.protocol == Protocol::fixed_sphere) {
    EXPECT_NEAR(r.lambda_eff, r.lambda_eff_one_step,
                std::max(kSigmas * r.lambda_eff_se, kRadiusFloorRel * r.lambda_eff_one_step))
        << "lambda_eff = " << r.lambda_eff << " ± " << r.lambda_eff_se;
  } else {
    EXPECT_NEAR(r.r_mean, r.r_one_step, std::max(kSigmas * r.r_se, kRadiusFloorRel * r.r_one_step))
        << "r = " << r.r_mean << " ± " << r.r_se << ", one-step " << r.r_one_step << ", SDE " << r.r_sde;
  }
  EXPECT_NEAR(r.S_sphere, r.S_sphere_expected, kSigmas * std::hypot(r.S_sphere_se, r.S_sphere_expected_se))
      << "S(rho) = " << r.S_sphere << " ± " << r.S_sphere_se << ", KL on VMF(T_discrete) " << r.S_sphere_expected
      << " ± " << r.S_sphere_expected_se << ", exact VMF(T_discrete) " << r.S_sphere_discrete;
  std::printf("%s d=%lld: U %.6g ± %.2g (VMF(T_discrete) %.6g, VMF(T) %.6g) r %.6g ± %.2g (one-step %.6g, SDE %.6g) lambda_eff %.6g ± %.2g "
              "(one-step %.6g) S %.4f ± %.3f (KL on VMF(T_discrete) %.4f, VMF(T) %.4f) adjacent %.2f, %g iterations, ESS U %.0f "
              "r %.0f\n",
              protocol_name(c.protocol), c.d, r.U, r.U_se, r.U_discrete, r.U_vmf, r.r_mean, r.r_se, r.r_one_step, r.r_sde,
              r.lambda_eff, r.lambda_eff_se, r.lambda_eff_one_step, r.S_sphere, r.S_sphere_se, r.S_sphere_expected,
              r.S_sphere_vmf, r.adjacent_nn_fraction, r.iterations, r.U_ess, r.r_ess);
}

INSTANTIATE_TEST_SUITE_P(ProtocolsAndDimensions, IsoStationary, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           return std::string(protocol_name(info.param.protocol)) + "_d" +
                                  std::to_string(info.param.d) + "_eta" +
                                  std::to_string(static_cast<int>(std::lround(1e4 * info.param.eta)));
                         });

}  // namespace
}  // namespace idealgas
