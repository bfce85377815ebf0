#include "idealgas/core/crc32.hpp"

#include <algorithm>

#include <zlib.h>

namespace idealgas {

std::uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n > 0) {  // crc32 takes a uInt length: feed large inputs in pieces
    const uInt piece = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(p), piece);
    p += piece;
    n -= piece;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace idealgas
