// summary.csv of a protocol grid: one row per configuration, measurement beside theory. Floats are written
// in shortest round-trip form (reading them back gives the same bits); NaN means "not defined for this
// protocol" (e.g. lambda on the sphere). Column meanings: docs/outputs.md.
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// CSV text with a header line. `status[k]` ("ok" or what went wrong) is written for row k; it may be
/// empty (all "ok"). Commas and quotes inside a status are escaped per RFC 4180.
std::string summary_csv(const GridTable& table, const std::vector<std::string>& status = {});

/// The column names, in order.
std::vector<std::string> summary_csv_columns();

/// One numeric column: its name and the StationaryRow field it holds (the one table the writer and the reader
/// share).
struct SummaryColumn {
  const char* name;
  double StationaryRow::*field;
};
/// The numeric columns in the order they are written.
const std::vector<SummaryColumn>& summary_csv_numeric_columns();

}  // namespace idealgas
