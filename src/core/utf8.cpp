#include "idealgas/core/utf8.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {

// Offset of the first byte that does not start or continue a well-formed UTF-8 sequence; npos if there is none.
std::size_t first_invalid_byte(std::string_view s) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto continuation = [&](std::size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  std::size_t k = 0;
  while (k < s.size()) {
    const unsigned char c = byte(k);
    if (c < 0x80) {
      ++k;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Table 3-7 of the Unicode standard)
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return k;
    }
    if (k + 1 >= s.size() || byte(k + 1) < lo || byte(k + 1) > hi) return k;
    for (std::size_t j = 2; j < n; ++j)
      if (!continuation(k + j)) return k;
    k += n;
  }
  return std::string_view::npos;
}

}  // namespace

bool is_utf8(std::string_view text) { return first_invalid_byte(text) == std::string_view::npos; }

std::string escape_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F && c != '\\')
      out += ch;
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

void require_utf8(std::string_view what, std::string_view text) {
  const std::size_t bad = first_invalid_byte(text);
  if (bad == std::string_view::npos) return;
  throw InputError(fmt::format("{} '{}' is not valid UTF-8 (byte {}); idealgas records paths and settings in JSON, "
                               "which holds only UTF-8: rename it, or pass a link with a UTF-8 name",
                               what, escape_bytes(text), bad));
}

}  // namespace idealgas
