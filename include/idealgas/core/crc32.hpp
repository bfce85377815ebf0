// CRC-32 (zlib's polynomial) of a byte string of any length: checkpoint bodies and the files a result depends on.
#pragma once

#include <cstdint>
#include <string_view>

namespace idealgas {

std::uint32_t crc32_of(std::string_view bytes);

}  // namespace idealgas
