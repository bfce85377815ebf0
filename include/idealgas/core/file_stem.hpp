// File names built from values (a grid's group "model.width=8", an axis value of 300 characters, "/x y" next to
// "/x_y"): the name must be distinct for distinct values, short enough for any file system (255 bytes), and safe in
// a shell, a gnuplot script and a URL. The full value is always written inside the file (analysis.json's "group",
// the table's rows); the name only has to be injective and bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace idealgas {

/// Longest stem file_stem returns: kFileStemReadable characters, '~', 16 hex digits.
inline constexpr std::size_t kFileStemReadable = 48;
inline constexpr std::size_t kFileStemMax = kFileStemReadable + 17;

/// `text` itself when it has at most kFileStemReadable characters, all in `allowed` (which must not hold '~');
/// otherwise a readable form (letters lower-cased when `allowed` has no capital, other characters outside
/// `allowed` as '_', cut to kFileStemReadable characters), then '~' and the 64-bit FNV-1a hash of `text` in hex.
/// Distinct texts give distinct stems: kept texts hold no '~' while encoded ones do, and two encoded texts share a
/// stem only if their hashes collide (about 2^-64 per pair; callers that write several files check anyway).
std::string file_stem(std::string_view text, std::string_view allowed);

/// The characters of file names that survive a shell, gnuplot, HTML and a case-insensitive file system: [a-z0-9_].
inline constexpr std::string_view kPortableNameChars = "abcdefghijklmnopqrstuvwxyz0123456789_";

}  // namespace idealgas
