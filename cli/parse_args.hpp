// Strict reading of command-line values: what the user wrote is taken exactly or refused with one line naming the
// flag, the value as written and what is accepted (no truncation, saturation, wrap or silent rounding).
#pragma once

#include <cstdint>
#include <string>

namespace idealgas::cli {

/// An integer in [min, max]: decimal digits with an optional '-', or a float literal that is exactly an integer
/// ("1e6"); refuses fractions, values a double would round, and anything out of range.
long long parse_integer_arg(const std::string& flag, const std::string& text, long long min, long long max);

/// A seed: decimal digits only, 0 .. 2^64 - 1.
std::uint64_t parse_seed_arg(const std::string& flag, const std::string& text);

/// A finite number (decimal or scientific); `min_exclusive` = true requires > min, else >= min.
double parse_number_arg(const std::string& flag, const std::string& text, double min, bool min_exclusive);

}  // namespace idealgas::cli
