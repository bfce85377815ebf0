#include "idealgas/measure/npy_stream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
const char* kResaveHint = "re-save it with numpy.save(path, array)";

std::uint64_t load_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int b = n - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

bool host_is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

void pread_exact(int fd, void* dst, std::size_t n, std::uint64_t offset, const std::string& path, const char* what) {
  auto* p = static_cast<unsigned char*>(dst);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("cannot read {} ({}): {}", path, what, std::strerror(errno)));
    }
    if (got == 0)
      throw IoError(fmt::format("{}: truncated .npy file (ends inside the {}); {}", path, what, kResaveHint));
    p += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

void pwrite_exact(int fd, const void* src, std::size_t n, std::uint64_t offset, const std::string& path) {
  const auto* p = static_cast<const unsigned char*>(src);
  while (n > 0) {
    const ssize_t put = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (put < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("cannot write {}: {}; is the disk full?", path, std::strerror(errno)));
    }
    p += put;
    n -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
}

// Value of key 'name' in the header dict text: the characters after "'name':" up to the next ',' or '}' outside
// parentheses. Enough for the dicts numpy writes (descr, fortran_order, shape).
std::string dict_value(const std::string& text, const char* name, const std::string& path) {
  for (const char q : {'\'', '"'}) {
    const std::string key = std::string(1, q) + name + q;
    const std::size_t at = text.find(key);
    if (at == std::string::npos) continue;
    std::size_t p = text.find(':', at + key.size());
    if (p == std::string::npos) break;
    ++p;
    int depth = 0;
    std::size_t end = p;
    for (; end < text.size(); ++end) {
      const char c = text[end];
      if (c == '(' || c == '[') ++depth;
      if (c == ')' || c == ']') --depth;
      if (depth == 0 && (c == ',' || c == '}')) break;
    }
    std::string v = text.substr(p, end - p);
    const std::size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
  }
  throw IoError(fmt::format("{}: corrupt .npy header (no '{}' key); {}", path, name, kResaveHint));
}

std::string header_text(std::size_t rows, std::size_t cols, NpyDtype dtype) {
  return fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}, {}), }}", npy_dtype_descr(dtype), rows,
                     cols);
}

}  // namespace

NpyLayout read_npy_layout(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    throw IoError(fmt::format("cannot open {}: {}; check the path and its permissions", path, std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) throw IoError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  const std::uint64_t file_size = static_cast<std::uint64_t>(st.st_size);
  unsigned char pre[kMagicLen + 2];
  pread_exact(fd, pre, sizeof pre, 0, path, "magic string");
  if (std::memcmp(pre, kMagic, kMagicLen) != 0)
    throw IoError(
        fmt::format("{}: not a .npy file (the first bytes are not \\x93NUMPY); write it with "
                    "numpy.save(path, array)",
                    path));
  const int major = pre[kMagicLen];
  if (major < 1 || major > 3)
    throw InputError(fmt::format("{}: .npy format version {}.{} is not supported; expected 1.0, 2.0 or 3.0", path,
                                 major, pre[kMagicLen + 1]));
  const int len_bytes = major == 1 ? 2 : 4;
  unsigned char len_field[4];
  pread_exact(fd, len_field, static_cast<std::size_t>(len_bytes), sizeof pre, path, "header length");
  const std::uint64_t header_len = load_le(len_field, len_bytes);
  NpyLayout lay;
  lay.data_offset = sizeof pre + static_cast<std::uint64_t>(len_bytes) + header_len;
  if (lay.data_offset > file_size)
    throw IoError(fmt::format("{}: truncated .npy file (header of {} bytes, file size {} bytes); {}", path, header_len,
                              file_size, kResaveHint));
  std::string text(header_len, '\0');
  pread_exact(fd, text.data(), header_len, sizeof pre + static_cast<std::uint64_t>(len_bytes), path, "header");

  std::string descr = dict_value(text, "descr", path);
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"'))
    throw InputError(
        fmt::format("{}: dtype {} is not supported; expected float32 ('<f4') or float64 ('<f8'), "
                    "little-endian",
                    path, descr));
  descr = descr.substr(1, descr.size() - 2);
  const bool little_native = host_is_little_endian();
  if (descr == "<f4" || (little_native && (descr == "=f4" || descr == "|f4")))
    lay.dtype = NpyDtype::float32;
  else if (descr == "<f8" || (little_native && (descr == "=f8" || descr == "|f8")))
    lay.dtype = NpyDtype::float64;
  else
    throw InputError(
        fmt::format("{}: dtype '{}' is not supported; expected float32 ('<f4') or float64 ('<f8'), "
                    "little-endian",
                    path, descr));
  if (!host_is_little_endian()) throw InputError(fmt::format("{}: block reads need a little-endian host", path));
  const std::string order = dict_value(text, "fortran_order", path);
  if (order == "True")
    throw InputError(
        fmt::format("{}: fortran_order is True (column-major); expected C order (row-major); re-save "
                    "with numpy.save(path, numpy.ascontiguousarray(array))",
                    path));
  if (order != "False")
    throw IoError(fmt::format("{}: corrupt .npy header (fortran_order {}); {}", path, order, kResaveHint));
  std::string shape = dict_value(text, "shape", path);
  std::vector<unsigned long long> dims;
  {
    std::size_t p = shape.find('(');
    if (p == std::string::npos)
      throw IoError(fmt::format("{}: corrupt .npy header (shape {}); {}", path, shape, kResaveHint));
    ++p;
    while (p < shape.size()) {
      while (p < shape.size() && (shape[p] == ' ' || shape[p] == ',')) ++p;
      if (p >= shape.size() || shape[p] == ')') break;
      std::size_t used = 0;
      try {
        dims.push_back(std::stoull(shape.substr(p), &used));
      } catch (const std::exception&) {
        throw IoError(fmt::format("{}: corrupt .npy header (shape {}); {}", path, shape, kResaveHint));
      }
      p += used;
      if (p < shape.size() && shape[p] == 'L') ++p;
    }
  }
  if (dims.size() != 2)
    throw InputError(fmt::format("{}: shape {} has {} dimension(s); expected a 2-D array [n_samples, dim]", path, shape,
                                 dims.size()));
  lay.rows = static_cast<std::size_t>(dims[0]);
  lay.cols = static_cast<std::size_t>(dims[1]);
  const std::uint64_t need = static_cast<std::uint64_t>(lay.rows) * lay.cols * lay.item_bytes();
  if (file_size - lay.data_offset < need)
    throw IoError(fmt::format("{}: truncated .npy file: shape {} needs {} bytes of data, the file holds {}; {}", path,
                              shape, need, file_size - lay.data_offset, kResaveHint));
  return lay;
}

NpyBlockReader::NpyBlockReader(const std::string& path) : path_(path), layout_(read_npy_layout(path)) {
  fd_ = ::open(path.c_str(), O_RDONLY);
  if (fd_ < 0)
    throw IoError(fmt::format("cannot open {}: {}; check the path and its permissions", path, std::strerror(errno)));
  // Column blocks of every row: no sequential readahead to waste.
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_RANDOM);
}

NpyBlockReader::~NpyBlockReader() {
  if (fd_ >= 0) ::close(fd_);
}

void NpyBlockReader::read(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, double* out, std::size_t ld,
                          unsigned char* scratch) const {
  IDEALGAS_ASSERT(r0 <= r1 && r1 <= layout_.rows && c0 <= c1 && c1 <= layout_.cols, "block outside the array");
  const std::size_t item = layout_.item_bytes(), w = c1 - c0;
  for (std::size_t r = r0; r < r1; ++r) {
    const std::uint64_t offset =
        layout_.data_offset + (static_cast<std::uint64_t>(r) * layout_.cols + c0) * static_cast<std::uint64_t>(item);
    pread_exact(fd_, scratch, w * item, offset, path_, "data");
    if (drop_cache_)
      ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(w * item), POSIX_FADV_DONTNEED);
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
    : path_(path), cols_(cols), dtype_(dtype) {
  if (cols == 0) throw InputError(fmt::format("snapshot file {}: rows need at least one column", path));
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
  if (exists) {
    const NpyLayout lay = read_npy_layout(path);
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
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd_ < 0)
    throw IoError(fmt::format("cannot open {} for writing: {}; check the folder exists and is writable", path,
                              std::strerror(errno)));
  const std::uint64_t end =
      kSnapshotHeaderBytes + static_cast<std::uint64_t>(rows_) * cols_ * (dtype == NpyDtype::float32 ? 4 : 8);
  if (::ftruncate(fd_, static_cast<off_t>(end)) != 0)  // drop a partly written row
    throw IoError(fmt::format("cannot resize {}: {}", path, std::strerror(errno)));
  write_header();
}

NpySnapshotWriter::~NpySnapshotWriter() {
  if (fd_ >= 0) ::close(fd_);
}

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
  pwrite_exact(fd_, bytes.data(), bytes.size(), 0, path_);
}

void NpySnapshotWriter::append(const double* row) {
  const std::size_t item = dtype_ == NpyDtype::float32 ? 4 : 8;
  std::vector<unsigned char> bytes(cols_ * item);
  for (std::size_t c = 0; c < cols_; ++c) {
    if (dtype_ == NpyDtype::float32) {
      const float f = static_cast<float>(row[c]);
      std::memcpy(&bytes[c * 4], &f, 4);
    } else {
      std::memcpy(&bytes[c * 8], &row[c], 8);
    }
  }
  pwrite_exact(fd_, bytes.data(), bytes.size(), kSnapshotHeaderBytes + static_cast<std::uint64_t>(rows_) * cols_ * item,
               path_);
  ++rows_;
  write_header();
}

void NpySnapshotWriter::flush() {
  if (::fsync(fd_) != 0)
    throw IoError(fmt::format("cannot flush {}: {}; is the disk full?", path_, std::strerror(errno)));
}

}  // namespace idealgas
