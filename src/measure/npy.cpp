#include "idealgas/measure/npy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/regular_file.hpp"

namespace idealgas {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
// Total header length (magic, version, length field, dict text, '\n') is padded to this multiple.
constexpr std::size_t kHeaderAlignment = 64;
// Data is decoded in blocks of this many bytes so that a float32 file never needs a second full copy.
constexpr std::size_t kReadBlockBytes = std::size_t{1} << 20;

std::uint64_t load_le(const unsigned char* p, int n_bytes) {
  std::uint64_t v = 0;
  for (int b = n_bytes - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

}  // namespace

NpyMatrix read_npy(const std::string& path) {
  const RegularFile file(path, RegularFile::Mode::read);
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file.size_at_open(), kNpyMaxHeadBytes)), '\0');
  head.resize(file.read_some(head.data(), head.size(), 0));
  const NpyLayout lay = parse_npy_header(head, file.size_at_open(), path);

  NpyMatrix out;
  out.dtype = lay.dtype;
  out.rows = lay.rows;
  out.cols = lay.cols;
  const std::size_t item = lay.item_bytes();
  const std::size_t count = static_cast<std::size_t>(lay.data_bytes() / item);  // the file holds them (checked)
  out.data.resize(count);
  std::vector<unsigned char> block(std::min(kReadBlockBytes, count * item));
  const std::size_t per_block = block.empty() ? 0 : block.size() / item;
  for (std::size_t done = 0; done < count;) {
    const std::size_t n = std::min(per_block, count - done);
    file.read_exact(block.data(), n * item, lay.data_offset + static_cast<std::uint64_t>(done) * item, "data");
    if (lay.dtype == NpyDtype::float64) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t bits = load_le(&block[i * 8], 8);
        std::memcpy(&out.data[done + i], &bits, 8);
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        const auto bits = static_cast<std::uint32_t>(load_le(&block[i * 4], 4));
        float f;
        std::memcpy(&f, &bits, 4);
        out.data[done + i] = static_cast<double>(f);
      }
    }
    done += n;
  }
  return out;
}

void write_npy(const std::string& path, const double* data, std::size_t rows, std::size_t cols) {
  std::size_t count = 0;
  if (__builtin_mul_overflow(rows, cols, &count) || count > (SIZE_MAX - 4096) / 8)
    throw InputError(fmt::format("write_npy({}): shape ({}, {}) is too large", path, rows, cols));
  if (count > 0 && data == nullptr)
    throw InputError(fmt::format("write_npy({}): data is null for shape ({}, {})", path, rows, cols));
  std::string header = fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  const std::size_t unpadded = kMagicLen + 2 + 2 + header.size() + 1;  // + '\n'
  header.append((kHeaderAlignment - unpadded % kHeaderAlignment) % kHeaderAlignment, ' ');
  header.push_back('\n');
  IDEALGAS_ASSERT(header.size() <= 0xffff, "a 2-D header always fits the version 1.0 length field");

  std::string bytes;
  bytes.reserve(kMagicLen + 4 + header.size() + count * 8);
  bytes.append(kMagic, kMagicLen);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t bits;
    std::memcpy(&bits, &data[i], 8);
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
  }
  write_file_atomically(path, bytes);
}

}  // namespace idealgas
