#include "idealgas/report/csv_records.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

std::vector<CsvRecord> split_csv(const std::string& text, const std::string& source) {
  std::vector<CsvRecord> records;
  CsvRecord current;
  std::string field;
  int line = 1;
  current.line = 1;
  bool in_quotes = false, field_was_quoted = false, record_has_content = false;
  auto end_field = [&] {
    current.fields.push_back(field);
    field.clear();
    field_was_quoted = false;
  };
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_quotes) {
      if (c == '"') {
        if (k + 1 < text.size() && text[k + 1] == '"') {
          field += '"';
          ++k;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty() || field_was_quoted)
        throw InputError(fmt::format("{} line {}: a quote inside an unquoted field ('{}\"'); quote the whole field "
                                     "and double inner quotes (RFC 4180)", source, line, field));
      in_quotes = field_was_quoted = record_has_content = true;
    } else if (c == ',') {
      end_field();
      record_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && k + 1 < text.size() && text[k + 1] == '\n') ++k;
      if (record_has_content || !field.empty()) {
        end_field();
        records.push_back(std::move(current));
      }
      current = CsvRecord{};
      current.line = ++line;
      field.clear();
      field_was_quoted = record_has_content = false;
    } else {
      if (field_was_quoted)
        throw InputError(fmt::format("{} line {}: text after a closing quote; a quoted field must end at the comma",
                                     source, line));
      field += c;
      record_has_content = true;
    }
  }
  if (in_quotes) throw InputError(fmt::format("{} line {}: a quoted field is never closed", source, current.line));
  if (record_has_content || !field.empty()) {
    end_field();
    records.push_back(std::move(current));
  }
  return records;
}

}  // namespace idealgas
