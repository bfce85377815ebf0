#include "parse_args.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::cli {

void refuse_empty_values(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_expected_min() == 0) continue;  // a flag without a value
    std::string name = opt->get_name();
    const bool positional = name.rfind('-', 0) != 0;
    if (positional)  // as the usage line shows it: FILE, DIR, CONFIG
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // Thrown from inside CLI11's parse: an idealgas::InputError is not one of CLI11's errors, so it reaches main's
    // handler (one line, exit 2) instead of CLI11's own message and exit code.
    opt->check(CLI::Validator(
        [name, positional](std::string& value) -> std::string {
          if (value.empty())
            throw InputError(positional ? fmt::format("{} is empty: give a value", name)
                                        : fmt::format("{} is empty: give a value, or leave {} out", name, name));
          return {};
        },
        ""));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) refuse_empty_values(*sub);
}

std::uint64_t parse_count(const std::string& flag, const std::string& text, std::uint64_t lo, std::uint64_t hi,
                          bool allow_exact_float) {
  const std::string accepted = hi == std::numeric_limits<std::uint64_t>::max()
                                   ? fmt::format("an integer >= {}", lo)
                                   : fmt::format("an integer from {} to {}", lo, hi);
  std::uint64_t v = 0;
  bool ok = !text.empty();
  for (const char c : text) {
    if (!ok) break;
    ok = c >= '0' && c <= '9' && !__builtin_mul_overflow(v, std::uint64_t{10}, &v) &&
         !__builtin_add_overflow(v, static_cast<std::uint64_t>(c - '0'), &v);
  }
  if (!ok && allow_exact_float) {
    // "1e6": accepted only when the literal is an integer that a double holds exactly (the long-double reading of
    // the same text agrees, so nothing was rounded).
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53
    static const std::regex kFloat(R"(([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+]?[0-9]+|[0-9]+\.[0-9]*)");
    if (std::regex_match(text, kFloat)) {
      const double d = std::strtod(text.c_str(), nullptr);
      ok = std::isfinite(d) && d == std::floor(d) && d <= kMaxExact &&
           static_cast<long double>(d) == std::strtold(text.c_str(), nullptr);
      if (ok) v = static_cast<std::uint64_t>(d);
    }
  }
  if (!ok || v < lo || v > hi) throw InputError(fmt::format("{} '{}': expected {}", flag, text, accepted));
  return v;
}

double parse_decimal(const std::string& flag, const std::string& text, double min, bool min_exclusive) {
  static const std::regex kDecimal(R"(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)");
  double v = std::numeric_limits<double>::quiet_NaN();
  if (std::regex_match(text, kDecimal)) {
    errno = 0;
    v = std::strtod(text.c_str(), nullptr);
    const bool underflow = errno == ERANGE && std::abs(v) < 1.0;  // a nonzero literal that rounds to (near) zero
    if (underflow) v = std::numeric_limits<double>::quiet_NaN();
  }
  const bool ok = std::isfinite(v) && (min_exclusive ? v > min : v >= min);
  if (!ok)
    throw InputError(fmt::format("{} '{}': expected a finite decimal number {} {}", flag, text,
                                 min_exclusive ? ">" : ">=", min));
  return v;
}

}  // namespace idealgas::cli
