// libFuzzer target: the snapshot-file reader on arbitrary bytes: the block reader (every value, in column blocks),
// the snapshot writer reopening the file (header checks, truncation of a torn row, one appended row) and the
// entropy estimator reading a row range of it in stream mode. Every input must be read consistently or refused
// with idealgas::Error; anything else (another exception, a crash, a sanitizer report) is a bug.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_input_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/npy_stream.hpp"

namespace {

// Inputs this small keep every estimate cheap (the fuzzer explores headers and sizes, not the arithmetic).
constexpr std::size_t kMaxEstimateValues = 256;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static idealgas::fuzz::InputFile file;
  const std::string& path = file.write(data, size);
  std::size_t rows = 0, cols = 0;
  idealgas::NpyDtype dtype = idealgas::NpyDtype::float64;
  try {
    const idealgas::NpyBlockReader reader(path);
    const idealgas::NpyLayout& lay = reader.layout();
    rows = lay.rows, cols = lay.cols, dtype = lay.dtype;
    const std::size_t w = std::min<std::size_t>(cols, 3);
    std::vector<unsigned char> scratch(w * lay.item_bytes() + 1);
    std::vector<double> block(rows * w + 1);
    for (std::size_t c0 = 0; c0 < cols; c0 += w) {
      const std::size_t c1 = std::min(cols, c0 + w);
      reader.read(0, rows, c0, c1, block.data(), w, scratch.data());
    }
  } catch (const idealgas::Error&) {
    return 0;
  }
  if (rows * cols > 0 && rows * cols <= kMaxEstimateValues) {
    idealgas::EntropyOptions o;
    o.euclidean = (data[size - 1] & 1) != 0;
    o.rotate = !o.euclidean && (data[size - 1] & 2) != 0;
    o.k = 1 + (data[size - 1] >> 6);
    o.io_cols = 4;  // stream mode: the file read in column blocks, twice
    o.panel_cols = 4;
    try {
      const auto e = idealgas::estimate_entropy_npy(path, o, rows > 2 ? 1 : 0, 0);
      if (e.n_distinct > e.n) std::abort();
    } catch (const idealgas::Error&) {
    }
  }
  if (cols == 0) return 0;
  try {
    idealgas::NpySnapshotWriter writer(path, cols, dtype);
    const std::size_t before = writer.rows();
    std::vector<double> row(cols, 0.5);
    writer.append(row.data());
    if (idealgas::read_npy_layout(path).rows != before + 1) std::abort();  // the header follows the rows
  } catch (const idealgas::Error&) {
  }
  return 0;
}
