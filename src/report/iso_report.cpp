#include "idealgas/report/iso_report.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/analyse/validation_checks.hpp"

namespace idealgas {

namespace {

// Acceptance targets (issue "Core library ... isotropic-noise reproduction"; the paper reports
// 1.0139 ± 0.0090, 0.0131 ± 0.0071 and -0.9989 ± 0.0052 for the d = 3 slopes).
constexpr double kMaxRadiusRelErr = 0.02;
constexpr double kMinV2PassRate = 0.95;

nlohmann::json slope_json(const V3Slope& s) {
  return {{"value", s.value}, {"se", s.se}, {"over_R", s.over_R}, {"over_R_se", s.over_R_se},
          {"target_over_R", s.target_over_R}};
}

}  // namespace

nlohmann::json iso_headline_checks(const GridTable& table) {
  nlohmann::json out;
  const V1Result v1 = check_stationary_radius(table);
  const V2Result v2 = check_potential_minimum(table);
  const V3Result v3 = check_maxwell_relations(table);
  const bool sphere = table.protocol == Protocol::fixed_sphere;
  const std::string radius_key = sphere ? "lambda_eff" : "radius";
  out[radius_key + "_max_rel_err"] = v1.sde_in_regime.max_abs_rel_err;
  out[radius_key + "_max_rel_err_se"] = v1.sde_in_regime.rel_err_se;
  out[radius_key + "_max_rel_err_regime"] = v1.regime_rule;
  out[radius_key + "_max_rel_err_discrete"] = v1.discrete_all.max_abs_rel_err;  // whole grid, App. H form
  out["v2_pass_rate"] = v2.all_summary.pass_rate;      // argmin at the reference or a grid neighbour
  out["v2_exact_rate"] = v2.all_summary.exact_rate;    // argmin exactly at the reference
  out["v2_paper_pass_rate"] = v2.paper_summary.pass_rate;
  out["v2_paper_exact_rate"] = v2.paper_summary.exact_rate;
  out["v2_min_gap_over_T"] = v2.all_summary.min_gap_over_T;
  switch (table.protocol) {
    case Protocol::fixed_lr:
      out["dS_dlog_eta"] = slope_json(v3.slope_x);
      out["dS_dlog_lambda"] = slope_json(v3.slope_y);
      break;
    case Protocol::fixed_elr:
      out["dS_dlog_eta_eff"] = slope_json(v3.slope_x);
      out["dS_dlog_lambda"] = slope_json(v3.slope_y);
      break;
    case Protocol::fixed_sphere:
      out["dS_dlog_eta_eff"] = slope_json(v3.slope_x);
      out["dS_dlog_r"] = slope_json(v3.slope_y);
      break;
  }
  nlohmann::json quad = nlohmann::json::object();
  for (const V3DerivedCoefficient& c : v3.derived)
    quad[c.name] = {{"value", c.value}, {"se", c.se}, {"target", c.target}};
  out["quadratic_fit"] = {{"coefficients", quad}, {"r_squared", v3.quadratic.r_squared}};
  if (!v3.local.empty()) out["maxwell_max_rel_err"] = v3.local.front().max_abs_rel_err;
  if (table.protocol == Protocol::fixed_lr) {
    const V4Result v4 = check_adiabat(table);
    out["v4_adiabat"] = {{"max_abs_slope_over_R", v4.summary.max_abs_slope_over_R},
                         {"max_abs_slope_over_R_se", v4.summary.slope_over_R_se},
                         {"mean_S_sd", v4.summary.mean_S_sd},
                         {"mean_S_se", v4.summary.mean_S_se},
                         {"sd_over_se", v4.summary.sd_over_se},
                         {"mean_log_r_change", v4.summary.mean_log_r_change}};
  }
  // Share of entropy samples whose nearest neighbour is the adjacent snapshot (theory.md §5): near 1
  // means the estimate measures the step size, not the stationary law.
  double adjacent = 0.0;
  int n = 0;
  for (const StationaryRow& r : table.rows)
    if (std::isfinite(r.adjacent_nn_fraction)) {
      adjacent += r.adjacent_nn_fraction;
      ++n;
    }
  out["mean_adjacent_nn_fraction"] = n > 0 ? adjacent / n : kNaN;
  return out;
}

std::vector<VerdictLine> iso_verdict(const nlohmann::json& checks, double slope_tolerance) {
  std::vector<VerdictLine> lines;
  auto number = [](const nlohmann::json& j) { return j.is_number() ? j.get<double>() : kNaN; };
  auto slope = [&](const std::string& proto, const std::string& key, const std::string& label) {
    if (!checks.contains(proto) || !checks[proto].contains(key)) return;
    const nlohmann::json& s = checks[proto][key];
    VerdictLine l;
    l.check = fmt::format("{:<6} {} / R", proto, label);
    l.value = number(s["over_R"]);
    l.se = number(s["over_R_se"]);
    const double target = number(s["target_over_R"]);
    l.target = fmt::format("{} ± {}", target, slope_tolerance);
    l.pass = std::abs(l.value - target) <= slope_tolerance;
    lines.push_back(l);
  };
  // A number that must stay on one side of a limit (upper: value <= limit; otherwise value >= limit).
  auto bound = [&](const std::string& proto, const std::string& key, double limit, bool upper,
                   const std::string& label) {
    if (!checks.contains(proto) || !checks[proto].contains(key)) return;
    VerdictLine l;
    l.check = fmt::format("{:<6} {}", proto, label);
    l.value = number(checks[proto][key]);
    l.target = fmt::format("{} {}", upper ? "<=" : ">=", limit);
    l.pass = upper ? l.value <= limit : l.value >= limit;
    lines.push_back(l);
  };
  slope("lr", "dS_dlog_eta", "dS/dlog eta");
  slope("lr", "dS_dlog_lambda", "dS/dlog lambda");
  slope("elr", "dS_dlog_lambda", "dS/dlog lambda");
  bound("lr", "radius_max_rel_err", kMaxRadiusRelErr, true, "radius max rel. error (SDE regime)");
  bound("elr", "radius_max_rel_err", kMaxRadiusRelErr, true, "radius max rel. error (SDE regime)");
  bound("sphere", "lambda_eff_max_rel_err", kMaxRadiusRelErr, true, "lambda_eff max rel. error (SDE regime)");
  for (const char* p : {"lr", "elr", "sphere"}) bound(p, "v2_pass_rate", kMinV2PassRate, false, "V2 pass rate");
  return lines;
}

std::string format_verdict(const std::vector<VerdictLine>& lines) {
  std::string out = fmt::format("{:<48} {:>22}  {:<14} {}\n", "check", "measured", "target", "verdict");
  int passed = 0;
  for (const VerdictLine& l : lines) {
    const std::string measured =
        std::isfinite(l.se) ? fmt::format("{:.4f} ± {:.4f}", l.value, l.se) : fmt::format("{:.4f}", l.value);
    out += fmt::format("{:<48} {:>22}  {:<14} {}\n", l.check, measured, l.target, l.pass ? "pass" : "FAIL");
    passed += l.pass ? 1 : 0;
  }
  out += fmt::format("verdict: {} of {} checks meet their targets\n", passed, lines.size());
  return out;
}

}  // namespace idealgas
