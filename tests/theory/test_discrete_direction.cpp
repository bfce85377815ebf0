// The direction law of the discrete update (theory/discrete_direction.hpp). Its agreement with the simulated chain
// is tested in tests/simulate/test_iso_stationary.cpp; here: the small-T limit, each protocol's angular step, and
// where the first-order law refuses to answer.
#include <gtest/gtest.h>

#include <cmath>

#include "idealgas/core/error.hpp"
#include "idealgas/theory/discrete_direction.hpp"
#include "idealgas/theory/vmf.hpp"

namespace {

using idealgas::InputError;
using idealgas::kNaN;
using idealgas::Protocol;
using namespace idealgas::theory;

StationaryInputs inputs(Protocol p, double first, double second, long long d, double sigma2) {
  StationaryInputs in;
  in.d = d;
  in.sigma2 = sigma2;
  if (p == Protocol::fixed_lr)
    in.eta = first;
  else
    in.eta_eff = first;
  if (p == Protocol::fixed_sphere)
    in.radius = second;
  else
    in.lambda = second;
  return in;
}

// Small T: every tangent coordinate is an Euler-Maruyama Ornstein-Uhlenbeck chain with unit stiffness, whose
// stationary variance is T / (1 - h/2) (closed form), i.e. T (1 + h/2) to first order. The law's O(T) terms
// move it by (2d+1) T h/2 here: 1e-8 relative.
TEST(DiscreteDirectionLaw, SmallTemperatureIsTheOrnsteinUhlenbeckEulerResult) {
  const double h = 0.02, sigma2 = 1e-6;  // T_chain = 1e-8
  for (long long d : {3LL, 10LL, 1000LL}) {
    const DiscreteDirectionLaw law =
        discrete_direction_law(Protocol::fixed_sphere, inputs(Protocol::fixed_sphere, h, 1.0, d, sigma2), kNaN);
    EXPECT_DOUBLE_EQ(law.step, h);
    EXPECT_DOUBLE_EQ(law.T_chain, 0.5 * h * sigma2);
    EXPECT_NEAR(law.T / law.T_chain - 1.0, h / 2, 1e-6) << "d = " << d;
    EXPECT_DOUBLE_EQ(law.U, vmf_stats(d, law.T).U);
    EXPECT_DOUBLE_EQ(law.S_sphere, vmf_stats(d, law.T).S_sphere);
  }
}

// The weight decay shrinks w before the step is added: the angular step is longer than the protocol's eta_eff.
TEST(DiscreteDirectionLaw, AngularStepOfEachProtocol) {
  const double r_sq = 2.5;
  const DiscreteDirectionLaw elr =
      discrete_direction_law(Protocol::fixed_elr, inputs(Protocol::fixed_elr, 0.05, 0.1, 3, 1.0), r_sq);
  EXPECT_DOUBLE_EQ(elr.step, 0.05 / (1.0 - 0.05 * 0.1 * r_sq));
  const DiscreteDirectionLaw lr =
      discrete_direction_law(Protocol::fixed_lr, inputs(Protocol::fixed_lr, 0.05, 0.1, 3, 1.0), r_sq);
  EXPECT_DOUBLE_EQ(lr.step, 0.05 / ((1.0 - 0.05 * 0.1) * r_sq));
  const DiscreteDirectionLaw sphere =
      discrete_direction_law(Protocol::fixed_sphere, inputs(Protocol::fixed_sphere, 0.05, 3.0, 3, 1.0), kNaN);
  EXPECT_DOUBLE_EQ(sphere.step, 0.05);
  // At d = 3, T = 0.05 the correction is 0.35 h: the heating measured on the paper grid (docs/numerics.md).
  const double A = vmf_stats(3, sphere.T_chain).A;
  EXPECT_NEAR(sphere.T / sphere.T_chain - 1.0, 0.05 * (1.0 - 7.0 * 0.025 * A) / (2.0 * A), 1e-15);
}

TEST(DiscreteDirectionLaw, NoAnswerOutsideTheFirstOrderRange) {
  // Weight-decay factor not positive.
  EXPECT_TRUE(
      std::isnan(discrete_direction_law(Protocol::fixed_lr, inputs(Protocol::fixed_lr, 2.0, 0.5, 3, 1.0), 1.0).T));
  EXPECT_TRUE(
      std::isnan(discrete_direction_law(Protocol::fixed_elr, inputs(Protocol::fixed_elr, 0.5, 1.0, 3, 1.0), 2.0).T));
  // No measured radius.
  EXPECT_TRUE(
      std::isnan(discrete_direction_law(Protocol::fixed_lr, inputs(Protocol::fixed_lr, 0.01, 0.01, 3, 1.0), kNaN).T));
  // A step so long that the first-order correction exceeds kMaxDirectionCorrection: h = 0.9 at small T.
  const DiscreteDirectionLaw hot =
      discrete_direction_law(Protocol::fixed_sphere, inputs(Protocol::fixed_sphere, 0.9, 1.0, 3, 1e-4), kNaN);
  EXPECT_DOUBLE_EQ(hot.step, 0.9);
  EXPECT_TRUE(std::isnan(hot.T));
  EXPECT_TRUE(std::isnan(hot.S_sphere));
  // Bad inputs are refused as by the closed forms.
  EXPECT_THROW(discrete_direction_law(Protocol::fixed_sphere, inputs(Protocol::fixed_sphere, -0.1, 1.0, 3, 1.0), kNaN),
               InputError);
}

}  // namespace
