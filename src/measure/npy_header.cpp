#include "idealgas/measure/npy_header.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/core/regular_file.hpp"

namespace idealgas {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::uint64_t kMaxShapeEntry = std::numeric_limits<std::int64_t>::max();  // numpy's dimensions are int64
// Corrupt headers are quoted in the message up to this many characters (escaped, so on one line).
constexpr std::size_t kQuoteChars = 160;
const char* kResaveHint = "re-save it with numpy.save(path, array)";

bool host_is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

std::uint64_t load_le(const char* p, std::size_t n_bytes) {
  std::uint64_t v = 0;
  for (std::size_t b = n_bytes; b-- > 0;) v = (v << 8) | static_cast<unsigned char>(p[b]);
  return v;
}

struct HeaderDict {
  bool descr_is_list = false;
  std::string descr;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
  std::string_view shape_text;  // as written, for messages
};

// The grammar at the top of npy_header.hpp, by recursive descent over the header text (its final '\n' removed).
class DictParser {
 public:
  DictParser(std::string_view text, bool python2_longs, const std::string& path)
      : s_(text), longs_(python2_longs), path_(path) {}

  HeaderDict parse() {
    HeaderDict h;
    bool seen[3] = {false, false, false};
    expect('{');
    for (;;) {
      skip_spaces();
      if (peek() == '}') break;
      const std::size_t key_at = pos_;
      const std::string_view key = parse_string("a quoted key");
      const int which = key == "descr" ? 0 : key == "fortran_order" ? 1 : key == "shape" ? 2 : -1;
      if (which < 0) fail(fmt::format("unexpected key '{}' at offset {}", key, key_at));
      if (seen[which])
        fail(fmt::format("key '{}' appears twice (numpy.load would silently keep the last value)", key));
      seen[which] = true;
      skip_spaces();
      expect(':');
      skip_spaces();
      if (which == 0) {
        if (peek() == '[') {
          h.descr_is_list = true;
          return h;  // a structured dtype: reported as unsupported content, whatever follows
        }
        h.descr = std::string(parse_string("the dtype string"));
      } else if (which == 1) {
        h.fortran_order = parse_bool();
      } else {
        const std::size_t start = pos_;
        h.shape = parse_shape();
        h.shape_text = s_.substr(start, pos_ - start);
      }
      skip_spaces();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail(fmt::format("expected ',' or '}}' after the value of '{}' at offset {}", key, pos_));
    }
    ++pos_;  // '}'
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
    if (pos_ != s_.size())
      fail(fmt::format("unexpected bytes after the dict at offset {} (only spaces may pad the header)", pos_));
    if (!(seen[0] && seen[1] && seen[2])) fail("the dict lacks one of the keys 'descr', 'fortran_order', 'shape'");
    return h;
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::string_view shown = s_;
    const std::size_t end = shown.find_last_not_of(' ');  // the padding says nothing
    shown = shown.substr(0, end == std::string_view::npos ? 0 : end + 1);
    const bool cut = shown.size() > kQuoteChars;
    throw IoError(fmt::format("{}: corrupt .npy header ({}): {:?}{}; {}", path_, what, shown.substr(0, kQuoteChars),
                              cut ? "..." : "", kResaveHint));
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_spaces() {
    while (peek() == ' ') ++pos_;
  }
  void expect(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) fail(fmt::format("expected '{}' at offset {}", c, pos_));
    ++pos_;
  }
  // A quoted string without escapes: printable ASCII between two equal quotes.
  std::string_view parse_string(const char* what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(fmt::format("expected {} at offset {}", what, pos_));
    const std::size_t begin = pos_ + 1;
    std::size_t end = begin;
    while (end < s_.size() && s_[end] != quote) {
      const auto c = static_cast<unsigned char>(s_[end]);
      if (c == '\\' || c < 0x20 || c > 0x7e)
        fail(fmt::format("escape or non-printable character in a string at offset {}", end));
      ++end;
    }
    if (end >= s_.size()) fail("unterminated string");
    pos_ = end + 1;
    return s_.substr(begin, end - begin);
  }
  bool parse_bool() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail(fmt::format("fortran_order is neither True nor False at offset {}", pos_));
  }
  std::uint64_t parse_int() {
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!is_digit(peek())) fail(fmt::format("shape holds something other than a decimal integer at offset {}", pos_));
    if (peek() == '0' && is_digit(pos_ + 1 < s_.size() ? s_[pos_ + 1] : '\0'))
      fail(fmt::format("shape entry with a leading zero at offset {} (Python rejects it)", pos_));
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    bool too_large = false;
    while (is_digit(peek())) {
      const auto digit = static_cast<std::uint64_t>(peek() - '0');
      if (v > (kMaxShapeEntry - digit) / 10) too_large = true;
      if (!too_large) v = v * 10 + digit;
      ++pos_;
    }
    if (too_large)
      throw InputError(fmt::format("{}: .npy shape entry {} is larger than 2^63 - 1 (numpy's limit); {}", path_,
                                   s_.substr(start, pos_ - start), kResaveHint));
    if (longs_ && peek() == 'L') ++pos_;
    return v;
  }
  std::vector<std::uint64_t> parse_shape() {
    std::vector<std::uint64_t> shape;
    expect('(');
    skip_spaces();
    bool comma_last = false;
    while (peek() != ')') {
      shape.push_back(parse_int());
      comma_last = false;
      skip_spaces();
      if (peek() == ',') {
        ++pos_;
        comma_last = true;
        skip_spaces();
      } else if (peek() != ')') {
        fail(fmt::format("malformed shape tuple at offset {}", pos_));
      }
    }
    ++pos_;  // ')'
    if (shape.size() == 1 && !comma_last) fail("shape (n) is an integer, not a tuple; numpy writes (n,)");
    return shape;
  }

  std::string_view s_;
  bool longs_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

NpyDtype dtype_of(const std::string& descr, const std::string& path) {
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
  if (!host_is_little_endian()) throw InputError(fmt::format("{}: reading .npy files needs a little-endian host", path));
  return body == "f4" ? NpyDtype::float32 : NpyDtype::float64;
}

}  // namespace

const char* npy_dtype_descr(NpyDtype dtype) { return dtype == NpyDtype::float32 ? "<f4" : "<f8"; }
std::size_t npy_item_bytes(NpyDtype dtype) { return dtype == NpyDtype::float32 ? 4 : 8; }

NpyLayout parse_npy_header(std::string_view head, std::uint64_t file_size, const std::string& path) {
  auto truncated = [&](const char* inside) {
    return IoError(fmt::format("{}: truncated .npy file (it ends inside the {}; file size {} bytes); {}", path, inside,
                               file_size, kResaveHint));
  };
  if (head.size() < kMagicLen + 2) {
    if (head.size() >= kMagicLen && head.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
      throw IoError(fmt::format("{}: not a .npy file (the first bytes are not \\x93NUMPY); write it with "
                                "numpy.save(path, array)",
                                path));
    throw truncated("magic string");
  }
  if (head.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
    throw IoError(fmt::format("{}: not a .npy file (the first bytes are not \\x93NUMPY); write it with "
                              "numpy.save(path, array)",
                              path));
  const int major = static_cast<unsigned char>(head[kMagicLen]), minor = static_cast<unsigned char>(head[kMagicLen + 1]);
  if (major < 1 || major > 3 || minor != 0)
    throw InputError(fmt::format("{}: .npy format version {}.{} is not supported; expected 1.0, 2.0 or 3.0 (those "
                                 "numpy writes and reads)",
                                 path, major, minor));
  const std::size_t len_bytes = major == 1 ? 2 : 4, preamble = kMagicLen + 2 + len_bytes;
  if (head.size() < preamble) throw truncated("header length");
  const std::uint64_t header_len = load_le(head.data() + kMagicLen + 2, len_bytes);
  if (file_size < preamble || header_len > file_size - preamble) throw truncated("header");
  if (header_len > kNpyMaxHeaderBytes)
    throw InputError(fmt::format("{}: .npy header of {} bytes; numpy.load (and idealgas) read at most {}", path,
                                 header_len, kNpyMaxHeaderBytes));
  const std::uint64_t data_offset = preamble + header_len;
  if (data_offset > file_size || data_offset > head.size()) throw truncated("header");
  const std::string_view text = head.substr(preamble, static_cast<std::size_t>(header_len));

  DictParser parser(text.empty() ? text : text.substr(0, text.size() - 1), major <= 2, path);
  if (text.empty() || text.back() != '\n') parser.fail("the header does not end with '\\n'");
  const HeaderDict h = parser.parse();
  if (h.descr_is_list)
    throw InputError(fmt::format("{}: structured dtype (a list of fields) is not supported; expected float32 "
                                 "('<f4') or float64 ('<f8'), little-endian",
                                 path));
  NpyLayout lay;
  lay.dtype = dtype_of(h.descr, path);
  lay.data_offset = data_offset;
  if (h.fortran_order)
    throw InputError(fmt::format("{}: fortran_order is True (column-major); expected C order (row-major); re-save "
                                 "with numpy.save(path, numpy.ascontiguousarray(array))",
                                 path));
  if (h.shape.size() != 2)
    throw InputError(fmt::format("{}: shape {} has {} dimension(s); expected a 2-D array [n_samples, dim]{}", path,
                                 h.shape_text, h.shape.size(),
                                 h.shape.size() == 1 ? " (for one sample use array.reshape(1, -1))" : ""));
  // numpy's rule: the product of the non-zero dimensions times the item size must fit in a signed 64-bit size.
  std::uint64_t bytes_nonzero = lay.item_bytes();
  for (const std::uint64_t dim : h.shape)
    if (dim != 0 && (__builtin_mul_overflow(bytes_nonzero, dim, &bytes_nonzero) || bytes_nonzero > kMaxShapeEntry))
      throw InputError(fmt::format("{}: shape {} of '{}' values needs more than 2^63 - 1 bytes (numpy's limit); not "
                                   "a real array",
                                   path, h.shape_text, npy_dtype_descr(lay.dtype)));
  const std::uint64_t bytes = h.shape[0] == 0 || h.shape[1] == 0 ? 0 : bytes_nonzero;
  static_assert(sizeof(std::size_t) >= sizeof(std::uint64_t), "sizes are 64-bit");
  if (bytes > file_size - data_offset)
    throw IoError(fmt::format("{}: truncated .npy file: shape {} needs {} bytes of data, the file holds {}; {}", path,
                              h.shape_text, bytes, file_size - data_offset, kResaveHint));
  lay.rows = static_cast<std::size_t>(h.shape[0]);
  lay.cols = static_cast<std::size_t>(h.shape[1]);
  return lay;
}

NpyLayout read_npy_layout(const std::string& path) {
  const RegularFile file(path, RegularFile::Mode::read);
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file.size_at_open(), kNpyMaxHeadBytes)), '\0');
  head.resize(file.read_some(head.data(), head.size(), 0));
  return parse_npy_header(head, file.size_at_open(), path);
}

}  // namespace idealgas
