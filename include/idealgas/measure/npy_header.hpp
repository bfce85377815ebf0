// The header of a NumPy .npy file: the one parser of the project (read_npy, the block reader, snapshot files).
// It accepts what numpy.save writes and numpy.load reads, and nothing more (numpy.lib.format describes the format):
//   "\x93NUMPY", the version major.minor (1.0, 2.0 or 3.0), the header length (little-endian; 2 bytes for 1.0,
//   4 for 2.0 and 3.0; at most kNpyMaxHeaderBytes, numpy.load's own limit), then the header text: a Python dict
//   literal with exactly the keys 'descr', 'fortran_order' and 'shape', each once, in any order, e.g.
//       {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
//   keys and descr in single or double quotes (no escapes), fortran_order True or False, shape a tuple of
//   decimal integers (no sign, no leading zeros, a 1-tuple with its comma; the Python 2 suffix 'L' in versions
//   1.0 and 2.0, which numpy.load strips), spaces between tokens, an optional trailing comma, and after the '}'
//   padding spaces and one '\n' that ends the header.
// Where numpy.load's literal_eval is lax this parser is not: it rejects duplicate keys (numpy silently keeps the
// last value), comments, escapes, expressions ('+1', '1_0', '0x1'), tabs and newlines, which numpy never writes.
// tests/measure/test_npy.cpp records numpy's verdict on every case and checks it with numpy when it is present.
//
// Errors: IoError when the bytes are not a well-formed .npy header or the file is shorter than the header says;
// InputError when the header is well formed but describes what idealgas does not read (dtype, byte order, Fortran
// order, number of dimensions, version) or a size past 2^64 bytes. Each message names the file, on one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace idealgas {

/// Element type of an .npy file as stored on disk (the values are always read as double).
enum class NpyDtype { float32, float64 };

/// NumPy's descriptor of a supported dtype: "<f4" or "<f8".
const char* npy_dtype_descr(NpyDtype dtype);
/// Bytes per element: 4 or 8.
std::size_t npy_item_bytes(NpyDtype dtype);

/// numpy.load refuses longer header texts (numpy.lib.format._MAX_HEADER_SIZE); so does idealgas.
constexpr std::size_t kNpyMaxHeaderBytes = 10000;
/// Magic (6), version (2) and the longest length field (4): the bytes before the header text.
constexpr std::size_t kNpyMaxPreambleBytes = 12;
/// The most bytes at the start of a file that parse_npy_header can need.
constexpr std::size_t kNpyMaxHeadBytes = kNpyMaxPreambleBytes + kNpyMaxHeaderBytes;

/// Where the values of a 2-D C-order '<f4'/'<f8' array sit in its file. The file holds at least data_bytes()
/// bytes after data_offset (checked), so rows * cols * item bytes fits in 64 bits.
struct NpyLayout {
  std::size_t rows = 0, cols = 0;
  NpyDtype dtype = NpyDtype::float64;
  std::uint64_t data_offset = 0;  // bytes before the first value (magic to the header's '\n')
  std::size_t item_bytes() const { return npy_item_bytes(dtype); }
  std::uint64_t data_bytes() const { return static_cast<std::uint64_t>(rows) * cols * item_bytes(); }
};

/// Parses and checks the header of a file of `file_size` bytes whose first bytes are `head` (at least
/// min(file_size, kNpyMaxHeadBytes) of them). `path` names the file in errors.
NpyLayout parse_npy_header(std::string_view head, std::uint64_t file_size, const std::string& path);

/// Opens `path` (a regular file; a FIFO, device, socket or directory is refused at once, never waited on) and
/// returns its checked layout.
NpyLayout read_npy_layout(const std::string& path);

}  // namespace idealgas
