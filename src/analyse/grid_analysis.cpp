#include "idealgas/analyse/grid_analysis.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/analyse/compressibility.hpp"
#include "idealgas/analyse/paper_table4.hpp"
#include "idealgas/analyse/sigma2_collapse.hpp"
#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/file_stem.hpp"

namespace idealgas {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Rows beyond this many SE count against a law; with honest Gaussian SEs a row falls beyond 2 SE with probability
// kBeyondByChance = P(|N(0,1)| > 2).
constexpr double kZRowSe = 2.0, kBeyondByChance = 0.0455;
// A law is rejected when so many rows fall beyond 2 SE that chance alone would give as many with probability below
// this (the binomial tail): 3 of 9 rows (p = 0.007) reject, 2 of 9 (p = 0.06) do not; 5 of 25 (p = 0.006) reject.
constexpr double kRejectP = 0.01;

// P(at least k of n independent rows beyond 2 SE by chance).
double binomial_tail(int k, int n) {
  double tail = 0.0;
  for (int m = k; m <= n; ++m)
    tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(m + 1.0) - std::lgamma(n - m + 1.0) +
                     m * std::log(kBeyondByChance) + (n - m) * std::log1p(-kBeyondByChance));
  return std::min(1.0, tail);
}

std::string law_verdict(const char* law, int beyond, int n) {
  const double p = binomial_tail(beyond, n);
  return fmt::format("{} of {} rows beyond {:g} SE of {}: {} (chance alone gives at least as many with p = {:.2g})",
                     beyond, n, kZRowSe, law, p < kRejectP ? "rejected" : "consistent", p);
}

// Z = PV/(RT) of every row, against the ideal gas (Z = 1) and against the ideal gas with the discrete-time term of
// the full gradient (Z_one_step = 1 + G / Tr Sigma to first order, docs/theory.md §7): the physics half of V1.
nlohmann::json compressibility_json(const AssembledGrid& g) {
  const GridTable& t = g.table;
  nlohmann::json rows = nlohmann::json::array();
  double sum = 0.0, worst = kNaN, worst_se = kNaN, worst_z = kNaN, worst_z_one_step = kNaN;
  int n = 0, n_one_step = 0, beyond_ideal = 0, beyond_one_step = 0;
  for (const StationaryRow& r : t.rows) {
    const Compressibility z = compressibility(t, r);
    const double distance = z.Z_se > 0.0 ? (z.Z - 1.0) / z.Z_se : kNaN;
    const double one_step_se = std::hypot(z.Z_se, std::isfinite(r.Z_one_step_se) ? r.Z_one_step_se : 0.0);
    const double distance_one_step = one_step_se > 0.0 ? (z.Z - r.Z_one_step) / one_step_se : kNaN;
    rows.push_back({{"i", r.i},
                    {"j", r.j},
                    {"eta", number(r.eta)},
                    {t.protocol == Protocol::fixed_sphere ? "radius" : "lambda",
                     number(t.protocol == Protocol::fixed_sphere ? r.radius : r.lambda)},
                    {"Z", number(z.Z)},
                    {"Z_se", number(z.Z_se)},
                    {"Z_minus_1_over_se", number(distance)},
                    {"Z_one_step", number(r.Z_one_step)},
                    {"grad_share", number(r.grad_share)},
                    {"Z_minus_Z_one_step_over_se", number(distance_one_step)},
                    {"flags", r.flags}});
    if (!std::isfinite(z.Z)) continue;
    sum += z.Z;
    ++n;
    if (std::isfinite(distance) && std::abs(distance) > kZRowSe) ++beyond_ideal;
    if (std::isfinite(distance_one_step)) {
      ++n_one_step;
      if (std::abs(distance_one_step) > kZRowSe) ++beyond_one_step;
      if (!(std::abs(distance_one_step) <= std::abs(worst_z_one_step))) worst_z_one_step = distance_one_step;
    }
    if (!(std::abs(z.Z - 1.0) <= std::abs(worst - 1.0))) {
      worst = z.Z;
      worst_se = z.Z_se;
    }
    if (std::isfinite(distance) && !(std::abs(distance) <= std::abs(worst_z))) worst_z = distance;
  }
  const auto share = [](int k, int of) { return of > 0 ? static_cast<double>(k) / of : kNaN; };
  // In words: what the rows say about Z = 1 and about Z = Z_one_step, and which rows have no Z.
  std::string verdict;
  const int without = static_cast<int>(t.rows.size()) - n;
  if (n == 0) {
    verdict = "no row has a finite Z (no positive Tr Sigma or radius): nothing to judge";
  } else {
    verdict = "Z = 1 (ideal gas): " + law_verdict("Z = 1", beyond_ideal, n);
    if (n_one_step > 0)
      verdict += "; Z = Z_one_step (ideal gas + the full gradient's discrete-time term, 1 + G/Tr Sigma): " +
                 law_verdict("Z_one_step", beyond_one_step, n_one_step);
  }
  if (without > 0)
    verdict += fmt::format("; {} of {} rows have no Z (no positive Tr Sigma, or no measurement: see their flags)",
                           without, t.rows.size());
  return {{"rows", rows},
          {"n", n},
          {"mean", number(n > 0 ? sum / n : kNaN)},
          {"max_abs_Z_minus_1", number(std::abs(worst - 1.0))},
          {"at_max_Z", number(worst)},
          {"at_max_Z_se", number(worst_se)},
          {"max_abs_Z_minus_1_over_se", number(std::abs(worst_z))},
          {"beyond_2_se_of_1", beyond_ideal},
          {"share_beyond_2_se_of_1", number(share(beyond_ideal, n))},
          {"n_with_Z_one_step", n_one_step},
          {"beyond_2_se_of_Z_one_step", beyond_one_step},
          {"share_beyond_2_se_of_Z_one_step", number(share(beyond_one_step, n_one_step))},
          {"max_abs_Z_minus_Z_one_step_over_se", number(std::abs(worst_z_one_step))},
          {"rows_without_Z", static_cast<int>(t.rows.size()) - n},
          {"p_beyond_2_se_of_1", number(n > 0 ? binomial_tail(beyond_ideal, n) : kNaN)},
          {"p_beyond_2_se_of_Z_one_step", number(n_one_step > 0 ? binomial_tail(beyond_one_step, n_one_step) : kNaN)},
          {"verdict", verdict}};
}

// Table 4 split into the parts of S = S(rho_w_hat) + (d-1) log r_bar (fixed LR and ELR): the same quadratic fitted
// to each part gives coefficients that add up to the total's. In both protocols the theory's Maxwell target comes
// from the radius term alone (the angular part's derivative cancels or vanishes), so a Table-4 pass says nothing of
// the entropy estimate; the angular column shows what the entropy contributes, with the share of queue samples whose
// nearest neighbour is an adjacent snapshot beside it (near 1: the estimate measures the step size).
nlohmann::json table4_parts(const GridTable& t) {
  if (t.protocol == Protocol::fixed_sphere) return nullptr;  // the sphere fits S(rho_w_hat) itself
  GridTable radius = t, angular = t;
  double adjacent_sum = 0.0, adjacent_max = kNaN;
  int adjacent_n = 0;
  for (std::size_t k = 0; k < t.rows.size(); ++k) {
    radius.rows[k].S = t.rows[k].S - t.rows[k].S_sphere;
    angular.rows[k].S = t.rows[k].S_sphere;
    const double a = t.rows[k].adjacent_nn_fraction;
    if (std::isfinite(a)) {
      adjacent_sum += a;
      ++adjacent_n;
      if (!(a <= adjacent_max)) adjacent_max = a;
    }
  }
  nlohmann::json out = {{"adjacent_nn_fraction_mean", number(adjacent_n > 0 ? adjacent_sum / adjacent_n : kNaN)},
                        {"adjacent_nn_fraction_max", number(adjacent_max)}};
  try {
    const V3Result total = check_maxwell_relations(t), r = check_maxwell_relations(radius),
                   a = check_maxwell_relations(angular);
    nlohmann::json values = nlohmann::json::array();
    for (std::size_t k = 0; k < total.derived.size(); ++k)
      values.push_back({{"name", total.derived[k].name},
                        {"total", number(total.derived[k].value)},
                        {"radius", number(r.derived[k].value)},
                        {"radius_se", number(r.derived[k].se)},
                        {"angular", number(a.derived[k].value)},
                        {"angular_se", number(a.derived[k].se)}});
    out["values"] = values;
  } catch (const InputError& e) {
    out["error"] = e.what();
  }
  return out;
}

}  // namespace

std::string grid_file_stem(const AssembledGrid& g) {
  // The group is a value (any characters, any length): an injective, bounded encoding (core/file_stem.hpp).
  constexpr std::string_view kGroupNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.=-_";
  const std::string stem = protocol_name(g.table.protocol);
  return g.group.empty() ? stem : stem + "_" + file_stem(g.group, kGroupNameChars);
}

nlohmann::json analyse_grid(const AssembledGrid& g, const GridAnalysisOptions& options) {
  const GridTable& t = g.table;
  nlohmann::json out = validation_report(t);  // protocol, d, R, shape, v1..v4 (each or its error)
  out["group"] = g.group;
  out["max_replicas"] = g.max_replicas;
  nlohmann::json missing = nlohmann::json::array();
  for (std::size_t k = 0; k < g.status.size(); ++k)
    if (g.status[k] != "ok")
      missing.push_back({{"i", t.rows[k].i}, {"j", t.rows[k].j}, {"eta", number(t.rows[k].eta)}, {"why", g.status[k]}});
  out["points_without_result"] = missing;
  out["sigma2_collapse"] = to_json(check_sigma2_collapse(t));
  double t_min = kNaN, t_max = kNaN;
  for (const StationaryRow& r : t.rows) {
    if (!std::isfinite(r.T)) continue;
    t_min = std::isnan(t_min) ? r.T : std::min(t_min, r.T);
    t_max = std::isnan(t_max) ? r.T : std::max(t_max, r.T);
  }
  out["temperature"] = {{"min", number(t_min)}, {"max", number(t_max)}};
  Table4 table4 = maxwell_table4(g, options.table4);
  if (!options.paper_setup.empty())
    for (const PaperTable4Value& paper : paper_table4(options.paper_setup, t.protocol))
      for (Table4Value& v : table4.values)
        if (v.name == paper.name) v.paper = paper.value;
  out["table4"] = to_json(table4);
  out["table4_parts"] = table4_parts(t);
  out["compressibility"] = compressibility_json(g);
  nlohmann::json calibration = nlohmann::json::array();
  for (const ReplicaCalibration& c : replica_calibration(g))
    calibration.push_back({{"quantity", c.quantity}, {"sd_over_se", number(c.sd_over_se)}, {"n_points", c.n_points}});
  out["replica_calibration"] = calibration;
  return out;
}

}  // namespace idealgas
