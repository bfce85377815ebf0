#include "idealgas/report/summary_csv_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/report/csv_records.hpp"
#include "idealgas/report/summary_csv.hpp"

namespace idealgas {

namespace {

// Non-numeric or integer columns handled by name.
const char* const kProtocolColumn = "protocol";
const char* const kStatusColumn = "status";
const char* const kDuplicatesColumn = "duplicates";
const char* const kFlagsColumn = "flags";

/// A float as written by fmt ("0.001", "1e-05", "nan", "inf", "-inf"); the whole field must be the number.
bool parse_double(const std::string& s, double& out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  // ERANGE on underflow still gives the nearest representable value; only overflow to ±inf is refused,
  // except where "inf" is written.
  if (end != s.c_str() + s.size()) return false;
  if (errno == ERANGE && std::isinf(out)) return false;
  return true;
}

bool parse_int(const std::string& s, long long& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
}

std::string second_axis(Protocol p) { return p == Protocol::fixed_sphere ? "radius" : "lambda"; }

}  // namespace

bool SummaryCsv::has_column(const std::string& name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

int SummaryCsv::n_failed() const {
  return static_cast<int>(std::count_if(status.begin(), status.end(), [](const std::string& s) { return s != "ok"; }));
}

std::vector<std::string> summary_csv_required_columns(Protocol protocol) {
  return {kProtocolColumn, "i", "j", "eta", second_axis(protocol), "T", "P", "V", "U", "S"};
}

SummaryCsv parse_summary_csv(const std::string& text, const std::string& source, long long d, double sigma2) {
  SummaryCsv out;
  out.table.d = require_dimension("d (run.json config)", d);
  require_positive("sigma2 (run.json config)", sigma2);  // rows without a sigma2 column take the run's
  const std::vector<CsvRecord> records = split_csv(text, source);
  if (records.empty()) throw InputError(fmt::format("{} is empty; expected a header line and one row per configuration", source));
  if (records.size() == 1) throw InputError(fmt::format("{} has a header but no rows", source));

  out.columns = records.front().fields;
  std::map<std::string, std::size_t> col;
  for (std::size_t c = 0; c < out.columns.size(); ++c)
    if (!col.emplace(out.columns[c], c).second)
      throw InputError(fmt::format("{} line 1: column '{}' appears twice", source, out.columns[c]));

  // The protocol comes from the first row; every row must agree.
  auto need = [&](const std::string& name) {
    if (!col.count(name))
      throw InputError(fmt::format("{} line 1: no column '{}'; is this a summary.csv written by idealgas reproduce?",
                                   source, name));
    return col.at(name);
  };
  const std::size_t protocol_col = need(kProtocolColumn);
  if (records[1].fields.size() != out.columns.size())
    throw InputError(fmt::format("{} line {}: {} fields, the header has {}", source, records[1].line,
                                 records[1].fields.size(), out.columns.size()));
  out.table.protocol = parse_protocol(records[1].fields[protocol_col]);
  for (const std::string& name : summary_csv_required_columns(out.table.protocol)) need(name);

  std::set<std::string> known = {kProtocolColumn, "i", "j", kStatusColumn, kDuplicatesColumn, kFlagsColumn};
  const std::vector<SummaryColumn>& kFields = summary_csv_numeric_columns();
  for (const SummaryColumn& f : kFields) {
    known.insert(f.name);
    if (!col.count(f.name)) out.missing_optional.emplace_back(f.name);
  }
  for (const char* name : {kStatusColumn, kDuplicatesColumn})
    if (!col.count(name)) out.missing_optional.emplace_back(name);
  std::vector<std::string> extra_names;
  for (const std::string& name : out.columns)
    if (!known.count(name)) extra_names.push_back(name);
  std::map<std::string, std::vector<double>> extra_by_record;
  std::set<std::string> extra_non_numeric;

  const std::size_t n_rows = records.size() - 1;
  std::vector<StationaryRow> rows(n_rows);
  std::vector<std::string> status(n_rows, "ok");
  int max_i = 0, max_j = 0;
  for (std::size_t r = 0; r < n_rows; ++r) {
    const CsvRecord& rec = records[r + 1];
    if (rec.fields.size() != out.columns.size())
      throw InputError(fmt::format("{} line {}: {} fields, the header has {}", source, rec.line, rec.fields.size(),
                                   out.columns.size()));
    auto value = [&](const std::string& name) -> const std::string& { return rec.fields[col.at(name)]; };
    if (value(kProtocolColumn) != protocol_name(out.table.protocol))
      throw InputError(fmt::format("{} line {}: protocol '{}', but the first row says '{}'; one file holds one grid",
                                   source, rec.line, value(kProtocolColumn), protocol_name(out.table.protocol)));
    StationaryRow& row = rows[r];
    for (const char* axis : {"i", "j"}) {
      long long index = 0;
      // An index beyond the row count cannot belong to a complete grid; checked here so that it fits an int.
      if (!parse_int(value(axis), index) || index < 0 || index >= static_cast<long long>(n_rows))
        throw InputError(fmt::format("{} line {}: column {} is '{}', expected a grid index from 0 to {}", source,
                                     rec.line, axis, value(axis), n_rows - 1));
      (axis[0] == 'i' ? row.i : row.j) = static_cast<int>(index);
    }
    max_i = std::max(max_i, row.i);
    max_j = std::max(max_j, row.j);
    if (!col.count("sigma2")) row.sigma2 = sigma2;
    for (const SummaryColumn& f : kFields) {
      if (!col.count(f.name)) continue;
      if (!parse_double(value(f.name), row.*(f.field)))
        throw InputError(fmt::format("{} line {}: column {} is '{}', expected a number (or nan)", source, rec.line,
                                     f.name, value(f.name)));
    }
    if (col.count(kDuplicatesColumn)) {
      long long dup = 0;
      if (!parse_int(value(kDuplicatesColumn), dup) || dup < 0)
        throw InputError(fmt::format("{} line {}: column duplicates is '{}', expected a count >= 0", source,
                                     rec.line, value(kDuplicatesColumn)));
      row.duplicates = dup;
    }
    if (col.count(kStatusColumn)) status[r] = value(kStatusColumn);
    if (col.count(kFlagsColumn)) row.flags = value(kFlagsColumn);
    for (const std::string& name : extra_names) {
      double v = kNaN;
      if (!parse_double(value(name), v)) extra_non_numeric.insert(name);
      extra_by_record[name].push_back(v);
    }
  }

  // Every (i, j) of the grid exactly once. Both indices are below n_rows (checked above), so the product
  // stays far from overflow for any file that fits in memory.
  const long long n_first = static_cast<long long>(max_i) + 1, n_second = static_cast<long long>(max_j) + 1;
  if (n_first * n_second != static_cast<long long>(n_rows))
    throw InputError(fmt::format("{}: {} rows, but indices up to (i, j) = ({}, {}) make a {} x {} grid of {}; "
                                 "the file is incomplete or has stray rows",
                                 source, n_rows, max_i, max_j, n_first, n_second, n_first * n_second));
  std::vector<long long> where(n_rows, -1);  // [n_first * n_second]: record index of each grid cell
  for (std::size_t r = 0; r < n_rows; ++r) {
    const long long k = static_cast<long long>(rows[r].i) * n_second + rows[r].j;
    if (where[static_cast<std::size_t>(k)] >= 0)
      throw InputError(fmt::format("{} line {}: (i, j) = ({}, {}) already appears on line {}", source,
                                   records[r + 1].line, rows[r].i, rows[r].j,
                                   records[static_cast<std::size_t>(where[static_cast<std::size_t>(k)]) + 1].line));
    where[static_cast<std::size_t>(k)] = static_cast<long long>(r);
  }
  out.table.n_first = static_cast<int>(n_first);
  out.table.n_second = static_cast<int>(n_second);
  out.table.rows.resize(n_rows);
  out.status.resize(n_rows);
  for (std::size_t k = 0; k < n_rows; ++k) {
    const auto r = static_cast<std::size_t>(where[k]);
    out.table.rows[k] = rows[r];
    out.status[k] = status[r];
  }
  for (const std::string& name : extra_names) {
    if (extra_non_numeric.count(name)) continue;
    std::vector<double>& dst = out.extra[name];
    dst.resize(n_rows);
    for (std::size_t k = 0; k < n_rows; ++k) dst[k] = extra_by_record[name][static_cast<std::size_t>(where[k])];
  }

  // One hyperparameter value per index, increasing along its axis (the grid is a product of two axes).
  const std::string second = second_axis(out.table.protocol);
  auto second_value = [&](const StationaryRow& row) { return second == "radius" ? row.radius : row.lambda; };
  auto line_of = [&](int i, int j) {
    return records[static_cast<std::size_t>(where[static_cast<std::size_t>(i) * n_second + j]) + 1].line;
  };
  const GridTable& t = out.table;
  for (int i = 0; i < t.n_first; ++i)
    for (int j = 0; j < t.n_second; ++j) {
      const StationaryRow& row = t.at(i, j);
      if (!(row.eta > 0.0) || !std::isfinite(row.eta) || !(second_value(row) > 0.0) ||
          !std::isfinite(second_value(row)))
        throw InputError(fmt::format("{} line {}: eta = {} and {} = {}; grid values must be positive and finite",
                                     source, line_of(i, j), row.eta, second, second_value(row)));
      if (row.eta != t.at(i, 0).eta)
        throw InputError(fmt::format("{} line {}: eta = {} at i = {}, but {} on line {}; one value per index",
                                     source, line_of(i, j), row.eta, i, t.at(i, 0).eta, line_of(i, 0)));
      if (second_value(row) != second_value(t.at(0, j)))
        throw InputError(fmt::format("{} line {}: {} = {} at j = {}, but {} on line {}; one value per index", source,
                                     line_of(i, j), second, second_value(row), j, second_value(t.at(0, j)),
                                     line_of(0, j)));
      if (i > 0 && j == 0 && !(row.eta > t.at(i - 1, 0).eta))
        throw InputError(fmt::format("{} line {}: eta = {} at i = {} is not above {} at i = {}; values must increase "
                                     "with the index", source, line_of(i, 0), row.eta, i, t.at(i - 1, 0).eta, i - 1));
      if (j > 0 && i == 0 && !(second_value(row) > second_value(t.at(0, j - 1))))
        throw InputError(fmt::format("{} line {}: {} = {} at j = {} is not above {} at j = {}; values must increase "
                                     "with the index", source, line_of(0, j), second, second_value(row), j,
                                     second_value(t.at(0, j - 1)), j - 1));
    }
  return out;
}

SummaryCsv read_summary_csv(const std::filesystem::path& file, long long d, double sigma2) {
  return parse_summary_csv(read_file(file, kMaxTableBytes), file.string(), d, sigma2);
}

}  // namespace idealgas
