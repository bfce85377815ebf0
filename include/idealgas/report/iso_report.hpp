// The headline numbers of the isotropic-noise reproduction (DIR/checks.json) and the verdict table that
// compares them with the acceptance targets (the paper's values, reference-setup.md §1).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// Headline checks of one protocol grid, e.g. for fixed LR {"dS_dlog_eta": {"value", "se", "over_R",
/// "over_R_se"}, "dS_dlog_lambda": {...}, "radius_max_rel_err", "radius_max_rel_err_discrete",
/// "v2_pass_rate", "v2_exact_rate", ...}. Slopes are raw dS/dlog(.) in nats; over_R divides by (d-1)/2.
nlohmann::json iso_headline_checks(const GridTable& table);

/// One line of the verdict: a measured number against its target and tolerance.
struct VerdictLine {
  std::string check;     // e.g. "lr  dS/dlog eta / R"
  double value = kNaN;   // measured
  double se = kNaN;      // its standard error (NaN if none)
  std::string target;    // e.g. "1 ± 0.03", "<= 0.02"
  bool pass = false;
};

/// Acceptance lines for the protocols present in `checks` (keys "lr", "elr", "sphere"): slopes / R within
/// `slope_tolerance` of their targets (absolute, in units of R), radius / lambda_eff errors <= 2 %, V2 pass
/// rates >= 0.95.
std::vector<VerdictLine> iso_verdict(const nlohmann::json& checks, double slope_tolerance);

/// Fixed-width text table of the verdict lines, ending with "verdict: N of M checks meet their targets".
std::string format_verdict(const std::vector<VerdictLine>& lines);

}  // namespace idealgas
