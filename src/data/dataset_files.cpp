#include "idealgas/data/dataset_files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <zlib.h>

#include "idealgas/core/error.hpp"

namespace idealgas::data {

namespace {

namespace fs = std::filesystem;

// No file of these datasets decompresses to more than this (Fashion-MNIST train images: 47 MB; CIFAR-100
// train.bin: 154 MB); a larger stream is corrupt (or a gzip bomb) and is not read into memory.
constexpr std::size_t kMaxDecompressedBytes = std::size_t{1} << 30;

constexpr const char* kFashionMnistHint =
    "install Debian's dataset-fashion-mnist (scripts/setup.sh) or point data.path at a folder with the four IDX "
    "files of https://github.com/zalandoresearch/fashion-mnist";
constexpr const char* kCifar10Hint =
    "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and set "
    "data.path to the cifar-10-batches-bin folder";
constexpr const char* kCifar100Hint =
    "download cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and set "
    "data.path to the cifar-100-binary folder";

// a * b, or an IoError naming the file when it does not fit in size_t.
std::size_t checked_mul(std::size_t a, std::size_t b, const std::string& source) {
  std::size_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw IoError(fmt::format("{}: header sizes {} x {} overflow; the file is corrupt", source, a, b));
  return r;
}

// The whole (decompressed) content of a gzip or plain file: zlib reads both.
std::string read_maybe_gzip(const fs::path& path, const char* hint) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_regular_file(status))  // a FIFO would block, a folder cannot be read
    throw IoError(fmt::format("{} is not a regular file; {}", path.string(), hint));
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr)
    throw IoError(fmt::format("cannot open {}: {}; {}", path.string(), std::strerror(errno ? errno : ENOENT), hint));
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int got = gzread(f, buf, sizeof buf);
    if (got < 0) {
      int code = 0;
      const std::string what = gzerror(f, &code);
      gzclose(f);
      throw IoError(fmt::format("{} is corrupt ({}); {}", path.string(), what, hint));
    }
    if (got == 0) break;
    if (out.size() + static_cast<std::size_t>(got) > kMaxDecompressedBytes) {
      gzclose(f);
      throw IoError(fmt::format("{} decompresses to more than {} bytes, more than any file of this dataset; it is "
                                "corrupt; {}",
                                path.string(), kMaxDecompressedBytes, hint));
    }
    out.append(buf, static_cast<std::size_t>(got));
  }
  gzclose(f);
  return out;
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// First existing path of `name.gz`, `name` in `dir`; the .gz name if neither exists (for the message).
fs::path idx_path(const std::string& dir, const std::string& name) {
  const fs::path gz = fs::path(dir) / (name + ".gz");
  const fs::path plain = fs::path(dir) / name;
  std::error_code ec;
  if (!fs::exists(gz, ec) && fs::exists(plain, ec)) return plain;
  return gz;
}

// dir itself if it holds `probe`, else dir/sub if that does; dir otherwise (the message then names dir/probe).
fs::path cifar_folder(const std::string& dir, const char* sub, const char* probe) {
  std::error_code ec;
  if (fs::exists(fs::path(dir) / probe, ec)) return dir;
  if (fs::exists(fs::path(dir) / sub / probe, ec)) return fs::path(dir) / sub;
  return dir;
}

}  // namespace

std::vector<std::size_t> parse_idx(const std::string& bytes, int expected_dims, const std::string& source,
                                   std::vector<std::uint8_t>& payload) {
  if (bytes.size() < 4)
    throw IoError(fmt::format("{}: {} bytes, too short for an IDX header; the file is truncated", source,
                              bytes.size()));
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (b[0] != 0 || b[1] != 0 || b[2] != 0x08 || b[3] != expected_dims)
    throw IoError(fmt::format("{}: IDX magic {:02x}{:02x}{:02x}{:02x}, expected 000008{:02x} (unsigned bytes, {} "
                              "dimensions); not the IDX file expected",
                              source, b[0], b[1], b[2], b[3], expected_dims, expected_dims));
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(expected_dims);
  if (bytes.size() < header)
    throw IoError(fmt::format("{}: {} bytes, shorter than its {}-byte IDX header; the file is truncated", source,
                              bytes.size(), header));
  std::vector<std::size_t> dims;
  std::size_t count = 1;
  for (int k = 0; k < expected_dims; ++k) {
    dims.push_back(big_endian_u32(bytes, 4 + 4 * static_cast<std::size_t>(k)));
    count = checked_mul(count, dims.back(), source);
  }
  if (bytes.size() - header != count)
    throw IoError(fmt::format("{}: the header promises {} data bytes, the file holds {}; it is truncated or corrupt",
                              source, count, bytes.size() - header));
  payload.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return dims;
}

void parse_cifar_records(const std::string& bytes, int label_bytes, int classes, const std::string& source,
                         ImageDataset& out) {
  constexpr std::size_t kImageBytes = 3 * 32 * 32;
  const std::size_t record = static_cast<std::size_t>(label_bytes) + kImageBytes;
  if (bytes.empty() || bytes.size() % record != 0)
    throw IoError(fmt::format("{}: {} bytes, not a positive multiple of the {}-byte record of the CIFAR-{} binary "
                              "format; the file is truncated or not a CIFAR-{} binary file",
                              source, bytes.size(), record, classes, classes));
  const std::size_t n = bytes.size() / record;
  out.channels = 3;
  out.height = out.width = 32;
  out.classes = classes;
  out.pixels.reserve(checked_mul(out.n + n, kImageBytes, source));
  for (std::size_t i = 0; i < n; ++i) {
    const auto* r = reinterpret_cast<const unsigned char*>(bytes.data() + i * record);
    const unsigned label = r[label_bytes - 1];
    if (label >= static_cast<unsigned>(classes))
      throw IoError(fmt::format("{}: record {} has label {}, outside 0..{}; the file is corrupt or of another "
                                "CIFAR variant",
                                source, i, label, classes - 1));
    out.labels.push_back(static_cast<std::uint8_t>(label));
    out.pixels.insert(out.pixels.end(), r + label_bytes, r + record);
  }
  out.n += n;
}

ImageDataset load_fashion_mnist(const std::string& dir, Split split) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const fs::path images_path = idx_path(dir, prefix + "-images-idx3-ubyte");
  const fs::path labels_path = idx_path(dir, prefix + "-labels-idx1-ubyte");
  ImageDataset ds;
  ds.name = fmt::format("fashion-mnist {}", split == Split::train ? "train" : "test");
  const std::vector<std::size_t> image_dims =
      parse_idx(read_maybe_gzip(images_path, kFashionMnistHint), 3, images_path.string(), ds.pixels);
  const std::vector<std::size_t> label_dims =
      parse_idx(read_maybe_gzip(labels_path, kFashionMnistHint), 1, labels_path.string(), ds.labels);
  if (image_dims[0] != label_dims[0])
    throw IoError(fmt::format("{} holds {} images but {} holds {} labels; the files do not belong together; {}",
                              images_path.string(), image_dims[0], labels_path.string(), label_dims[0],
                              kFashionMnistHint));
  if (image_dims[0] == 0 || image_dims[1] == 0 || image_dims[2] == 0)
    throw IoError(fmt::format("{}: empty image set ({}x{}x{}); {}", images_path.string(), image_dims[0],
                              image_dims[1], image_dims[2], kFashionMnistHint));
  ds.n = image_dims[0];
  ds.channels = 1;
  ds.height = image_dims[1];
  ds.width = image_dims[2];
  ds.classes = 10;
  for (std::size_t i = 0; i < ds.n; ++i)
    if (ds.labels[i] >= 10)
      throw IoError(fmt::format("{}: label {} of item {} is outside 0..9; the file is corrupt; {}",
                                labels_path.string(), ds.labels[i], i, kFashionMnistHint));
  return ds;
}

ImageDataset load_cifar10(const std::string& dir, Split split) {
  const fs::path folder = cifar_folder(dir, "cifar-10-batches-bin", "test_batch.bin");
  ImageDataset ds;
  ds.name = fmt::format("cifar10 {}", split == Split::train ? "train" : "test");
  std::vector<std::string> files;
  if (split == Split::train)
    for (int b = 1; b <= 5; ++b) files.push_back(fmt::format("data_batch_{}.bin", b));
  else
    files.push_back("test_batch.bin");
  for (const std::string& f : files) {
    const fs::path path = folder / f;
    parse_cifar_records(read_maybe_gzip(path, kCifar10Hint), 1, 10, path.string(), ds);
  }
  return ds;
}

ImageDataset load_cifar100(const std::string& dir, Split split) {
  const fs::path folder = cifar_folder(dir, "cifar-100-binary", "test.bin");
  ImageDataset ds;
  ds.name = fmt::format("cifar100 {}", split == Split::train ? "train" : "test");
  const fs::path path = folder / (split == Split::train ? "train.bin" : "test.bin");
  parse_cifar_records(read_maybe_gzip(path, kCifar100Hint), 2, 100, path.string(), ds);
  return ds;
}

}  // namespace idealgas::data
