#include "idealgas/sweep/shard.hpp"

#include <charconv>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

std::string Shard::text() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& flag, const std::string& text) {
  const auto fail = [&](const char* why) {
    throw InputError(fmt::format("{} '{}': expected I/N, whole numbers with 0 <= I < N <= {} ({})", flag, text,
                                 kMaxShards, why));
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) fail("no '/'");
  const auto parse = [&](const std::string& digits) {
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) fail("digits only");
    long long v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || v > kMaxShards) fail("too large");
    return v;
  };
  Shard s;
  s.index = parse(text.substr(0, slash));
  s.count = parse(text.substr(slash + 1));
  if (s.count < 1) fail("N must be at least 1");
  if (s.index >= s.count) fail("I must be below N");
  return s;
}

}  // namespace idealgas
