#include "idealgas/report/summary_csv.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace idealgas {

namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

const std::vector<SummaryColumn>& summary_csv_numeric_columns() { return stationary_row_columns(); }

std::vector<std::string> summary_csv_columns() {
  std::vector<std::string> names = {"protocol", "i", "j"};
  for (const SummaryColumn& c : stationary_row_columns()) names.emplace_back(c.name);
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
    for (const SummaryColumn& c : stationary_row_columns()) out += fmt::format(",{}", r.*(c.field));
    out += fmt::format(",{},{},{}\n", r.duplicates, csv_escape(r.flags), csv_escape(k < status.size() ? status[k] : "ok"));
  }
  return out;
}

}  // namespace idealgas
