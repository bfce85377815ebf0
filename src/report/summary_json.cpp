#include "idealgas/report/summary_json.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/report/summary_csv.hpp"

namespace idealgas {

namespace {

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json stationary_row_json(const StationaryRow& row) {
  nlohmann::json out = nlohmann::json::object();
  for (const SummaryColumn& c : summary_csv_numeric_columns()) out[c.name] = number_or_null(row.*(c.field));
  out["duplicates"] = row.duplicates;
  out["flags"] = row.flags;
  return out;
}

StationaryRow stationary_row_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object())
    throw InputError(fmt::format("{}: 'stationary' must be an object of numbers, got {}", source, j.dump()));
  StationaryRow row;
  for (const SummaryColumn& c : summary_csv_numeric_columns()) {
    const auto it = j.find(c.name);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number())
      throw InputError(fmt::format("{}: stationary '{}' must be a number or null, got {}", source, c.name, it->dump()));
    row.*(c.field) = it->get<double>();
  }
  if (const auto it = j.find("duplicates"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0)
      throw InputError(fmt::format("{}: stationary 'duplicates' must be a count, got {}", source, it->dump()));
    row.duplicates = it->get<long long>();
  }
  if (const auto it = j.find("flags"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      row.flags = it->get<std::string>();
    } else if (it->is_array()) {
      for (const nlohmann::json& f : *it) {
        if (!f.is_string())
          throw InputError(fmt::format("{}: stationary 'flags' must hold strings, got {}", source, f.dump()));
        row.flags += (row.flags.empty() ? "" : ";") + f.get<std::string>();
      }
    } else {
      throw InputError(fmt::format("{}: stationary 'flags' must be a string or an array of strings, got {}", source,
                                   it->dump()));
    }
  }
  return row;
}

}  // namespace idealgas
