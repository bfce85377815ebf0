// Strict reading of command-line values, shared by every subcommand: what the user wrote is taken exactly or refused
// with one line "FLAG 'VALUE': expected WHAT" (no truncation, saturation, wrap, silent rounding or default).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace idealgas::cli {

/// Every option of `app` and of its subcommands (recursively) that takes a value refuses an empty one ("--shard ''",
/// "analyze ''") with one line naming it, exit 2: an empty value is a mistake, never "not given".
void refuse_empty_values(CLI::App& app);

/// A non-negative integer in [lo, hi] written in decimal digits (no sign, point, exponent or spaces). With
/// `allow_exact_float`, a float literal that is exactly an integer a double holds ("1e6") is accepted too.
std::uint64_t parse_count(const std::string& flag, const std::string& text, std::uint64_t lo, std::uint64_t hi,
                          bool allow_exact_float = false);

/// A finite decimal number ("2", "0.5", "1e-3"; no sign, hex, inf or nan) that is >= min (or > min when
/// `min_exclusive`); values that underflow to zero or overflow are refused.
double parse_decimal(const std::string& flag, const std::string& text, double min = 0.0, bool min_exclusive = false);

}  // namespace idealgas::cli
