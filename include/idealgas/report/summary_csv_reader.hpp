// Reads a protocol grid's summary.csv (written by summary_csv(), docs/outputs.md) back into a GridTable.
// Columns are found by name in any order: the thermodynamic core is required, every other known column is
// optional (NaN when absent), and columns this reader does not know (added by newer writers) are kept by
// name. The file must hold every (i, j) of its grid exactly once, with one hyperparameter value per index.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

struct SummaryCsv {
  GridTable table;                   // rows in grid order (i * n_second + j)
  std::vector<std::string> status;   // [rows]: "ok" or what went wrong
  std::vector<std::string> columns;  // header names, as in the file
  /// Numeric columns with no GridTable field (e.g. effective sample sizes), [rows] in grid order; a column
  /// with any non-numeric value is not kept.
  std::map<std::string, std::vector<double>> extra;
  std::vector<std::string> missing_optional;  // known optional columns absent from the file

  bool has_column(const std::string& name) const;
  /// Rows whose status is not "ok".
  int n_failed() const;
};

/// The columns every summary.csv must have; the second axis is lambda (lr, elr) or radius (sphere).
std::vector<std::string> summary_csv_required_columns(Protocol protocol);

/// Parses CSV text (RFC 4180 quoting). `source` names the file in errors; `d` and `sigma2` are the run's
/// (summary.csv has no column for them). Throws InputError with one line: source, line, column, the value
/// as written and what is accepted.
SummaryCsv parse_summary_csv(const std::string& text, const std::string& source, long long d, double sigma2);

/// Reads and parses `file`; IoError if it cannot be read.
SummaryCsv read_summary_csv(const std::filesystem::path& file, long long d, double sigma2);

}  // namespace idealgas
