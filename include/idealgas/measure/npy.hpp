// NumPy .npy files holding one 2-D float array in C order: the hand-over format for sample queues (rows =
// samples, columns = coordinates). Reads little-endian float32 ('<f4') or float64 ('<f8') into double; writes
// float64 ('<f8', version 1.0) atomically. The header is parsed by npy_header.hpp (the project's one parser,
// which states what is accepted and which errors are raised); a FIFO or any other non-regular file is refused.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "idealgas/measure/npy_header.hpp"

namespace idealgas {

/// A 2-D array read from an .npy file.
struct NpyMatrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> data;  // [rows, cols], row-major; float32 files are widened exactly
  NpyDtype dtype = NpyDtype::float64;  // the dtype in the file

  const double* row(std::size_t i) const { return data.data() + i * cols; }
};

/// Reads a 2-D '<f4' or '<f8' C-order array ('|' and '=' byte orders are accepted on little-endian
/// hosts, where they mean little-endian). Bytes after the array (e.g. a second np.save into the same
/// file) are ignored, as numpy.load does. Throws IoError or InputError (npy_header.hpp).
NpyMatrix read_npy(const std::string& path);

/// Writes `data` as a '<f8' C-order array of shape (rows, cols), format version 1.0, atomically
/// (temporary file in the same folder, then rename). Throws IoError naming the path.
void write_npy(const std::string& path, const double* data,  // [rows, cols], row-major
               std::size_t rows, std::size_t cols);

}  // namespace idealgas
