// One configuration's stationary row as JSON: the "stationary" object of a run's summary.json (`simulate iso`
// writes it; `idealgas train` writes the same names). Written and read by the one column table that summary.csv
// uses (summary_csv_numeric_columns), so a row survives CSV -> JSON -> row bit for bit; NaN is written as null.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// {"eta": ..., "lambda": null, ..., "duplicates": n, "flags": "a;b"}: every numeric column of summary.csv by name.
nlohmann::json stationary_row_json(const StationaryRow& row);

/// The row back from such an object. Every known column is optional (NaN when absent or null); "flags" may be a
/// string ("a;b") or an array of strings (train's form); other keys are ignored. Throws InputError naming
/// `source`, the key and the value if a known key holds something else than a number (or null).
StationaryRow stationary_row_from_json(const nlohmann::json& stationary, const std::string& source);

}  // namespace idealgas
