// The thermodynamic dictionary (theory/ideal_gas.hpp): closed forms of docs/theory.md §2-4, the ideal gas law,
// thermodynamic identities between the outputs, the App. H discrete corrections, and input validation.
#include "support/run_cli.hpp"
#include "idealgas/theory/ideal_gas.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/core/error.hpp"
#include "idealgas/theory/vmf.hpp"

namespace {

using idealgas::InputError;
using idealgas::Protocol;
using namespace idealgas::theory;

constexpr double kPi = 3.14159265358979323846;
constexpr double kEps = std::numeric_limits<double>::epsilon();
// PV and RT are built from the same inputs by different products: they agree to a few roundings.
constexpr double kIdealGasLawTol = 8 * kEps;

StationaryInputs lr(double eta, double lambda, long long d, double sigma2 = 1.0) {
  StationaryInputs in;
  in.eta = eta;
  in.lambda = lambda;
  in.d = d;
  in.sigma2 = sigma2;
  return in;
}
StationaryInputs elr(double eta_eff, double lambda, long long d, double sigma2 = 1.0) {
  StationaryInputs in;
  in.eta_eff = eta_eff;
  in.lambda = lambda;
  in.d = d;
  in.sigma2 = sigma2;
  return in;
}
StationaryInputs sphere(double eta_eff, double radius, long long d, double sigma2 = 1.0) {
  StationaryInputs in;
  in.eta_eff = eta_eff;
  in.radius = radius;
  in.d = d;
  in.sigma2 = sigma2;
  return in;
}

TEST(IdealGas, DictionaryClosedForms) {
  // Hand-computable: fixed LR, eta = 0.1, lambda = 1e-3, d = 3, sigma2 = 1: r^4 = 0.1 * 2 / 2e-3 = 100,
  // T = sqrt(1e-4 / 4) = 0.005 = eta sigma2 / (2 r^2).
  const StationaryState a = stationary_state(Protocol::fixed_lr, lr(0.1, 1e-3, 3));
  EXPECT_NEAR(a.r, std::sqrt(10.0), 4 * kEps);
  EXPECT_NEAR(a.T, 0.005, 4 * kEps * 0.005);
  EXPECT_NEAR(a.T, 0.1 / (2.0 * a.r * a.r), 4 * kEps * a.T);
  EXPECT_EQ(a.P, 1e-3);
  EXPECT_NEAR(a.V, 5.0, 8 * kEps);
  EXPECT_EQ(a.R, 1.0);
  EXPECT_TRUE(std::isnan(a.lambda_eff));
  EXPECT_TRUE(std::isnan(a.lambda_eff_discrete));

  // Fixed ELR (Eq. 12): eta_eff = 0.02, lambda = 0.5, d = 11, sigma2 = 3: T = 0.03, r^2 = 0.02*3*10/1 = 0.6.
  const StationaryState b = stationary_state(Protocol::fixed_elr, elr(0.02, 0.5, 11, 3.0));
  EXPECT_NEAR(b.T, 0.03, 4 * kEps * 0.03);
  EXPECT_NEAR(b.r * b.r, 0.6, 8 * kEps);
  EXPECT_EQ(b.P, 0.5);
  EXPECT_EQ(b.R, 5.0);

  // Fixed sphere (Eq. 81, 83): eta_eff = 0.04, r = 2, d = 5, sigma2 = 0.5: T = 0.01, lambda_eff = 4*0.01/4 = 0.01.
  const StationaryState c = stationary_state(Protocol::fixed_sphere, sphere(0.04, 2.0, 5, 0.5));
  EXPECT_NEAR(c.T, 0.01, 4 * kEps * 0.01);
  EXPECT_EQ(c.r, 2.0);
  EXPECT_NEAR(c.lambda_eff, 0.01, 8 * kEps * 0.01);
  EXPECT_EQ(c.P, c.lambda_eff);
  EXPECT_EQ(c.V, 2.0);
  EXPECT_TRUE(std::isnan(c.r_discrete));
}

TEST(IdealGas, IdealGasLawHoldsForTheLrAndElrPredictions) {
  // PV = RT (Eq. 21, 22), i.e. Z = 1: for fixed LR and ELR, T and r* come from different closed forms (Eq. 12, 18
  // and §3), so lambda r*^2 = (d-1) T is a real check of their algebra. (On the sphere the SDE lambda_eff is
  // defined as (d-1)T/r^2, so the same line would be an identity; the sphere's Maxwell content is tested against
  // the simulator's measured lambda_eff in tests/simulate and tests/analyse.)
  for (long long d : {2LL, 3LL, 10LL, 24408LL, 1000000LL}) {
    for (double x : {1e-4, 1e-2, 1.0}) {
      for (double y : {1e-5, 1e-3, 0.1, 3.0}) {
        SCOPED_TRACE(::testing::Message() << "d=" << d << " x=" << x << " y=" << y);
        for (const StationaryState& s :
             {stationary_state(Protocol::fixed_lr, lr(x, y, d, 0.7)),
              stationary_state(Protocol::fixed_elr, elr(x, y, d, 0.7))}) {
          EXPECT_NEAR(s.Z, 1.0, kIdealGasLawTol);
          EXPECT_NEAR(s.P * s.V, s.R * s.T, kIdealGasLawTol * s.R * s.T);
          EXPECT_NEAR(s.P * s.r * s.r, (d - 1.0) * s.T, kIdealGasLawTol * (d - 1.0) * s.T);  // lambda r^2 = (d-1)T
        }
      }
    }
  }
}

TEST(IdealGas, OneStepIdentityPredictionsAreTheHandFormulas) {
  // Measured G given, so every form is explicit. X = Tr Sigma + G, Tr Sigma = sigma2 (d-1).
  const double G = 0.03, sigma2 = 0.7;
  const long long d = 10;
  const double X = sigma2 * (d - 1) + G;
  {  // fixed LR: (2 eta lambda - eta^2 lambda^2) r^2 = eta^2 X / r^2
    StationaryInputs in = lr(0.1, 0.05, d, sigma2);
    in.grad_norm_sq = G;
    const StationaryState s = stationary_state(Protocol::fixed_lr, in);
    const double eta_lambda = 0.1 * 0.05;
    EXPECT_NEAR(std::pow(s.r_one_step, 4), 0.1 * X / (0.05 * (2.0 - eta_lambda)), 1e-14 * std::pow(s.r_one_step, 4));
    // It differs from App. H by the factor (2/(2 - eta lambda))^(1/4) exactly.
    EXPECT_NEAR(s.r_one_step / s.r_discrete, std::pow(2.0 / (2.0 - eta_lambda), 0.25), 1e-15);
  }
  {  // fixed ELR: a = eta_eff lambda r^2 solves 2a - a^2 = eta_eff^2 X
    StationaryInputs in = elr(0.05, 0.02, d, sigma2);
    in.grad_norm_sq = G;
    const StationaryState s = stationary_state(Protocol::fixed_elr, in);
    const double a = 0.05 * 0.02 * s.r_one_step * s.r_one_step;
    EXPECT_NEAR(2.0 * a - a * a, 0.05 * 0.05 * X, 1e-15);
    EXPECT_GT(s.r_one_step, s.r_discrete);  // the exact root lies above the first-order one
    in.eta_eff = 1.0;                        // eta_eff^2 X >= 1: no stationary radius
    EXPECT_TRUE(std::isnan(stationary_state(Protocol::fixed_elr, in).r_one_step));
  }
  {  // sphere: |w_tilde| = r sqrt(1 + eta_eff^2 X) with |g|^2 at its mean
    StationaryInputs in = sphere(0.05, 2.0, d, sigma2);
    in.grad_norm_sq = G;
    const StationaryState s = stationary_state(Protocol::fixed_sphere, in);
    EXPECT_NEAR(s.lambda_eff_one_step, (std::sqrt(1.0 + 0.05 * 0.05 * X) - 1.0) / (0.05 * 4.0), 1e-16);
    EXPECT_LT(s.lambda_eff_one_step, s.lambda_eff_discrete);  // sqrt(1 + x) - 1 < x/2
  }
}

TEST(IdealGas, RelaxationTimesOfTheLinearisedDynamics) {
  const double tr_sigma = 2.0;  // d = 3, sigma2 = 1
  const RelaxationTimes lrt = relaxation_times(idealgas::ProtocolParams::make(Protocol::fixed_lr, 1e-3, 1e-3), tr_sigma);
  EXPECT_DOUBLE_EQ(lrt.r_sde, 1.0);     // r*^4 = eta Tr Sigma / (2 lambda) = 1
  EXPECT_DOUBLE_EQ(lrt.radial, 2.5e5);  // 1/(4 eta lambda): issue "Numbers you can trust", the LR corner
  EXPECT_DOUBLE_EQ(lrt.angular, 1e3);   // r*^2 / eta
  const RelaxationTimes elrt = relaxation_times(idealgas::ProtocolParams::make(Protocol::fixed_elr, 1e-3, 1e-3), tr_sigma);
  EXPECT_DOUBLE_EQ(elrt.radial, 5e5);   // 1/(eta_eff^2 Tr Sigma): the ELR corner
  EXPECT_DOUBLE_EQ(elrt.longest(), 5e5);
  const RelaxationTimes st = relaxation_times(idealgas::ProtocolParams::make(Protocol::fixed_sphere, 1e-2, 3.0), tr_sigma);
  EXPECT_DOUBLE_EQ(st.radial, 0.0);
  EXPECT_DOUBLE_EQ(st.angular, 100.0);
}

TEST(IdealGas, PotentialsAndHeatCapacities) {
  const StationaryState s = stationary_state(Protocol::fixed_elr, elr(0.05, 0.01, 20));
  const VmfStats v = vmf_stats(20, s.T);
  EXPECT_EQ(s.U, v.U);
  EXPECT_EQ(s.S_sphere, v.S_sphere);
  EXPECT_EQ(s.C_V, v.C_V);
  EXPECT_NEAR(s.S, v.S_sphere + 19.0 * std::log(s.r), 1e-14 * std::fabs(s.S));  // Lemma 1, Eq. 20
  EXPECT_NEAR(s.F, s.U - s.T * s.S, 1e-15);
  EXPECT_NEAR(s.G, s.U - s.T * s.S + s.P * s.V, 1e-15);
  EXPECT_EQ(s.C_P, s.C_V + s.R);
  EXPECT_EQ(s.gamma, s.C_P / s.C_V);
}

TEST(IdealGas, FixedLrEntropyAtSmallTemperature) {
  // docs/theory.md §4: fixed LR, small T: S = ((d-1)/2) log(pi e eta sigma2). From S_sphere_asymptotic + (d-1) log r
  // it is an exact identity (T r^2 = eta sigma2/2); with the exact VMF entropy it holds up to O(R^2 T).
  for (long long d : {3LL, 10LL, 1000LL}) {
    for (double eta : {1e-4, 1e-3}) {
      for (double lambda : {1e-6, 1e-4}) {
        const double sigma2 = 0.8, R = 0.5 * (d - 1.0);
        SCOPED_TRACE(::testing::Message() << "d=" << d << " eta=" << eta << " lambda=" << lambda);
        const StationaryState s = stationary_state(Protocol::fixed_lr, lr(eta, lambda, d, sigma2));
        const double predicted = R * std::log(kPi * std::exp(1.0) * eta * sigma2);
        const double from_asymptotic = vmf_stats(d, s.T).S_sphere_asymptotic + (d - 1.0) * std::log(s.r);
        EXPECT_NEAR(from_asymptotic, predicted, 1e-13 * (1.0 + std::fabs(predicted)));
        EXPECT_NEAR(s.S, predicted, 2.0 * R * R * s.T + 1e-12);
        EXPECT_NEAR(s.gamma, 2.0, 4.0 * R * s.T);  // C_V -> R, so gamma = C_P/C_V -> 2 (Eq. 28)
      }
    }
  }
}

TEST(IdealGas, MaxwellRelationsAtSmallTemperature) {
  // Fixed LR (Eq. 24, 26): dS/dlog eta = R, dS/dlog lambda = 0; fixed ELR (Eq. 84): dS/dlog lambda = -R.
  // Central differences in log space (step 1e-3) of the exact predictions; O(R T) corrections at T ~ 1e-5.
  const long long d = 10;
  const double R = 4.5, h = 1e-3;
  const auto S_lr = [&](double log_eta, double log_lambda) {
    return stationary_state(Protocol::fixed_lr, lr(std::exp(log_eta), std::exp(log_lambda), d)).S;
  };
  const double x = std::log(1e-4), y = std::log(1e-5);
  const double dS_dx = (S_lr(x + h, y) - S_lr(x - h, y)) / (2 * h);
  const double dS_dy = (S_lr(x, y + h) - S_lr(x, y - h)) / (2 * h);
  EXPECT_NEAR(dS_dx / R, 1.0, 1e-3);
  EXPECT_NEAR(dS_dy / R, 0.0, 1e-3);
  EXPECT_NEAR((dS_dx - dS_dy) / R, 1.0, 1e-3);
  const auto S_elr = [&](double log_lambda) {
    return stationary_state(Protocol::fixed_elr, elr(1e-4, std::exp(log_lambda), d)).S;
  };
  EXPECT_NEAR((S_elr(y + h) - S_elr(y - h)) / (2 * h) / R, -1.0, 1e-9);  // exact: S_sphere does not see lambda
}

TEST(IdealGas, GibbsPotentialDerivatives) {
  // Fixed ELR at moderate T (far from the asymptotics): dG/dP|_T = V and dG/dT|_P = -S, using C_P = C_V + R
  // and P dV/dT|_P = R. T is moved through eta_eff (T = eta_eff sigma2/2), P through lambda. Central
  // differences with relative step 1e-5: truncation ~1e-10, rounding ~1e-10 relative; tolerance 1e-7.
  const long long d = 7;
  const double eta_eff = 0.3, lambda = 0.2, rel = 1e-5;
  const StationaryState s = stationary_state(Protocol::fixed_elr, elr(eta_eff, lambda, d));
  const double dP = rel * lambda;
  const double dG_dP = (stationary_state(Protocol::fixed_elr, elr(eta_eff, lambda + dP, d)).G -
                        stationary_state(Protocol::fixed_elr, elr(eta_eff, lambda - dP, d)).G) /
                       (2 * dP);
  EXPECT_NEAR(dG_dP, s.V, 1e-7 * s.V);
  const double de = rel * eta_eff, dT = 0.5 * de;
  const StationaryState hi = stationary_state(Protocol::fixed_elr, elr(eta_eff + de, lambda, d));
  const StationaryState lo = stationary_state(Protocol::fixed_elr, elr(eta_eff - de, lambda, d));
  EXPECT_NEAR((hi.G - lo.G) / (2 * dT), -s.S, 1e-7 * std::fabs(s.S));
  EXPECT_NEAR((hi.S - lo.S) / (2 * dT), s.C_P / s.T, 1e-7 * s.C_P / s.T);  // T dS = C_P dT at fixed P
  EXPECT_NEAR((hi.U - lo.U) / (2 * dT), s.C_V, 1e-7 * s.C_V);
}

TEST(IdealGas, DiscreteCorrectionsReduceToSdeWithoutGradient) {
  for (long long d : {2LL, 10LL, 1000LL}) {
    StationaryInputs a = lr(0.05, 1e-3, d), b = elr(0.05, 1e-3, d), c = sphere(0.05, 3.0, d);
    a.grad_norm_sq = b.grad_norm_sq = c.grad_norm_sq = 0.0;
    const StationaryState sa = stationary_state(Protocol::fixed_lr, a);
    const StationaryState sb = stationary_state(Protocol::fixed_elr, b);
    const StationaryState sc = stationary_state(Protocol::fixed_sphere, c);
    EXPECT_NEAR(sa.r_discrete, sa.r, 2 * kEps * sa.r);
    EXPECT_NEAR(sb.r_discrete, sb.r, 2 * kEps * sb.r);
    EXPECT_NEAR(sc.lambda_eff_discrete, sc.lambda_eff, 2 * kEps * sc.lambda_eff);
    EXPECT_EQ(sa.grad_norm_sq, 0.0);
  }
}

TEST(IdealGas, DiscreteCorrectionsWithMeasuredGradient) {
  // App. H (Eq. 120-123) with Tr Sigma = sigma2 (d-1) = 2 * 9 = 18 and G = 0.5: explicit formulas.
  StationaryInputs a = lr(0.1, 0.01, 10, 2.0), b = elr(0.1, 0.01, 10, 2.0), c = sphere(0.1, 2.0, 10, 2.0);
  a.grad_norm_sq = b.grad_norm_sq = c.grad_norm_sq = 0.5;
  EXPECT_NEAR(stationary_state(Protocol::fixed_lr, a).r_discrete, std::pow(0.1 * 18.5 / 0.02, 0.25), 1e-15);
  EXPECT_NEAR(stationary_state(Protocol::fixed_elr, b).r_discrete, std::sqrt(0.1 * 18.5 / 0.02), 1e-14);
  EXPECT_NEAR(stationary_state(Protocol::fixed_sphere, c).lambda_eff_discrete, 0.1 * 18.5 / 8.0, 1e-15);
}

TEST(IdealGas, DiscreteCorrectionsWithVmfGradientAreSelfConsistent) {
  // Without a measured G: elr and sphere use G = vmf_stats(d, T).grad_norm_sq; fixed LR solves
  // r^4 = eta (Tr Sigma + G(eta sigma2 / (2 r^2))) / (2 lambda). Residual checked to 1e-14 relative.
  for (long long d : {2LL, 3LL, 50LL, 24408LL}) {
    for (double sigma2 : {1e-3, 1.0}) {
      SCOPED_TRACE(::testing::Message() << "d=" << d << " sigma2=" << sigma2);
      const double tr = sigma2 * (d - 1.0);
      const double eta = 0.2, lambda = 5e-3;
      const StationaryState a = stationary_state(Protocol::fixed_lr, lr(eta, lambda, d, sigma2));
      const double T_d = eta * sigma2 / (2.0 * a.r_discrete * a.r_discrete);
      const double G = vmf_stats(d, T_d).grad_norm_sq;
      EXPECT_NEAR(std::pow(a.r_discrete, 4), eta * (tr + G) / (2 * lambda), 1e-14 * std::pow(a.r_discrete, 4));
      EXPECT_NEAR(a.grad_norm_sq, G, 1e-15);
      EXPECT_GT(a.r_discrete, a.r);  // G > 0 pushes the radius out

      const StationaryState b = stationary_state(Protocol::fixed_elr, elr(eta, lambda, d, sigma2));
      const double Gb = vmf_stats(d, b.T).grad_norm_sq;
      EXPECT_EQ(b.grad_norm_sq, Gb);
      EXPECT_NEAR(b.r_discrete * b.r_discrete, eta * (tr + Gb) / (2 * lambda), 1e-14 * b.r_discrete * b.r_discrete);

      const StationaryState c = stationary_state(Protocol::fixed_sphere, sphere(eta, 1.5, d, sigma2));
      EXPECT_NEAR(c.lambda_eff_discrete, eta * (tr + Gb) / (2 * 1.5 * 1.5), 1e-15 * c.lambda_eff_discrete);
    }
  }
}

std::string message_of(Protocol p, const StationaryInputs& in) {
  try {
    stationary_state(p, in);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(IdealGas, BadInputsThrowNamingTheFlag) {
  EXPECT_EQ(message_of(Protocol::fixed_lr, lr(-1.0, 1e-3, 3)), "--eta must be a positive finite number, got -1");
  EXPECT_NE(message_of(Protocol::fixed_lr, lr(0.1, NAN, 3)).find("needs --lambda"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_lr, elr(0.1, 1e-3, 3)).find("needs --eta"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_elr, lr(0.1, 1e-3, 3)).find("needs --eta-eff"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_sphere, elr(0.1, 1e-3, 3)).find("needs --radius"), std::string::npos);
  StationaryInputs both = elr(0.1, 1e-3, 3);
  both.eta = 0.1;
  EXPECT_NE(message_of(Protocol::fixed_elr, both).find("--eta is not used"), std::string::npos);
  StationaryInputs sph = sphere(0.1, 1.0, 3);
  sph.lambda = 1e-3;
  EXPECT_NE(message_of(Protocol::fixed_sphere, sph).find("--lambda is not used"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_lr, lr(0.1, 1e-3, 1)).find("--d"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_lr, lr(0.1, 1e-3, 3, 0.0)).find("--sigma2"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_elr, elr(0.1, INFINITY, 3)).find("--lambda"), std::string::npos);
  EXPECT_NE(message_of(Protocol::fixed_sphere, sphere(0.1, -2.0, 3)).find("--radius"), std::string::npos);
  StationaryInputs g = elr(0.1, 1e-3, 3);
  g.grad_norm_sq = -0.5;
  EXPECT_NE(message_of(Protocol::fixed_elr, g).find("--grad-norm-sq"), std::string::npos);
  g.grad_norm_sq = INFINITY;
  EXPECT_NE(message_of(Protocol::fixed_elr, g).find("--grad-norm-sq"), std::string::npos);
  EXPECT_THROW(gas_constant(1), InputError);
  EXPECT_EQ(gas_constant(24408), 12203.5);
}

// ---- the CLI (cli/cmd_theory.cpp), run as a program when it is built ------------------------------------

using idealgas::testing::CliResult;
using idealgas::testing::run_cli;

TEST(TheoryCli, PrintsTheLibraryValuesAsJson) {
  if (!idealgas::testing::cli_built()) GTEST_SKIP() << "the idealgas program is not built";
  const CliResult lr_run = run_cli("theory stationary --protocol lr --eta 0.1 --lambda 1e-3 --d 3");
  ASSERT_EQ(lr_run.exit_code, 0) << lr_run.output;
  const auto j = nlohmann::json::parse(lr_run.output);
  const StationaryState s = stationary_state(Protocol::fixed_lr, lr(0.1, 1e-3, 3));
  EXPECT_EQ(j.at("protocol"), "lr");
  EXPECT_EQ(j.at("r").get<double>(), s.r);  // shortest round-trip printing: bitwise equal
  EXPECT_EQ(j.at("r_discrete").get<double>(), s.r_discrete);
  EXPECT_EQ(j.at("G").get<double>(), s.G);
  EXPECT_EQ(j.at("Z").get<double>(), s.Z);
  for (const char* key : {"T", "P", "V", "R", "U", "S_sphere", "S", "C_V", "C_P", "gamma", "grad_norm_sq"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_FALSE(j.contains("F"));

  // sphere: --eta is the documented alias of --eta-eff; lambda_eff replaces r, F replaces G.
  const CliResult sph = run_cli("theory stationary --protocol sphere --eta 0.04 --radius 2 --d 5 --sigma2 0.5");
  ASSERT_EQ(sph.exit_code, 0) << sph.output;
  const auto k = nlohmann::json::parse(sph.output);
  const StationaryState ks = stationary_state(Protocol::fixed_sphere, sphere(0.04, 2.0, 5, 0.5));
  EXPECT_EQ(k.at("lambda_eff").get<double>(), ks.lambda_eff);
  EXPECT_TRUE(k.contains("lambda_eff_discrete") && k.contains("F"));
  EXPECT_FALSE(k.contains("r") || k.contains("G") || k.contains("r_discrete"));

  const CliResult vmf = run_cli("theory vmf --d 1e6 --T 1e-6");
  ASSERT_EQ(vmf.exit_code, 0) << vmf.output;
  EXPECT_EQ(nlohmann::json::parse(vmf.output).at("U").get<double>(), vmf_stats(1000000, 1e-6).U);
  const CliResult uni = run_cli("theory uniform --d 3");
  ASSERT_EQ(uni.exit_code, 0) << uni.output;
  EXPECT_EQ(nlohmann::json::parse(uni.output).at("S_uniform").get<double>(), uniform_sphere_entropy(3));
}

TEST(TheoryCli, BadValuesExitWithOneLineNamingTheFlag) {
  if (!idealgas::testing::cli_built()) GTEST_SKIP() << "the idealgas program is not built";
  const CliResult missing = run_cli("theory stationary --protocol elr --eta-eff 0.1 --d 3");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("needs --lambda"), std::string::npos) << missing.output;
  const CliResult both = run_cli("theory stationary --protocol elr --eta 0.1 --eta-eff 0.1 --lambda 1 --d 3");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
  const CliResult negative = run_cli("theory vmf --d 3 --T -1");
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_NE(negative.output.find("--T must be a positive finite number, got -1"), std::string::npos)
      << negative.output;
  const CliResult fractional = run_cli("theory uniform --d 2.5");
  EXPECT_EQ(fractional.exit_code, 2);
  EXPECT_NE(fractional.output.find("--d '2.5': expected an integer"), std::string::npos) << fractional.output;
  // A dimension a double would round is taken exactly as written or refused, never rounded (issue 11).
  const CliResult rounded = run_cli("theory uniform --d 9.007199254740993e15");
  EXPECT_EQ(rounded.exit_code, 2) << rounded.output;
  const CliResult exact = run_cli("theory uniform --d 9007199254740993");
  ASSERT_EQ(exact.exit_code, 0) << exact.output;
  EXPECT_EQ(nlohmann::json::parse(exact.output).at("d").get<long long>(), 9007199254740993LL);
  // An input that used to reach an internal assertion ("discrete radius did not converge") gives numbers.
  const CliResult tiny = run_cli("theory stationary --protocol lr --eta 0.01 --lambda 0.01 --d 3 --sigma2 1e-300");
  EXPECT_EQ(tiny.exit_code, 0) << tiny.output;
}

}  // namespace
