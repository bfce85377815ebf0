#include "idealgas/core/file_stem.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

std::string file_stem(std::string_view text, std::string_view allowed) {
  IDEALGAS_ASSERT(allowed.find('~') == std::string_view::npos, "'~' marks encoded stems");
  const auto kept = [&](char c) { return allowed.find(c) != std::string_view::npos; };
  bool as_is = !text.empty() && text.size() <= kFileStemReadable;
  for (const char c : text) as_is = as_is && kept(c);
  if (as_is) return std::string(text);
  const bool lower = allowed.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos;
  std::string out;
  for (const char c : text) {
    if (out.size() == kFileStemReadable) break;
    const char l = lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    out += kept(l) ? l : '_';
  }
  // FNV-1a, 64 bit (offset basis and prime of the FNV specification): fixed across builds and platforms.
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return out + fmt::format("~{:016x}", h);
}

}  // namespace idealgas
