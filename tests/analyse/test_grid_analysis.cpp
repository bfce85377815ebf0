// Grid assembly, replica combination, the sigma^2 collapse check and V3 as Table 4 with bootstrap SEs, on grids whose
// answers are known by construction: exact quadratics, sigma^2 built as a function of eta*lambda (with and without a
// lambda tilt), replicas with a known noise level.
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_analysis.hpp"
#include "idealgas/analyse/grid_assembly.hpp"
#include "idealgas/analyse/maxwell_table4.hpp"
#include "idealgas/analyse/paper_table4.hpp"
#include "idealgas/analyse/sigma2_collapse.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

const std::vector<double> kEta = {1e-3, 3e-3, 1e-2, 3e-2};
const std::vector<double> kLambda = {1e-3, 1e-2, 1e-1};

// S = quadratic in (x, y) = (log eta, log lambda) with coefficients a; fixed LR, d = 3 (R = 1).
double quadratic(const std::vector<double>& a, double eta, double lambda) {
  const double x = std::log(eta), y = std::log(lambda);
  return a[0] + a[1] * x + a[2] * y + a[3] * x * x + a[4] * y * y + a[5] * x * y;
}

std::vector<GridPoint> lr_points(const std::vector<double>& a, int replicas, double noise_sd, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  std::vector<GridPoint> out;
  // Out of grid order on purpose: assembly sorts by value.
  for (auto it = kEta.rbegin(); it != kEta.rend(); ++it)
    for (double lambda : kLambda)
      for (int r = 0; r < replicas; ++r) {
        GridPoint p;
        p.protocol = Protocol::fixed_lr;
        p.d = 3;
        p.first = *it;
        p.second = lambda;
        p.replica = r;
        p.row.S = quadratic(a, *it, lambda) + (noise_sd > 0 ? noise(rng) : 0.0);
        p.row.S_se = noise_sd;
        p.row.U = 0.1 * r;
        p.row.U_se = 0.01;
        p.row.U_ess = 100;
        p.row.sigma2 = 2.0;
        out.push_back(p);
      }
  return out;
}

TEST(GridAssembly, SortsPointsIntoTheGridAndCombinesReplicas) {
  const std::vector<AssembledGrid> grids = assemble_grids(lr_points({0, 1, 0, 0, 0, 0}, 3, 0.0, 1));
  ASSERT_EQ(grids.size(), 1u);
  const AssembledGrid& g = grids.front();
  EXPECT_EQ(g.table.n_first, 4);
  EXPECT_EQ(g.table.n_second, 3);
  EXPECT_EQ(g.max_replicas, 3);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      const StationaryRow& row = g.table.at(i, j);
      EXPECT_EQ(row.eta, kEta[static_cast<std::size_t>(i)]);
      EXPECT_EQ(row.lambda, kLambda[static_cast<std::size_t>(j)]);
      EXPECT_TRUE(std::isnan(row.radius));
      EXPECT_DOUBLE_EQ(row.U, 0.1);                           // mean of 0, 0.1, 0.2
      EXPECT_NEAR(row.U_se, 0.1 / std::sqrt(3.0), 1e-15);     // the spread (sd 0.1 / sqrt 3) beats sqrt(3e-4)/3
      EXPECT_DOUBLE_EQ(row.U_ess, 300);                       // effective sample sizes add up
      EXPECT_EQ(g.replicas[static_cast<std::size_t>(i * 3 + j)].size(), 3u);
    }
}

// A replica mean's SE: propagated from the replicas' own SEs when they cover the spread between replicas, from the
// spread when it is larger (the within-run SEs then missed something).
TEST(GridAssembly, CombinedSeIsTheLargerOfPropagatedAndSpread) {
  StationaryRow a, b;
  a.U = 1.0, b.U = 1.001, a.U_se = b.U_se = 0.01;  // spread 0.0005 < propagated sqrt(2) 0.01 / 2
  a.r_mean = 2.0, b.r_mean = 2.4, a.r_se = b.r_se = 0.01;  // spread 0.2 > propagated 0.0071
  a.S = 5.0, b.S = kNaN, a.S_se = 0.3, b.S_se = kNaN;  // one finite value: propagated over the finite SEs
  a.S_sphere = 1.0, b.S_sphere = 1.6;  // no SEs of their own (NaN): the spread is the SE
  a.T = b.T = 0.005, a.T_se = b.T_se = 0.0;  // identical values, exact SEs: exactly 0, not a rounding residue
  const StationaryRow c = combine_replicas({a, b});
  EXPECT_DOUBLE_EQ(c.U_se, std::sqrt(2.0) * 0.01 / 2);
  EXPECT_NEAR(c.r_se, 0.2, 1e-12);  // sd of {2.0, 2.4} = 0.2 sqrt 2, over sqrt 2
  EXPECT_DOUBLE_EQ(c.S_se, 0.3);
  EXPECT_NEAR(c.S_sphere_se, 0.3, 1e-12);
  EXPECT_EQ(c.T_se, 0.0);
}

TEST(GridAssembly, MissingPointsAndGroupsAndDuplicates) {
  std::vector<GridPoint> points = lr_points({0, 1, 0, 0, 0, 0}, 1, 0.0, 1);
  points[0].status = "failed: out of memory";  // eta = 3e-2, lambda = 1e-3
  points.pop_back();                           // eta = 1e-3, lambda = 1e-1: never ran
  GridPoint other = points[1];
  other.group = "width=8";
  points.push_back(other);
  const std::vector<AssembledGrid> grids = assemble_grids(points);
  ASSERT_EQ(grids.size(), 2u);
  const AssembledGrid& g = grids.front();
  EXPECT_EQ(g.status[static_cast<std::size_t>(3 * 3 + 0)], "failed: out of memory");
  EXPECT_TRUE(std::isnan(g.table.at(3, 0).S));
  EXPECT_EQ(g.status[2], "missing: no run of this point");
  EXPECT_EQ(grids[1].group, "width=8");
  EXPECT_EQ(grids[1].table.rows.size(), 1u);
  points.push_back(points[2]);  // the same replica of the same point twice
  EXPECT_THROW(assemble_grids(points), InputError);
}

TEST(ReplicaCalibration, RecoversTheRatioOfSpreadToReportedSe) {
  // Replicas scattered with sd 0.02 but reporting SE 0.01: the ratio is 2 (to the sampling error of 12 x 8 draws).
  std::vector<GridPoint> points = lr_points({0, 1, 0, 0, 0, 0}, 8, 0.02, 7);
  for (GridPoint& p : points) p.row.S_se = 0.01;
  const std::vector<ReplicaCalibration> c = replica_calibration(assemble_grids(points).front());
  for (const ReplicaCalibration& q : c) {
    if (q.quantity != "S") continue;
    EXPECT_EQ(q.n_points, 12);
    EXPECT_NEAR(q.sd_over_se, 2.0, 0.25);  // 84 degrees of freedom: relative SE of an sd ~ 1/sqrt(2 * 84) = 8 %
  }
}

TEST(Sigma2Collapse, ExactOnACurveOfEtaLambdaAndMeasuresATilt) {
  GridTable t;
  t.protocol = Protocol::fixed_lr;
  t.d = 10;
  t.n_first = static_cast<int>(kEta.size());
  t.n_second = static_cast<int>(kLambda.size());
  const auto fill = [&](double tilt) {
    t.rows.clear();
    for (int i = 0; i < t.n_first; ++i)
      for (int j = 0; j < t.n_second; ++j) {
        StationaryRow r;
        r.i = i;
        r.j = j;
        r.eta = kEta[static_cast<std::size_t>(i)];
        r.lambda = kLambda[static_cast<std::size_t>(j)];
        const double u = std::log(r.eta * r.lambda);
        r.sigma2 = std::exp(0.3 + 0.2 * u + 0.01 * u * u) * std::pow(r.lambda, tilt);
        t.rows.push_back(r);
      }
  };
  fill(0.0);
  Sigma2Collapse c = check_sigma2_collapse(t);
  ASSERT_TRUE(c.error.empty()) << c.error;
  EXPECT_FALSE(c.constant);
  EXPECT_NEAR(c.other_slope, 0.0, 1e-10);   // the curve explains everything
  EXPECT_LT(c.residual_sd, 1e-10);
  fill(0.3);
  c = check_sigma2_collapse(t);
  EXPECT_NEAR(c.other_slope, 0.3, 1e-10);   // sigma^2 ∝ lambda^0.3 along lambda at fixed eta*lambda
  for (StationaryRow& r : t.rows) r.sigma2 = 1.0;
  EXPECT_TRUE(check_sigma2_collapse(t).constant);
}

TEST(MaxwellTable4, ExactQuadraticGivesItsCoefficientsAndNoSpread) {
  // Fixed LR with (a1 - a2)/R = 1.2, (2a3 - a5)/R = 0.1, (2a4 - a5)/R = -0.04 (R = 1).
  const std::vector<double> a = {0.5, 1.0, -0.2, 0.08, 0.01, 0.06};
  const AssembledGrid g = assemble_grids(lr_points(a, 1, 0.0, 1)).front();
  Table4Options options;
  options.n_bootstrap = 200;
  const Table4 t = maxwell_table4(g, options);
  ASSERT_TRUE(t.error.empty()) << t.error;
  EXPECT_EQ(t.resampling, "grid points (cases)");
  ASSERT_EQ(t.values.size(), 6u);
  EXPECT_EQ(t.values[0].name, "(a1-a2)/R");
  EXPECT_NEAR(t.values[0].value, 1.2, 1e-9);
  EXPECT_NEAR(t.values[1].value, 0.1, 1e-9);
  EXPECT_NEAR(t.values[2].value, -0.04, 1e-9);
  EXPECT_EQ(t.values[3].name, "(a1-a2)/R (centred)");
  double xc = 0.0, yc = 0.0;  // the grid's centre in log space
  for (double eta : kEta) xc += std::log(eta) / static_cast<double>(kEta.size());
  for (double lambda : kLambda) yc += std::log(lambda) / static_cast<double>(kLambda.size());
  EXPECT_NEAR(t.values[3].value, 1.2 + 0.1 * xc + 0.04 * yc, 1e-9);  // (a1-a2) + (2a3-a5) xc - (2a4-a5) yc
  EXPECT_NEAR(t.values[5].value, 1.0, 1e-12);  // R^2
  EXPECT_GT(t.n_used, 100);
  // Every resample fits the same quadratic (to the rounding of a least-squares solve on repeated points).
  for (const Table4Value& v : t.values) EXPECT_LT(v.bootstrap_se, 1e-6) << v.name;
}

TEST(MaxwellTable4, ReplicaBootstrapMatchesTheFitsOwnStandardError) {
  // Noise sd 0.05 per replica, 6 replicas: the fit's OLS SE and the bootstrap over replicas estimate the same spread;
  // the bootstrap of 6 replicas is low by sqrt(5/6) in expectation, and both are noisy (a few 10 %).
  const std::vector<double> a = {0.5, 1.0, 0.0, 0.0, 0.0, 0.0};
  const AssembledGrid g = assemble_grids(lr_points(a, 6, 0.05, 3)).front();
  Table4Options options;
  options.n_bootstrap = 400;
  const Table4 t = maxwell_table4(g, options);
  ASSERT_TRUE(t.error.empty()) << t.error;
  EXPECT_EQ(t.resampling, "replicas within grid points");
  EXPECT_EQ(t.n_used, 400);
  const double ratio = t.values[0].bootstrap_se / t.values[0].ols_se;
  EXPECT_GT(ratio, 0.6);
  EXPECT_LT(ratio, 1.4);
  EXPECT_NEAR(t.values[0].value, 1.0, 4 * t.values[0].ols_se);
}

TEST(MaxwellTable4, PaperValuesAreFilledWhereTheSetupMatches) {
  GridAnalysisOptions options;
  options.table4.n_bootstrap = 10;
  options.paper_setup = "convnet-cifar10";
  const nlohmann::json j = analyse_grid(assemble_grids(lr_points({0, 1, 0, 0, 0, 0}, 1, 0.0, 1)).front(), options);
  EXPECT_EQ(j["table4"]["values"][0]["name"], "(a1-a2)/R");
  EXPECT_DOUBLE_EQ(j["table4"]["values"][0]["paper"].get<double>(), 0.989);   // docs/paper-setup.md §2, ConvNet C10
  // Re-centred at the paper's ConvNet C10 grid centre eta = lambda = 1e-2: 0.989 - 0.038 log(1e-2) + 0.033 log(1e-2).
  EXPECT_NEAR(j["table4"]["values"][3]["paper"].get<double>(), 0.989 + 0.005 * std::log(100.0), 1e-12);
  EXPECT_DOUBLE_EQ(j["table4"]["values"][5]["paper"].get<double>(), 0.993);
  EXPECT_TRUE(j["sigma2_collapse"]["constant"].get<bool>());
  EXPECT_EQ(j["compressibility"]["n"], 0);  // no radius in these rows: no Z
  EXPECT_THROW(paper_table4("convnet-cifar11", Protocol::fixed_lr), InputError);
  EXPECT_TRUE(paper_table4("resnet18-cifar100", Protocol::fixed_sphere).empty());
}

TEST(MaxwellTable4, TooFewValuesPerAxisIsRecordedNotThrown) {
  std::vector<GridPoint> points;
  for (const GridPoint& p : lr_points({0, 1, 0, 0, 0, 0}, 1, 0.0, 1))
    if (p.second != kLambda.back()) points.push_back(p);  // two lambdas
  const Table4 t = maxwell_table4(assemble_grids(points).front());
  EXPECT_NE(t.error.find("needs >= 3 distinct values per axis"), std::string::npos) << t.error;
}

}  // namespace
}  // namespace idealgas
