// CSV text as records of fields (RFC 4180: fields separated by commas, records by \n or \r\n, a quoted field may
// hold commas, newlines and doubled quotes; blank lines are skipped). The one CSV splitter of the project: summary.csv's
// reader and the readers of run time series (trace.csv) use it.
#pragma once

#include <string>
#include <vector>

namespace idealgas {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

/// Throws InputError naming `source` and the line for a stray or unclosed quote.
std::vector<CsvRecord> split_csv(const std::string& text, const std::string& source);

}  // namespace idealgas
