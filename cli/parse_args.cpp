#include "parse_args.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::cli {

namespace {

bool all_digits(const std::string& s, std::size_t from) {
  if (from >= s.size()) return false;
  for (std::size_t i = from; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/// The whole text as a double (strtod accepts what a user writes: 1e-3, .5, 2.); nullopt-like false otherwise.
bool whole_double(const std::string& text, double& out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && errno != ERANGE;
}

}  // namespace

long long parse_integer_arg(const std::string& flag, const std::string& text, long long min, long long max) {
  const std::string accepted = fmt::format("an integer in [{}, {}]", min, max);
  long long v = 0;
  if (all_digits(text, text.size() > 0 && text[0] == '-' ? 1 : 0)) {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size())
      throw InputError(fmt::format("{} must be {}, got '{}' (out of range)", flag, accepted, text));
  } else {
    double d = 0.0;
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53: beyond it a double cannot hold every integer
    if (!whole_double(text, d) || !std::isfinite(d) || d != std::floor(d) || std::abs(d) > kMaxExact ||
        static_cast<long double>(d) != std::strtold(text.c_str(), nullptr))
      throw InputError(fmt::format("{} must be {}, got '{}'", flag, accepted, text));
    v = static_cast<long long>(d);
  }
  if (v < min || v > max) throw InputError(fmt::format("{} must be {}, got '{}'", flag, accepted, text));
  return v;
}

std::uint64_t parse_seed_arg(const std::string& flag, const std::string& text) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!all_digits(text, 0) || ec != std::errc() || ptr != text.data() + text.size())
    throw InputError(fmt::format("{} must be an integer in [0, 18446744073709551615] (decimal digits only), got '{}'",
                                 flag, text));
  return v;
}

double parse_number_arg(const std::string& flag, const std::string& text, double min, bool min_exclusive) {
  double v = 0.0;
  const bool ok = whole_double(text, v) && std::isfinite(v) && (min_exclusive ? v > min : v >= min);
  if (!ok)
    throw InputError(fmt::format("{} must be a finite number {} {}, got '{}'", flag, min_exclusive ? ">" : ">=", min,
                                 text));
  return v;
}

}  // namespace idealgas::cli
