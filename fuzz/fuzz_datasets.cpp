// libFuzzer target: the dataset loaders (data/dataset_files.hpp) on arbitrary bytes. The first byte picks the reader:
//   0: an IDX labels file (parse_idx, 1 dimension)      1: an IDX images file (parse_idx, 3 dimensions)
//   2: CIFAR-10 records (parse_cifar_records, 1 label)   3: CIFAR-100 records (2 label bytes)
//   4: the rest written as a CIFAR-10 test_batch.bin and read by load_cifar10: the gzip-or-plain file reader
//      (zlib, the decompressed-size limit) in front of the record parser, as a user's file is read.
// Every input must give a dataset or an idealgas::Error naming the problem; anything else is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/data/dataset_files.hpp"

namespace {

// One folder per fuzzing process in /dev/shm (memory, not disk), holding test_batch.bin.
const std::filesystem::path& scratch_folder() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::path("/dev/shm") / ("idealgas_fuzz_datasets_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 5;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    std::vector<std::uint8_t> payload;
    idealgas::data::ImageDataset ds;
    switch (mode) {
      case 0: (void)idealgas::data::parse_idx(bytes, 1, "fuzz-labels", payload); break;
      case 1: (void)idealgas::data::parse_idx(bytes, 3, "fuzz-images", payload); break;
      case 2: idealgas::data::parse_cifar_records(bytes, 1, 10, "fuzz-cifar10", ds); break;
      case 3: idealgas::data::parse_cifar_records(bytes, 2, 100, "fuzz-cifar100", ds); break;
      default: {
        const std::filesystem::path file = scratch_folder() / "test_batch.bin";
        {
          std::ofstream out(file, std::ios::binary | std::ios::trunc);
          out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
          if (!out) std::abort();
        }
        (void)idealgas::data::load_cifar10(scratch_folder().string(), idealgas::data::Split::test);
      }
    }
  } catch (const idealgas::Error&) {
  }
  return 0;
}
