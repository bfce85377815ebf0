#include "idealgas/measure/npy.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

// Format of https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
// Total header length (magic, version, length field, dict text, '\n') is padded to this multiple.
constexpr std::size_t kHeaderAlignment = 64;
// Data is decoded in blocks of this many bytes so that a float32 file never needs a second full copy.
constexpr std::size_t kReadBlockBytes = std::size_t{1} << 20;

const char* kResaveHint = "re-save it with numpy.save(path, array)";

bool host_is_little_endian() {
  const std::uint32_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

std::uint64_t load_le(const unsigned char* p, int n_bytes) {
  std::uint64_t v = 0;
  for (int b = n_bytes - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<long long> shape;
};

// Parser of the header dict, a Python literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool has_descr = false, has_order = false, has_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          throw InputError(fmt::format("{}: structured dtype {} is not supported; expected float32 ('<f4') "
                                       "or float64 ('<f8'), little-endian",
                                       path_, rest_excerpt()));
        h.descr = parse_string();
        has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
        has_order = true;
      } else if (key == "shape") {
        h.shape = parse_shape();
        has_shape = true;
      } else {
        fail(fmt::format("unexpected key '{}'", key));
      }
      skip_ws();
      if (peek() == ',') ++pos_;
    }
    if (!(has_descr && has_order && has_shape))
      fail("the header lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    const std::size_t end = s_.find_last_not_of(" \n");  // the padding says nothing
    throw IoError(fmt::format("{}: corrupt .npy header ({}): {:?}; {}", path_, what,
                              s_.substr(0, end == std::string::npos ? 0 : end + 1), kResaveHint));
  }
  std::string rest_excerpt() const { return s_.substr(pos_, 40); }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}' at offset {}", c, pos_));
    ++pos_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(fmt::format("expected a quoted string at offset {}", pos_));
    const std::size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("fortran_order is neither True nor False");
  }
  std::vector<long long> parse_shape() {
    std::vector<long long> shape;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("shape holds a non-integer");
      long long v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const int digit = peek() - '0';
        if (v > (std::numeric_limits<long long>::max() - digit) / 10) fail("shape entry too large");
        v = v * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long literal
      shape.push_back(v);
      skip_ws();
      if (peek() == ',') ++pos_;
      else if (peek() != ')') fail("malformed shape tuple");
    }
    ++pos_;
    return shape;
  }

  const std::string& s_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

std::string shape_string(const std::vector<long long>& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

NpyDtype parse_dtype(const std::string& descr, const std::string& path) {
  const std::string expected = "expected float32 ('<f4') or float64 ('<f8'), little-endian";
  std::string body = descr;
  char order = '=';
  if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '|' || body[0] == '=')) {
    order = body[0];
    body = body.substr(1);
  }
  if (body != "f4" && body != "f8")
    throw InputError(fmt::format("{}: dtype '{}' is not supported; {}", path, descr, expected));
  if (order == '>' || ((order == '=' || order == '|') && !host_is_little_endian()))
    throw InputError(fmt::format("{}: dtype '{}' is big-endian, which is not supported; {} (convert with "
                                 "numpy: array.astype('<{}'))",
                                 path, descr, expected, body));
  return body == "f4" ? NpyDtype::float32 : NpyDtype::float64;
}

}  // namespace

const char* npy_dtype_descr(NpyDtype dtype) { return dtype == NpyDtype::float32 ? "<f4" : "<f8"; }

NpyMatrix read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw IoError(fmt::format("cannot open {}: {}; check the path and its permissions", path,
                              std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const std::streamoff file_size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (file_size < 0) throw IoError(fmt::format("cannot read {}: cannot determine its size", path));

  auto read_exact = [&](unsigned char* dst, std::size_t n, const char* what) {
    in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(in.gcount()) != n)
      throw IoError(fmt::format("{}: truncated .npy file (ends inside the {}, file size {} bytes); {}", path,
                                what, file_size, kResaveHint));
  };

  unsigned char preamble[kMagicLen + 2];
  read_exact(preamble, sizeof preamble, "magic string");
  if (std::memcmp(preamble, kMagic, kMagicLen) != 0)
    throw IoError(fmt::format("{}: not a .npy file (the first bytes are not \\x93NUMPY); write it with "
                              "numpy.save(path, array)",
                              path));
  const int major = preamble[kMagicLen], minor = preamble[kMagicLen + 1];
  if (major < 1 || major > 3)
    throw InputError(fmt::format("{}: .npy format version {}.{} is not supported; expected 1.0, 2.0 or 3.0",
                                 path, major, minor));
  const int len_bytes = major == 1 ? 2 : 4;
  unsigned char len_field[4];
  read_exact(len_field, static_cast<std::size_t>(len_bytes), "header length");
  const std::size_t header_len = load_le(len_field, len_bytes);
  const std::size_t data_offset = kMagicLen + 2 + static_cast<std::size_t>(len_bytes) + header_len;
  if (data_offset > static_cast<std::size_t>(file_size))
    throw IoError(fmt::format("{}: truncated .npy file (header of {} bytes, file size {} bytes); {}", path,
                              header_len, file_size, kResaveHint));
  std::string header_text(header_len, '\0');
  read_exact(reinterpret_cast<unsigned char*>(header_text.data()), header_len, "header");

  const NpyHeader header = HeaderParser(header_text, path).parse();
  const NpyDtype dtype = parse_dtype(header.descr, path);
  if (header.fortran_order)
    throw InputError(fmt::format("{}: fortran_order is True (column-major); expected C order (row-major); "
                                 "re-save with numpy.save(path, numpy.ascontiguousarray(array))",
                                 path));
  if (header.shape.size() != 2)
    throw InputError(fmt::format("{}: shape {} has {} dimension(s); expected a 2-D array [n_samples, dim]{}", path,
                                 shape_string(header.shape), header.shape.size(),
                                 header.shape.size() == 1 ? " (for one sample use array.reshape(1, -1))" : ""));

  NpyMatrix out;
  out.dtype = dtype;
  out.rows = static_cast<std::size_t>(header.shape[0]);
  out.cols = static_cast<std::size_t>(header.shape[1]);
  const std::size_t item = dtype == NpyDtype::float32 ? 4 : 8;
  const std::size_t available = static_cast<std::size_t>(file_size) - data_offset;
  if (out.cols != 0 && out.rows > available / item / out.cols)
    throw IoError(fmt::format("{}: truncated .npy file: shape {} needs {} bytes of data, the file holds {}; {}",
                              path, shape_string(header.shape),
                              static_cast<double>(out.rows) * static_cast<double>(out.cols * item), available,
                              kResaveHint));
  const std::size_t count = out.rows * out.cols;
  out.data.resize(count);

  std::vector<unsigned char> block(std::min(kReadBlockBytes, count * item));
  const std::size_t per_block = block.empty() ? 0 : block.size() / item;
  for (std::size_t done = 0; done < count;) {
    const std::size_t n = std::min(per_block, count - done);
    read_exact(block.data(), n * item, "data");
    if (dtype == NpyDtype::float64) {
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
  if (rows * cols > 0 && data == nullptr)
    throw InputError(fmt::format("write_npy({}): data is null for shape ({}, {})", path, rows, cols));
  std::string header = fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  const std::size_t unpadded = kMagicLen + 2 + 2 + header.size() + 1;  // + '\n'
  header.append((kHeaderAlignment - unpadded % kHeaderAlignment) % kHeaderAlignment, ' ');
  header.push_back('\n');
  IDEALGAS_ASSERT(header.size() <= 0xffff, "a 2-D header always fits the version 1.0 length field");

  std::string bytes;
  bytes.reserve(kMagicLen + 4 + header.size() + rows * cols * 8);
  bytes.append(kMagic, kMagicLen);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  for (std::size_t i = 0; i < rows * cols; ++i) {
    std::uint64_t bits;
    std::memcpy(&bits, &data[i], 8);
    for (int b = 0; b < 8; ++b) bytes.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
  }
  write_file_atomically(path, bytes);
}

}  // namespace idealgas
