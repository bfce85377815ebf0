// The headline numbers of the isotropic-noise reproduction (DIR/checks.json) and the verdict table that compares
// them with theory in units of their standard errors (docs/outputs.md, "Verdict"): a check passes when the
// measured value is within max(3 SE, a stated floor) of theory; the paper's fixed tolerance (±0.03 on slopes,
// 2 % on radii) is printed beside it for comparison. Rows whose SEs the schedule flags are named, not averaged in
// silently.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// Headline checks of one protocol grid, e.g. for fixed LR {"dS_dlog_eta": {"value", "se", "over_R", "over_R_se",
/// "target_over_R"}, "dS_dlog_lambda", "maxwell_a1_minus_a2_over_R", "radius_one_step": {...},
/// "S_sphere_vs_vmf": {...}, "v2_pass_rate", "flagged_rows": [...], ...}. Slopes are raw dS/dlog(.) in nats;
/// over_R divides by (d-1)/2. Checks that need more grid points than the table has are recorded as
/// {"error": why}, never thrown.
nlohmann::json iso_headline_checks(const GridTable& table, const std::vector<std::string>& status);

/// One line of the verdict: a measured number against theory, in standard errors.
struct VerdictLine {
  std::string check;        // e.g. "lr  dS/dlog eta / R"
  double value = kNaN;      // measured
  double se = kNaN;         // its standard error (NaN if none)
  double theory = kNaN;     // what theory says (NaN for rate-type lines)
  double floor = kNaN;      // the stated floor of the tolerance (same units as value)
  double distance_se = kNaN;  // (value - theory) / se
  std::string target;       // what passes, e.g. "1 ± max(3 SE, 0.005)", ">= 0.95"
  bool pass = false;
  std::string paper_target;  // the paper-era fixed tolerance, e.g. "1 ± 0.03"; "" if none
  bool paper_pass = false;
};

/// Acceptance lines for the protocols present in `checks` (keys "lr", "elr", "sphere").
std::vector<VerdictLine> iso_verdict(const nlohmann::json& checks);

/// Fixed-width text table of the verdict lines, then the flagged rows, ending with
/// "verdict: N of M checks pass".
std::string format_verdict(const std::vector<VerdictLine>& lines, const nlohmann::json& checks);

}  // namespace idealgas
