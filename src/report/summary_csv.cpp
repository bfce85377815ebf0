#include "idealgas/report/summary_csv.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace idealgas {

namespace {

// The numeric columns, in order; i, j, protocol, duplicates, flags and status are written around them.
const SummaryColumn kColumns[] = {
    {"eta", &StationaryRow::eta},
    {"lambda", &StationaryRow::lambda},
    {"radius", &StationaryRow::radius},
    {"sigma2", &StationaryRow::sigma2},
    {"sigma2_se", &StationaryRow::sigma2_se},
    {"T", &StationaryRow::T},
    {"P", &StationaryRow::P},
    {"V", &StationaryRow::V},
    {"V_se", &StationaryRow::V_se},
    {"Z", &StationaryRow::Z},
    {"Z_se", &StationaryRow::Z_se},
    {"U", &StationaryRow::U},
    {"U_se", &StationaryRow::U_se},
    {"U_vmf", &StationaryRow::U_vmf},
    {"S_sphere", &StationaryRow::S_sphere},
    {"S_sphere_se", &StationaryRow::S_sphere_se},
    {"S_sphere_vmf", &StationaryRow::S_sphere_vmf},
    {"S", &StationaryRow::S},
    {"S_se", &StationaryRow::S_se},
    {"S_pred", &StationaryRow::S_pred},
    {"r_mean", &StationaryRow::r_mean},
    {"r_se", &StationaryRow::r_se},
    {"r_sde", &StationaryRow::r_sde},
    {"r_discrete", &StationaryRow::r_discrete},
    {"r_one_step", &StationaryRow::r_one_step},
    {"lambda_eff", &StationaryRow::lambda_eff},
    {"lambda_eff_se", &StationaryRow::lambda_eff_se},
    {"lambda_eff_sde", &StationaryRow::lambda_eff_sde},
    {"lambda_eff_discrete", &StationaryRow::lambda_eff_discrete},
    {"lambda_eff_one_step", &StationaryRow::lambda_eff_one_step},
    {"grad_norm_sq", &StationaryRow::grad_norm_sq},
    {"adjacent_nn_fraction", &StationaryRow::adjacent_nn_fraction},
    {"U_ess", &StationaryRow::U_ess},
    {"r_ess", &StationaryRow::r_ess},
    {"lambda_eff_ess", &StationaryRow::lambda_eff_ess},
    {"S_estimates", &StationaryRow::S_estimates},
    {"tau_U", &StationaryRow::tau_U},
    {"tau_r", &StationaryRow::tau_r},
    {"tau_model", &StationaryRow::tau_model},
    {"iterations", &StationaryRow::iterations},
    {"burn_in", &StationaryRow::burn_in},
    {"window", &StationaryRow::window},
    {"snapshot_stride", &StationaryRow::snapshot_stride},
};

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

const std::vector<SummaryColumn>& summary_csv_numeric_columns() {
  static const std::vector<SummaryColumn> columns(std::begin(kColumns), std::end(kColumns));
  return columns;
}

std::vector<std::string> summary_csv_columns() {
  std::vector<std::string> names = {"protocol", "i", "j"};
  for (const SummaryColumn& c : kColumns) names.emplace_back(c.name);
  names.emplace_back("duplicates");
  names.emplace_back("flags");
  names.emplace_back("status");
  return names;
}

std::string summary_csv(const GridTable& table, const std::vector<std::string>& status) {
  std::string out = fmt::format("{}\n", fmt::join(summary_csv_columns(), ","));
  for (std::size_t k = 0; k < table.rows.size(); ++k) {
    const StationaryRow& r = table.rows[k];
    out += fmt::format("{},{},{}", protocol_name(table.protocol), r.i, r.j);
    for (const SummaryColumn& c : kColumns) out += fmt::format(",{}", r.*(c.field));
    out += fmt::format(",{},{},{}\n", r.duplicates, csv_escape(r.flags), csv_escape(k < status.size() ? status[k] : "ok"));
  }
  return out;
}

}  // namespace idealgas
