// V1-V4 (docs/theory.md §6) on synthetic grids built from the closed forms, docs/theory.md §3-4, at d = 3, sigma^2 = 1,
// on the paper's 17 x 17 log-spaced grids (docs/paper-setup.md §1). Exact data must give the targets to rounding;
// planted errors must be found where they were planted; reported standard errors must match the empirical
// spread of replicate fits.
#include "idealgas/analyse/validation_checks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kGridSize = 17;            // the paper's grids
constexpr double kHyperMin = 1e-3, kHyperMax = 1e-1;  // eta, eta_eff, lambda ranges
constexpr double kRadiusMin = 0.1, kRadiusMax = 10.0; // sphere radii
constexpr double kSlopeTol = 1e-10;      // noise-free plane slopes (brief: 1e-10)
constexpr double kQuadTol = 1e-8;        // noise-free quadratic: raw-log design is less well conditioned
constexpr double kAssignedSSe = 0.01;    // S_se written into synthetic rows (nats)
constexpr double kAssignedRelRSe = 1e-3; // r_se / r and lambda_eff_se / lambda_eff

double log_spaced(double lo, double hi, int k, int n) {
  return std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * k / (n - 1));
}

/// How U and S(rho_w_hat) depend on T: small-T asymptotics (U = R T, S = R log(2 pi e T)) or the exact d = 3
/// VMF forms U = 1 - coth(1/T) + T, S = log(4 pi T sinh(1/T)) - coth(1/T)/T + 1 (docs/theory.md §4).
enum class Model { asymptotic, exact_vmf_d3 };

/// log sinh(x) for x > 0 without overflow: x + log1p(-exp(-2x)) - log 2 (1/T reaches 2000 on these grids).
double log_sinh(double x) { return x + std::log1p(-std::exp(-2.0 * x)) - std::log(2.0); }

double internal_energy(Model m, double T) {
  if (m == Model::asymptotic) return T;  // R T with R = 1
  const double kappa = 1.0 / T;
  return 1.0 - 1.0 / std::tanh(kappa) + T;
}

double sphere_entropy(Model m, double T) {
  if (m == Model::asymptotic) return std::log(2.0 * kPi * std::exp(1.0) * T);
  const double kappa = 1.0 / T;
  return std::log(4.0 * kPi * T) + log_sinh(kappa) - 1.0 / (std::tanh(kappa) * T) + 1.0;
}

/// A 17 x 17 grid of exact stationary states. d = 3, sigma^2 = 1, so R = 1.
GridTable make_table(Protocol protocol, Model model = Model::asymptotic) {
  GridTable t;
  t.protocol = protocol;
  t.d = 3;
  t.n_first = kGridSize;
  t.n_second = kGridSize;
  for (int i = 0; i < kGridSize; ++i) {
    for (int j = 0; j < kGridSize; ++j) {
      StationaryRow row;
      row.i = i;
      row.j = j;
      row.eta = log_spaced(kHyperMin, kHyperMax, i, kGridSize);
      double r = kNaN;
      switch (protocol) {
        case Protocol::fixed_lr:  // T = sqrt(eta lambda sigma^2 / (2(d-1))), r^4 = eta sigma^2 (d-1) / (2 lambda)
          row.lambda = log_spaced(kHyperMin, kHyperMax, j, kGridSize);
          row.T = std::sqrt(row.eta * row.lambda / 4.0);
          r = std::pow(row.eta / row.lambda, 0.25);
          row.P = row.lambda;
          break;
        case Protocol::fixed_elr:  // T = eta_eff sigma^2 / 2, r^2 = eta_eff sigma^2 (d-1) / (2 lambda)
          row.lambda = log_spaced(kHyperMin, kHyperMax, j, kGridSize);
          row.T = row.eta / 2.0;
          r = std::sqrt(row.eta / row.lambda);
          row.P = row.lambda;
          break;
        case Protocol::fixed_sphere:  // T = eta_eff sigma^2 / 2, lambda_eff = (d-1) T / r^2
          row.radius = log_spaced(kRadiusMin, kRadiusMax, j, kGridSize);
          row.T = row.eta / 2.0;
          r = row.radius;
          row.lambda_eff = 2.0 * row.T / (r * r);
          row.lambda_eff_se = kAssignedRelRSe * row.lambda_eff;
          row.lambda_eff_sde = row.lambda_eff;
          row.lambda_eff_discrete = row.lambda_eff;
          row.lambda_eff_one_step = row.lambda_eff;
          row.P = row.lambda_eff;
          break;
      }
      row.V = r * r / 2.0;
      row.r_mean = r;
      row.r_se = kAssignedRelRSe * r;
      if (protocol != Protocol::fixed_sphere) {
        row.r_sde = r;
        row.r_discrete = r;
        row.r_one_step = r;
        row.V_se = r * row.r_se;
      }
      row.U = internal_energy(model, row.T);
      row.U_se = 1e-4;
      row.S_sphere = sphere_entropy(model, row.T);
      row.S = row.S_sphere + 2.0 * std::log(r);  // + (d-1) log r
      row.S_se = kAssignedSSe;
      t.rows.push_back(row);
    }
  }
  return t;
}

StationaryRow& at(GridTable& t, int i, int j) { return t.rows[static_cast<size_t>(i) * t.n_second + j]; }

// ------------------------------------------------------------------------------------------------- V1

TEST(V1StationaryRadius, ExactDataHaveZeroError) {
  for (Protocol p : {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere}) {
    const V1Result r = check_stationary_radius(make_table(p));
    EXPECT_EQ(r.quantity, p == Protocol::fixed_sphere ? "lambda_eff" : "r_mean");
    ASSERT_EQ(r.rows.size(), static_cast<size_t>(kGridSize * kGridSize));
    EXPECT_NEAR(r.sde_in_regime.max_abs_rel_err, 0.0, 1e-14) << protocol_name(p);
    EXPECT_NEAR(r.discrete_all.max_abs_rel_err, 0.0, 1e-14) << protocol_name(p);
    EXPECT_EQ(r.discrete_all.n_rows, kGridSize * kGridSize);
    EXPECT_GT(r.sde_in_regime.n_rows, 0);
    EXPECT_LT(r.sde_in_regime.n_rows, kGridSize * kGridSize);
    EXPECT_NEAR(r.rows[0].rel_err_sde_se, kAssignedRelRSe, 1e-15);
  }
}

TEST(V1StationaryRadius, FindsPlantedErrorInsideAndOutsideTheSdeRegime) {
  // Fixed LR, (i, j) = (2, 3): eta*lambda ~ 1e-5, inside the SDE regime.
  GridTable t = make_table(Protocol::fixed_lr);
  at(t, 2, 3).r_mean *= 1.05;
  V1Result r = check_stationary_radius(t);
  EXPECT_NEAR(r.sde_in_regime.max_abs_rel_err, 0.05, 1e-13);
  EXPECT_NEAR(r.sde_in_regime.rel_err, 0.05, 1e-13);
  EXPECT_EQ(r.sde_in_regime.i, 2);
  EXPECT_EQ(r.sde_in_regime.j, 3);
  EXPECT_EQ(r.sde_in_regime.row, 2 * kGridSize + 3);
  EXPECT_NEAR(r.discrete_all.max_abs_rel_err, 0.05, 1e-13);
  EXPECT_EQ(r.discrete_all.row, 2 * kGridSize + 3);
  EXPECT_NEAR(r.sde_in_regime.rel_err_se, kAssignedRelRSe, 1e-15);  // r_se / r_sde; r_se was left as is

  // (16, 16): eta*lambda = 1e-2, outside: invisible to the regime max, visible on the whole grid.
  t = make_table(Protocol::fixed_lr);
  at(t, 16, 16).r_mean *= 0.95;
  r = check_stationary_radius(t);
  EXPECT_FALSE(r.rows[16 * kGridSize + 16].in_sde_regime);
  EXPECT_NEAR(r.sde_in_regime.max_abs_rel_err, 0.0, 1e-14);
  EXPECT_NEAR(r.sde_all.rel_err, -0.05, 1e-13);
  EXPECT_NEAR(r.discrete_all.max_abs_rel_err, 0.05, 1e-13);
  EXPECT_EQ(r.discrete_all.i, 16);
  EXPECT_EQ(r.discrete_all.j, 16);

  // Sphere: the effective weight decay, eta_eff index 2 (< 1e-2).
  GridTable s = make_table(Protocol::fixed_sphere);
  at(s, 2, 5).lambda_eff *= 1.05;
  r = check_stationary_radius(s);
  EXPECT_NEAR(r.sde_in_regime.max_abs_rel_err, 0.05, 1e-13);
  EXPECT_EQ(r.sde_in_regime.row, 2 * kGridSize + 5);
}

TEST(V1StationaryRadius, RegimeRuleAndCustomPredicate) {
  const GridTable t = make_table(Protocol::fixed_lr);
  const V1Result r = check_stationary_radius(t);
  for (const auto& row : r.rows) {
    const auto& s = t.rows[static_cast<size_t>(row.row)];
    EXPECT_EQ(row.in_sde_regime, s.eta * s.lambda <= kSdeRegimeMaxEtaLambda);
  }
  V1Options only_first;
  only_first.sde_regime = [](const StationaryRow& row) { return row.i == 0; };
  const V1Result c = check_stationary_radius(t, only_first);
  EXPECT_EQ(c.sde_in_regime.n_rows, kGridSize);
  EXPECT_EQ(c.regime_rule, "custom predicate");
}

TEST(V1StationaryRadius, NonFiniteMeasurementIsCountedNotUsed) {
  GridTable t = make_table(Protocol::fixed_elr);
  at(t, 1, 1).r_mean = kNaN;
  const V1Result r = check_stationary_radius(t);
  EXPECT_EQ(r.discrete_all.n_skipped, 1);
  EXPECT_EQ(r.discrete_all.n_rows, kGridSize * kGridSize - 1);
  EXPECT_NEAR(r.discrete_all.max_abs_rel_err, 0.0, 1e-14);
}

// ------------------------------------------------------------------------------------------------- V2

TEST(V2PotentialMinimum, PaperReferencesOnThe17Grid) {
  EXPECT_EQ(scale_paper_indices(kPaperPotentialIndices, 17), (std::vector<int>{2, 8, 14}));
  EXPECT_EQ(scale_paper_indices(kPaperSphereRadiusIndices, 17), (std::vector<int>{0, 5, 10, 15}));
  EXPECT_EQ(scale_paper_indices(kPaperPotentialIndices, 9), (std::vector<int>{1, 4, 7}));
  EXPECT_EQ(scale_paper_indices(kPaperPotentialIndices, 1), (std::vector<int>{0}));
  EXPECT_EQ(paper_potential_references(make_table(Protocol::fixed_lr)).size(), 9u);
  EXPECT_EQ(paper_potential_references(make_table(Protocol::fixed_sphere)).size(), 12u);
}

// By Gibbs' principle G_ref(T, V) = U(T) - T_ref S(T, V) + P_ref V has its unique minimum at T = T_ref and
// P_ref V = R T_ref, which is the reference state itself: dG/dT = U'(T)(1 - T_ref/T) because U' = T S'(T)
// for any canonical family (exact VMF) and for the asymptotic pair U = RT, S = R log T. So exact data pass
// exactly, with both forms.
TEST(V2PotentialMinimum, ExactDataAreMinimisedAtTheReference) {
  for (Model m : {Model::asymptotic, Model::exact_vmf_d3}) {
    for (Protocol p : {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere}) {
      const V2Result r = check_potential_minimum(make_table(p, m));
      const std::string what = std::string(protocol_name(p)) + (m == Model::asymptotic ? " asymptotic" : " vmf");
      EXPECT_EQ(r.all_summary.n_evaluable, kGridSize * kGridSize) << what;
      EXPECT_DOUBLE_EQ(r.all_summary.pass_rate, 1.0) << what;
      EXPECT_DOUBLE_EQ(r.all_summary.exact_rate, 1.0) << what;
      EXPECT_DOUBLE_EQ(r.paper_summary.pass_rate, 1.0) << what;
      EXPECT_DOUBLE_EQ(r.paper_summary.exact_rate, 1.0) << what;
      EXPECT_GT(r.all_summary.min_gap_over_T, 0.0) << what;
      for (const auto& ref : r.all) {
        EXPECT_GT(ref.exact_gap_over_T, 0.0) << what << " row " << ref.row;
        EXPECT_EQ(ref.n_candidates, p == Protocol::fixed_sphere ? kGridSize : kGridSize * kGridSize) << what;
      }
    }
  }
}

TEST(V2PotentialMinimum, LoweringOwnEntropyBreaksExactness) {
  GridTable t = make_table(Protocol::fixed_lr);
  at(t, 8, 8).S -= 0.5;  // raises G_ref(ref) by 0.5 T_ref; neighbours are only ~0.02 T_ref above it
  const V2Result r = check_potential_minimum(t);
  const auto& ref = r.all[8 * kGridSize + 8];
  EXPECT_FALSE(ref.exact);
  EXPECT_TRUE(ref.pass);  // the argmin moves to a grid neighbour
  EXPECT_LT(ref.exact_gap_over_T, 0.0);
  EXPECT_EQ(r.all_summary.n_exact, kGridSize * kGridSize - 1);
  // (8, 8) is one of the paper's references.
  EXPECT_EQ(r.paper_summary.n_exact, 8);
}

TEST(V2PotentialMinimum, RaisingANonNeighboursEntropyFailsTheReference) {
  GridTable t = make_table(Protocol::fixed_lr);
  // (8, 10) is two steps from (8, 8); exact gap ~0.08 T_ref, lowered by 0.5 T_ref.
  at(t, 8, 10).S += 0.5;
  const V2Result r = check_potential_minimum(t);
  const auto& ref = r.all[8 * kGridSize + 8];
  EXPECT_FALSE(ref.pass);
  EXPECT_FALSE(ref.exact);
  EXPECT_EQ(ref.argmin_i, 8);
  EXPECT_EQ(ref.argmin_j, 10);
  EXPECT_LT(ref.gap_over_T, 0.0);
  EXPECT_EQ(ref.best_non_neighbour_row, 8 * kGridSize + 10);
  EXPECT_LT(r.all_summary.pass_rate, 1.0);
  EXPECT_LT(r.paper_summary.pass_rate, 1.0);
  // Gap SE: rows independent, sqrt(2 U_se^2 + 2 T^2 S_se^2 + 2 P^2 V_se^2) / T.
  const auto& s = t.rows[8 * kGridSize + 8];
  const auto& k = t.rows[8 * kGridSize + 10];
  const double v_se_s = s.r_mean * s.r_se, v_se_k = k.r_mean * k.r_se;
  const double expected_se = std::sqrt(2 * 1e-8 + 2 * s.T * s.T * kAssignedSSe * kAssignedSSe +
                                       s.P * s.P * (v_se_s * v_se_s + v_se_k * v_se_k)) / s.T;
  EXPECT_NEAR(ref.gap_over_T_se, expected_se, 1e-12 * expected_se);
}

TEST(V2PotentialMinimum, SphereComparesOnlyAtEqualRadius) {
  GridTable t = make_table(Protocol::fixed_sphere);
  // A huge entropy at another radius must not matter for the reference (8, 5).
  at(t, 3, 6).S += 100.0;
  const V2Result r = check_potential_minimum(t);
  EXPECT_TRUE(r.all[8 * kGridSize + 5].exact);
  EXPECT_EQ(r.all[8 * kGridSize + 5].n_candidates, kGridSize);
  // At radius 6, the reference (8, 6) now prefers (3, 6): not a neighbour in eta_eff.
  EXPECT_FALSE(r.all[8 * kGridSize + 6].pass);

  const PotentialMap map = potential_map(make_table(Protocol::fixed_sphere), 8, 5);
  for (int i = 0; i < kGridSize; ++i)
    for (int j = 0; j < kGridSize; ++j) {
      const double v = map.excess_over_T[static_cast<size_t>(i) * kGridSize + j];
      if (j == 5) {
        EXPECT_GE(v, 0.0);
      } else {
        EXPECT_TRUE(std::isnan(v));
      }
    }
  EXPECT_EQ(map.argmin_i, 8);
  EXPECT_EQ(map.argmin_j, 5);
}

TEST(V2PotentialMinimum, HeatMapIsZeroAtTheReferenceAndPositiveElsewhere) {
  const GridTable t = make_table(Protocol::fixed_elr);
  const PotentialMap map = potential_map(t, 2, 14);
  EXPECT_EQ(map.argmin_row, 2 * kGridSize + 14);
  EXPECT_EQ(map.excess_over_T[2 * kGridSize + 14], 0.0);
  for (size_t k = 0; k < map.excess_over_T.size(); ++k)
    if (static_cast<int>(k) != map.ref_row) EXPECT_GT(map.excess_over_T[k], 0.0) << k;
  EXPECT_THROW(potential_map(t, 17, 0), InputError);
}

// ------------------------------------------------------------------------------------------------- V3

TEST(V3Maxwell, FixedLrExactSlopes) {
  const V3Result r = check_maxwell_relations(make_table(Protocol::fixed_lr));
  EXPECT_EQ(r.x_name, "log_eta");
  EXPECT_EQ(r.y_name, "log_lambda");
  EXPECT_EQ(r.n_points, kGridSize * kGridSize);
  EXPECT_NEAR(r.slope_x.over_R, 1.0, kSlopeTol);
  EXPECT_NEAR(r.slope_y.over_R, 0.0, kSlopeTol);
  EXPECT_NEAR(r.plane.r_squared, 1.0, kSlopeTol);
  ASSERT_EQ(r.derived.size(), 4u);  // the paper's three and the first one at the grid's centre
  EXPECT_EQ(r.derived[0].name, "(a1-a2)/R");
  EXPECT_EQ(r.derived[3].name, "(a1-a2)/R (centred)");
  for (const auto& c : r.derived) EXPECT_NEAR(c.value, c.target, kQuadTol) << c.name;
  EXPECT_NEAR(r.derived[0].target, 1.0, 0.0);
  EXPECT_NEAR(r.quadratic.r_squared, 1.0, kQuadTol);
  ASSERT_EQ(r.local.size(), 1u);
  EXPECT_LT(r.local[0].max_abs_rel_err, kQuadTol);
}

TEST(V3Maxwell, FixedElrExactSlopes) {
  const V3Result r = check_maxwell_relations(make_table(Protocol::fixed_elr));
  EXPECT_EQ(r.x_name, "log_eta_eff");
  EXPECT_NEAR(r.slope_y.over_R, -1.0, kSlopeTol);
  EXPECT_NEAR(r.slope_x.over_R, 2.0, kSlopeTol);  // S = R log T + R log r^2, both ∝ eta_eff
  ASSERT_EQ(r.derived.size(), 4u);
  EXPECT_EQ(r.derived[0].name, "a2/R");
  EXPECT_EQ(r.derived[3].name, "a2/R (centred)");
  EXPECT_NEAR(r.derived[0].value, -1.0, kQuadTol);
  for (const auto& c : r.derived) EXPECT_NEAR(c.value, c.target, kQuadTol) << c.name;
  EXPECT_LT(r.local[0].max_abs_rel_err, kQuadTol);
}

TEST(V3Maxwell, SphereExactSlopes) {
  const V3Result r = check_maxwell_relations(make_table(Protocol::fixed_sphere));
  EXPECT_EQ(r.y_name, "log_r");
  EXPECT_NEAR(r.slope_x.over_R, 1.0, kSlopeTol);   // dS(rho)/dlog eta_eff = R
  EXPECT_NEAR(r.slope_y.value, 0.0, kSlopeTol);    // S(rho) does not depend on r
  for (const auto& c : r.derived) EXPECT_NEAR(c.value, c.target, kQuadTol) << c.name;
  ASSERT_EQ(r.local.size(), 1u);
  EXPECT_LT(r.local[0].max_abs_rel_err, kQuadTol) << r.local[0].relation;
  // The sphere's Maxwell content, lambda_eff r^2 = (d-1) T: slopes 1 in log eta_eff and -2 in log r.
  EXPECT_NEAR(r.lambda_eff_slope_x.value, 1.0, kSlopeTol);
  EXPECT_NEAR(r.lambda_eff_slope_y.value, -2.0, kSlopeTol);
}

TEST(V3Maxwell, SphereChecksCanFail) {
  // The checks that replaced the by-construction ones must see a violation: S(rho) that grows with r, and
  // lambda_eff off (d-1)T/r^2 by a factor r^0.1.
  GridTable t = make_table(Protocol::fixed_sphere);
  for (auto& row : t.rows) {
    row.S_sphere += 0.1 * std::log(row.radius);
    row.lambda_eff *= std::pow(row.radius, 0.1);
  }
  const V3Result r = check_maxwell_relations(t);
  EXPECT_NEAR(r.slope_y.value, 0.1, kSlopeTol);
  EXPECT_NEAR(r.lambda_eff_slope_y.value, -1.9, kSlopeTol);
  EXPECT_NEAR(r.lambda_eff_slope_y.target_over_R, -2.0, 0.0);
}

TEST(V3Maxwell, ExactVmfFormsGiveTheSameSlopes) {
  // On this grid T <= 0.05, so the exact d = 3 VMF entropy differs from R log(2 pi e T) by ~exp(-2/T) ≈ 0.
  const V3Result r = check_maxwell_relations(make_table(Protocol::fixed_lr, Model::exact_vmf_d3));
  EXPECT_NEAR(r.slope_x.over_R, 1.0, 1e-9);
  EXPECT_NEAR(r.slope_y.over_R, 0.0, 1e-9);
}

TEST(V3Maxwell, LocalRelationErrorLocatesAPlantedCurvature) {
  // Add 0.1 R x^2 to S: dS/dx - dS/dy gains 0.2 R x, largest in magnitude at the smallest eta (x most negative).
  GridTable t = make_table(Protocol::fixed_lr);
  for (auto& row : t.rows) row.S += 0.1 * std::pow(std::log(row.eta), 2);
  const V3Result r = check_maxwell_relations(t);
  EXPECT_NEAR(r.derived[1].value, 0.2, kQuadTol);  // (2a3 - a5)/R
  EXPECT_NEAR(r.local[0].max_abs_rel_err, 0.2 * std::abs(std::log(kHyperMin)), 1e-7);
  EXPECT_EQ(r.local[0].i, 0);
}

TEST(V3Maxwell, CentredCoefficientIsTheRelationAtTheGridCentre) {
  // S + 0.1 R x^2: dS/dx - dS/dy = R (1 + 0.2 x). At x = 0 (eta = 1, the paper's convention, outside the grid) it is
  // still R; at the grid's centre xc = mean log eta it is R (1 + 0.2 xc) (closed form of the planted term).
  GridTable t = make_table(Protocol::fixed_lr);
  double xc = 0.0;
  for (auto& row : t.rows) {
    row.S += 0.1 * t.gas_constant() * std::pow(std::log(row.eta), 2);
    xc += std::log(row.eta) / static_cast<double>(t.rows.size());
  }
  const V3Result r = check_maxwell_relations(t);
  ASSERT_EQ(r.derived.size(), 4u);
  EXPECT_NEAR(r.derived[0].value, 1.0, kQuadTol);
  EXPECT_NEAR(r.derived[3].value, 1.0 + 0.2 * xc, kQuadTol);
}

TEST(V3Maxwell, RefusesTooSmallGrids) {
  GridTable t = make_table(Protocol::fixed_lr);
  t.n_first = 2;
  t.rows.resize(2 * kGridSize);
  EXPECT_THROW(check_maxwell_relations(t), InputError);
}

// The reported standard errors must describe the scatter of replicate fits: additive Gaussian noise of
// known sd on S, 200 replicates, fixed seed. The empirical sd of 200 draws is itself uncertain by ~5 %,
// so 20 % is a 4-sigma band.
TEST(V3Maxwell, ReportedStandardErrorsMatchReplicateSpread) {
  constexpr int kReplicates = 200;
  constexpr double kNoiseSd = 0.05;
  constexpr double kSeTolerance = 0.2;
  const GridTable exact = make_table(Protocol::fixed_lr);
  std::mt19937_64 rng(20240611);
  std::normal_distribution<double> noise(0.0, kNoiseSd);

  struct Tracked {
    const char* name;
    double truth;
    std::vector<double> values, ses;
  };
  Tracked sx{"slope_x/R", 1.0, {}, {}}, sy{"slope_y/R", 0.0, {}, {}}, d0{"(a1-a2)/R", 1.0, {}, {}},
      d2{"(2a4-a5)/R", 0.0, {}, {}}, v4{"V4 slope/R at eta index 8", 0.0, {}, {}};
  for (int rep = 0; rep < kReplicates; ++rep) {
    GridTable t = exact;
    for (auto& row : t.rows) {
      row.S += noise(rng);
      row.S_se = kNoiseSd;
    }
    const V3Result r = check_maxwell_relations(t);
    sx.values.push_back(r.slope_x.over_R), sx.ses.push_back(r.slope_x.over_R_se);
    sy.values.push_back(r.slope_y.over_R), sy.ses.push_back(r.slope_y.over_R_se);
    d0.values.push_back(r.derived[0].value), d0.ses.push_back(r.derived[0].se);
    d2.values.push_back(r.derived[2].value), d2.ses.push_back(r.derived[2].se);
    const V4Result a = check_adiabat(t);
    v4.values.push_back(a.lines[8].slope_over_R), v4.ses.push_back(a.lines[8].slope_over_R_se);
  }
  for (const Tracked* q : {&sx, &sy, &d0, &d2, &v4}) {
    double mean = 0, mean_se = 0;
    for (int k = 0; k < kReplicates; ++k) mean += q->values[k] / kReplicates, mean_se += q->ses[k] / kReplicates;
    double var = 0;
    for (double v : q->values) var += (v - mean) * (v - mean) / (kReplicates - 1);
    const double empirical_sd = std::sqrt(var);
    EXPECT_NEAR(mean_se / empirical_sd, 1.0, kSeTolerance) << q->name << ": SE " << mean_se << " vs sd " << empirical_sd;
    // Unbiased: |mean - truth| < 3 standard errors of the mean.
    EXPECT_LT(std::abs(mean - q->truth), 3.0 * empirical_sd / std::sqrt(kReplicates)) << q->name;
  }
}

// ------------------------------------------------------------------------------------------------- V4

TEST(V4Adiabat, EntropyIsConstantAlongEtaWhileTheRadiusMoves) {
  const V4Result r = check_adiabat(make_table(Protocol::fixed_lr));
  ASSERT_EQ(r.lines.size(), static_cast<size_t>(kGridSize));
  for (const auto& line : r.lines) {
    EXPECT_EQ(line.n_points, kGridSize);
    EXPECT_NEAR(line.slope_over_R, 0.0, kSlopeTol) << "eta index " << line.i;
    EXPECT_NEAR(line.S_sd, 0.0, 1e-12);
    EXPECT_NEAR(line.S_range, 0.0, 1e-12);
    EXPECT_NEAR(line.S_se_mean, kAssignedSSe, 1e-15);
    EXPECT_NEAR(line.log_r_slope, -0.25, kSlopeTol);  // r^4 = eta / lambda
    EXPECT_NEAR(line.log_r_change, -0.25 * std::log(kHyperMax / kHyperMin), 1e-12);
    EXPECT_NEAR(line.log_r_change_se, std::sqrt(2.0) * kAssignedRelRSe, 1e-15);
  }
  EXPECT_LT(r.summary.max_abs_slope_over_R, kSlopeTol);
  EXPECT_NEAR(r.summary.mean_S_se, kAssignedSSe, 1e-15);
  EXPECT_NEAR(r.summary.mean_log_r_change, -0.25 * std::log(kHyperMax / kHyperMin), 1e-12);
}

TEST(V4Adiabat, PlantedSlopeIsFoundOnItsLine) {
  GridTable t = make_table(Protocol::fixed_lr);
  for (int j = 0; j < kGridSize; ++j) at(t, 5, j).S += 0.3 * std::log(at(t, 5, j).lambda);
  const V4Result r = check_adiabat(t);
  EXPECT_EQ(r.summary.max_slope_i, 5);
  EXPECT_NEAR(r.summary.max_abs_slope_over_R, 0.3, 1e-10);
}

TEST(V4Adiabat, OnlyForFixedLr) {
  EXPECT_THROW(check_adiabat(make_table(Protocol::fixed_elr)), InputError);
  EXPECT_THROW(check_adiabat(make_table(Protocol::fixed_sphere)), InputError);
}

// ------------------------------------------------------------------------------------------------- report

TEST(ValidationReport, CollectsAllChecks) {
  const nlohmann::json lr = validation_report(make_table(Protocol::fixed_lr));
  for (const char* key : {"protocol", "d", "gas_constant", "n_first", "n_second", "v1", "v2", "v3", "v4"})
    EXPECT_TRUE(lr.contains(key)) << key;
  EXPECT_EQ(lr["protocol"], "lr");
  EXPECT_FALSE(lr["v1"].contains("error"));
  EXPECT_DOUBLE_EQ(lr["v2"]["all_summary"]["pass_rate"].get<double>(), 1.0);
  EXPECT_EQ(lr["v2"]["paper"].size(), 9u);
  EXPECT_NEAR(lr["v3"]["plane"]["slope_x"]["over_R"].get<double>(), 1.0, kSlopeTol);
  EXPECT_EQ(lr["v3"]["quadratic"]["derived"][0]["name"], "(a1-a2)/R");
  EXPECT_EQ(lr["v4"]["lines"].size(), static_cast<size_t>(kGridSize));
  // Round trip through text: NaN becomes null, everything else parses.
  const nlohmann::json reparsed = nlohmann::json::parse(lr.dump());
  EXPECT_EQ(reparsed["v3"]["n_points"], kGridSize * kGridSize);

  const nlohmann::json sphere = validation_report(make_table(Protocol::fixed_sphere));
  EXPECT_FALSE(sphere["v4"]["applicable"].get<bool>());
  EXPECT_EQ(sphere["v1"]["quantity"], "lambda_eff");

  // A 2-value axis cannot carry the quadratic: V3 records the error, the others still run.
  GridTable small = make_table(Protocol::fixed_elr);
  small.n_first = 2;
  small.rows.resize(2 * kGridSize);
  const nlohmann::json s = validation_report(small);
  EXPECT_TRUE(s["v3"].contains("error"));
  EXPECT_FALSE(s["v2"].contains("error"));

  const nlohmann::json map = to_json(potential_map(make_table(Protocol::fixed_lr), 2, 2));
  EXPECT_EQ(map["excess_over_T"].size(), static_cast<size_t>(kGridSize));
  nlohmann::json via_adl = check_adiabat(make_table(Protocol::fixed_lr));
  EXPECT_TRUE(via_adl.contains("summary"));
}

TEST(ValidationReport, RejectsMalformedTables) {
  GridTable t = make_table(Protocol::fixed_lr);
  t.rows.pop_back();
  EXPECT_THROW(check_potential_minimum(t), InputError);
  t = make_table(Protocol::fixed_lr);
  std::swap(t.rows[0], t.rows[1]);
  EXPECT_THROW(check_stationary_radius(t), InputError);
  t = make_table(Protocol::fixed_lr);
  at(t, 0, 0).lambda = -1.0;
  EXPECT_THROW(check_maxwell_relations(t), InputError);
}

}  // namespace
}  // namespace idealgas
