// libFuzzer target: the .npy reader (header parser and data) on arbitrary bytes. Every input must either be read,
// with a shape that the bytes can hold, or be refused with idealgas::Error (InputError / IoError); anything else
// (another exception, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_input_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static idealgas::fuzz::InputFile file;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  bool parsed = false;
  try {
    const idealgas::NpyLayout lay = idealgas::parse_npy_header(bytes, size, "fuzz.npy");
    parsed = true;
    if (lay.data_offset + lay.data_bytes() > size) std::abort();  // the layout promised bytes the file lacks
  } catch (const idealgas::Error&) {
  }
  try {
    const idealgas::NpyMatrix m = idealgas::read_npy(file.write(data, size));
    if (!parsed || m.data.size() != m.rows * m.cols) std::abort();  // one parser: the same verdict
  } catch (const idealgas::Error&) {
    if (parsed) std::abort();
  }
  return 0;
}
