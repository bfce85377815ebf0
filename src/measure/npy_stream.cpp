#include "idealgas/measure/npy_stream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/core/regular_file.hpp"

namespace idealgas {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

NpyLayout layout_of(const RegularFile& file) {
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file.size_at_open(), kNpyMaxHeadBytes)), '\0');
  head.resize(file.read_some(head.data(), head.size(), 0));
  return parse_npy_header(head, file.size_at_open(), file.path());
}

std::string header_text(std::size_t rows, std::size_t cols, NpyDtype dtype) {
  return fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}, {}), }}", npy_dtype_descr(dtype), rows,
                     cols);
}

}  // namespace

NpyBlockReader::NpyBlockReader(const std::string& path)
    : file_(std::make_unique<RegularFile>(path, RegularFile::Mode::read)), layout_(layout_of(*file_)) {
  // Column blocks of every row: no sequential readahead to waste.
  ::posix_fadvise(file_->fd(), 0, 0, POSIX_FADV_RANDOM);
}

NpyBlockReader::~NpyBlockReader() = default;

const std::string& NpyBlockReader::path() const { return file_->path(); }

void NpyBlockReader::read(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, double* out, std::size_t ld,
                          unsigned char* scratch) const {
  IDEALGAS_ASSERT(r0 <= r1 && r1 <= layout_.rows && c0 <= c1 && c1 <= layout_.cols, "block outside the array");
  const std::size_t item = layout_.item_bytes(), w = c1 - c0;
  for (std::size_t r = r0; r < r1; ++r) {
    // Inside the data the layout checked against the file size: no overflow.
    const std::uint64_t offset =
        layout_.data_offset + (static_cast<std::uint64_t>(r) * layout_.cols + c0) * static_cast<std::uint64_t>(item);
    file_->read_exact(scratch, w * item, offset, "data");
    if (drop_cache_)
      ::posix_fadvise(file_->fd(), static_cast<off_t>(offset), static_cast<off_t>(w * item), POSIX_FADV_DONTNEED);
    double* o = out + (r - r0) * ld;
    if (layout_.dtype == NpyDtype::float32) {
      for (std::size_t c = 0; c < w; ++c) {
        float f;
        std::memcpy(&f, scratch + c * 4, 4);
        o[c] = static_cast<double>(f);
      }
    } else {
      std::memcpy(o, scratch, w * 8);
    }
  }
}

NpySnapshotWriter::NpySnapshotWriter(const std::string& path, std::size_t cols, NpyDtype dtype)
    : cols_(cols), dtype_(dtype) {
  if (cols == 0) throw InputError(fmt::format("snapshot file {}: rows need at least one column", path));
  if (cols > (std::size_t{1} << 40))
    throw InputError(fmt::format("snapshot file {}: {} columns; at most 2^40 supported", path, cols));
  file_ = std::make_unique<RegularFile>(path, RegularFile::Mode::read_write_create);
  if (file_->size_at_open() > 0) {
    const NpyLayout lay = layout_of(*file_);
    if (lay.cols != cols || lay.dtype != dtype)
      throw InputError(fmt::format("snapshot file {} holds ({}, {}) {} rows; cannot append rows of {} {}", path,
                                   lay.rows, lay.cols, npy_dtype_descr(lay.dtype), cols, npy_dtype_descr(dtype)));
    if (lay.data_offset != kSnapshotHeaderBytes)
      throw InputError(
          fmt::format("{} is an .npy file but not a snapshot file (header of {} bytes, expected {}); "
                      "write a new one",
                      path, lay.data_offset, kSnapshotHeaderBytes));
    rows_ = lay.rows;
  }
  // The layout check bounds rows * cols * item by the file size: no overflow.
  const std::uint64_t end = kSnapshotHeaderBytes + static_cast<std::uint64_t>(rows_) * cols_ * npy_item_bytes(dtype);
  if (::ftruncate(file_->fd(), static_cast<off_t>(end)) != 0)  // drop a partly written row
    throw IoError(fmt::format("cannot resize {}: {}", path, std::strerror(errno)));
  write_header();
}

NpySnapshotWriter::~NpySnapshotWriter() = default;

void NpySnapshotWriter::write_header() {
  std::string dict = header_text(rows_, cols_, dtype_);
  const std::size_t fixed = kMagicLen + 2 + 2;
  IDEALGAS_ASSERT(fixed + dict.size() + 1 <= kSnapshotHeaderBytes, "snapshot header too long");
  dict.append(kSnapshotHeaderBytes - fixed - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string bytes(kMagic, kMagicLen);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(dict.size() & 0xff));
  bytes.push_back(static_cast<char>(dict.size() >> 8));
  bytes += dict;
  file_->write_exact(bytes.data(), bytes.size(), 0);
}

void NpySnapshotWriter::append(const double* row) {
  const std::size_t item = npy_item_bytes(dtype_);
  std::vector<unsigned char> bytes(cols_ * item);
  for (std::size_t c = 0; c < cols_; ++c) {
    if (dtype_ == NpyDtype::float32) {
      const float f = static_cast<float>(row[c]);
      std::memcpy(&bytes[c * 4], &f, 4);
    } else {
      std::memcpy(&bytes[c * 8], &row[c], 8);
    }
  }
  std::uint64_t offset = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(rows_), static_cast<std::uint64_t>(cols_ * item), &offset) ||
      __builtin_add_overflow(offset, std::uint64_t{kSnapshotHeaderBytes}, &offset))
    throw IoError(fmt::format("snapshot file {}: row {} would lie past 2^64 bytes", file_->path(), rows_));
  file_->write_exact(bytes.data(), bytes.size(), offset);
  ++rows_;
  write_header();
}

void NpySnapshotWriter::flush() {
  if (::fsync(file_->fd()) != 0)
    throw IoError(fmt::format("cannot flush {}: {}; is the disk full?", file_->path(), std::strerror(errno)));
}

}  // namespace idealgas
