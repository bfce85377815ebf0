// summary.csv read back by column name: every field the writer writes comes back bit for bit (the writer
// prints shortest round-trip floats), rows and columns in any order, extra columns kept, missing optional
// ones NaN; malformed files give one InputError line naming the file, line, column and value.
#include "idealgas/report/summary_csv_reader.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "idealgas/core/error.hpp"
#include "idealgas/report/summary_csv.hpp"

namespace idealgas {
namespace {

constexpr long long kD = 3;
constexpr double kSigma2 = 1.0;

/// A 2 x 3 grid whose every numeric field differs between rows and between fields, with values that have no
/// short decimal form (so that a reader rounding anywhere would be caught) and a NaN per protocol rule.
GridTable table_with_distinct_values(Protocol p) {
  GridTable t;
  t.protocol = p;
  t.d = kD;
  t.n_first = 2;
  t.n_second = 3;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      StationaryRow r;
      r.i = i;
      r.j = j;
      const double base = 1.0 + 0.1 * (i * 3 + j) + 1.0 / 3.0;
      r.eta = 1e-3 * std::pow(10.0, i) / 3.0;
      (p == Protocol::fixed_sphere ? r.radius : r.lambda) = 1e-2 * std::pow(3.7, j);
      double k = 1.0;
      for (const SummaryColumn& c : summary_csv_numeric_columns()) {
        const std::string name = c.name;
        if (name == "eta" || name == "lambda" || name == "radius") continue;  // the grid axes, set above
        r.*(c.field) = base * std::sqrt(k) * (k > 10 ? -1e-7 : 1.0);  // later fields negative and tiny
        k += 1.0;
      }
      r.flags = (i + j) % 2 ? "" : "window_under_50_tau;r_batches_under_2_tau_int";
      r.duplicates = i * 3 + j;
      t.rows.push_back(r);
    }
  t.rows[4].U = kNaN;  // a diverged row
  return t;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

void expect_same_table(const GridTable& a, const GridTable& b) {
  ASSERT_EQ(a.rows.size(), b.rows.size());
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.n_first, b.n_first);
  EXPECT_EQ(a.n_second, b.n_second);
  for (std::size_t k = 0; k < a.rows.size(); ++k) {
    const StationaryRow &x = a.rows[k], &y = b.rows[k];
    EXPECT_EQ(x.i, y.i);
    EXPECT_EQ(x.j, y.j);
    EXPECT_EQ(x.duplicates, y.duplicates);
    EXPECT_EQ(x.flags, y.flags);
    std::vector<double StationaryRow::*> fields;
    for (const SummaryColumn& c : summary_csv_numeric_columns()) fields.push_back(c.field);
    for (std::size_t f = 0; f < std::size(fields); ++f)
      EXPECT_TRUE(same_bits(x.*fields[f], y.*fields[f])) << "row " << k << " field " << f << ": " << x.*fields[f]
                                                         << " vs " << y.*fields[f];
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

std::string error_of(const std::string& csv) {
  try {
    parse_summary_csv(csv, "lr/summary.csv", kD, kSigma2);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SummaryCsvReader, EveryFieldTheWriterWritesComesBackBitForBit) {
  for (Protocol p : {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere}) {
    const GridTable t = table_with_distinct_values(p);
    const std::vector<std::string> status = {"ok", "ok", "ok", "ok", "diverged at iteration 12, \"NaN\"", "ok"};
    const SummaryCsv back = parse_summary_csv(summary_csv(t, status), "x.csv", kD, kSigma2);
    expect_same_table(t, back.table);
    EXPECT_EQ(back.status, status);
    EXPECT_EQ(back.n_failed(), 1);
    EXPECT_TRUE(back.missing_optional.empty());
    EXPECT_TRUE(back.extra.empty());
    EXPECT_EQ(back.table.d, kD);
  }
}

TEST(SummaryCsvReader, RowsInAnyOrderExtraColumnsKeptMissingOptionalOnesNaN) {
  const GridTable t = table_with_distinct_values(Protocol::fixed_lr);
  std::vector<std::string> lines = lines_of(summary_csv(t));
  // Reverse the rows, append a numeric and a text column, and drop U_vmf (optional).
  std::reverse(lines.begin() + 1, lines.end());
  lines[0] += ",ess_U,flag";
  for (std::size_t k = 1; k < lines.size(); ++k) lines[k] += "," + std::to_string(100 + k) + ",slow";
  const std::vector<std::string> names = summary_csv_columns();
  const std::size_t u_vmf_column = std::find(names.begin(), names.end(), "U_vmf") - names.begin();
  for (std::string& l : lines) {
    std::size_t start = 0;
    for (std::size_t c = 0; c < u_vmf_column; ++c) start = l.find(',', start) + 1;
    l.erase(start, l.find(',', start) - start + 1);
  }
  const SummaryCsv back = parse_summary_csv(join_lines(lines), "x.csv", kD, kSigma2);
  ASSERT_EQ(back.table.rows.size(), 6u);
  for (std::size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(back.table.rows[k].S, t.rows[k].S) << k;  // grid order restored
    EXPECT_TRUE(std::isnan(back.table.rows[k].U_vmf)) << k;
  }
  EXPECT_EQ(back.missing_optional, std::vector<std::string>{"U_vmf"});
  ASSERT_EQ(back.extra.count("ess_U"), 1u);
  EXPECT_EQ(back.extra.count("flag"), 0u);          // not numeric: not kept
  EXPECT_EQ(back.extra.at("ess_U")[0], 100.0 + 6);  // the file's last line holds grid row 0
  EXPECT_TRUE(back.has_column("flag"));
}

TEST(SummaryCsvReader, MalformedFilesGetOneLineNamingTheFileLineAndValue) {
  const GridTable t = table_with_distinct_values(Protocol::fixed_lr);
  const std::vector<std::string> good = lines_of(summary_csv(t));
  auto with_line = [&](std::size_t k, const std::string& text) {
    std::vector<std::string> l = good;
    l[k] = text;
    return join_lines(l);
  };
  auto replace_field = [&](std::size_t line, std::size_t column, const std::string& value) {
    std::string l = good[line];
    std::size_t start = 0;
    for (std::size_t c = 0; c < column; ++c) start = l.find(',', start) + 1;
    l.replace(start, l.find(',', start) - start, value);
    return with_line(line, l);
  };
  const std::vector<std::string> names = summary_csv_columns();
  const std::size_t u_column = std::find(names.begin(), names.end(), "U") - names.begin();
  struct Case {
    std::string csv, must_mention;
  };
  const std::vector<Case> cases = {
      {"", "is empty"},
      {good[0] + "\n", "no rows"},
      {replace_field(0, u_column, "Uu"), "no column 'U'"},
      {replace_field(0, u_column + 1, "U"), "'U' appears twice"},
      {replace_field(2, u_column, "0.5x"), "line 3: column U is '0.5x'"},
      {replace_field(2, u_column, "1e999"), "'1e999'"},
      {replace_field(2, 1, "-1"), "column i is '-1'"},
      {replace_field(2, 1, "99999999999999999999"), "'99999999999999999999'"},
      {replace_field(3, 2, "0"), "(i, j) = (0, 0) already appears on line 2"},
      {replace_field(2, 0, "elr"), "protocol 'elr'"},
      {replace_field(2, 3, "0.5"), "eta = 0.5 at i = 0, but"},
      {replace_field(0, 0, "proto"), "no column 'protocol'"},
      {with_line(2, good[2] + ",extra"),
       fmt::format("line 3: {} fields, the header has {}", names.size() + 1, names.size())},
      {with_line(2, good[2].substr(0, good[2].size() - 2) + "\"ok"), "never closed"},
      {join_lines({good[0], good[1], good[2], good[3], good[5]}), "4 rows, but indices up to (i, j) = (1, 2)"},
      {join_lines({good[0], good[1], good[3]}), "column j is '2', expected a grid index from 0 to 1"},
  };
  for (const Case& c : cases) {
    const std::string msg = error_of(c.csv);
    EXPECT_NE(msg.find(c.must_mention), std::string::npos) << "expected '" << c.must_mention << "' in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    if (c.csv.size() > 0 && msg != "(no error)") EXPECT_NE(msg.find("summary.csv"), std::string::npos) << msg;
  }
  // The two axes must be a product grid in increasing order: swap two eta values.
  std::vector<std::string> swapped = good;
  std::swap(swapped[1], swapped[4]);  // rows (0,0) and (1,0) exchange their lines, not their eta: still fine
  EXPECT_NO_THROW(parse_summary_csv(join_lines(swapped), "x.csv", kD, kSigma2));
  EXPECT_THROW(parse_summary_csv(summary_csv(t), "x.csv", 1, kSigma2), InputError);  // d from run.json
  EXPECT_THROW(parse_summary_csv(summary_csv(t), "x.csv", kD, -1.0), InputError);
}

}  // namespace
}  // namespace idealgas
