// Dataset loaders (data/dataset_files.hpp) on files written here in the exact standard formats, and on the real
// Fashion-MNIST files that Debian's dataset-fashion-mnist installs; class-balanced subsets, padding, normalisation
// and the synthetic set. Torch-free.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include "idealgas/core/error.hpp"
#include "idealgas/data/dataset_files.hpp"
#include "idealgas/data/synthetic.hpp"

namespace idealgas::data {
namespace {

namespace fs = std::filesystem;

class DatasetFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("idealgas_data_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string be32(std::uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
}

std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::string s = std::string("\0\0\x08\x03", 4) + be32(n) + be32(rows) + be32(cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) s += static_cast<char>((i * 7) % 256);
  return s;
}

std::string idx_labels(std::uint32_t n) {
  std::string s = std::string("\0\0\x08\x01", 4) + be32(n);
  for (std::uint32_t i = 0; i < n; ++i) s += static_cast<char>(i % 10);
  return s;
}

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

void write_plain(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(DatasetFiles, ParsesIdxHeadersAndRefusesBadOnes) {
  std::vector<std::uint8_t> payload;
  const auto dims = parse_idx(idx_images(3, 2, 4), 3, "x", payload);
  EXPECT_EQ(dims, (std::vector<std::size_t>{3, 2, 4}));
  ASSERT_EQ(payload.size(), 24u);
  EXPECT_EQ(payload[5], 35);
  // Wrong magic, truncated data, trailing data, a header whose sizes overflow 64 bits: one message each.
  EXPECT_NE(error_of([&] { parse_idx(idx_labels(3), 3, "f", payload); }).find("expected 00000803"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx(idx_images(3, 2, 4).substr(0, 30), 3, "f", payload); }).find("promises 24"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx(idx_images(3, 2, 4) + "x", 3, "f", payload); }).find("holds 25"),
            std::string::npos);
  const std::string huge = std::string("\0\0\x08\x03", 4) + be32(0xffffffffu) + be32(0xffffffffu) + be32(0xffffffffu);
  EXPECT_NE(error_of([&] { parse_idx(huge, 3, "f", payload); }).find("overflow"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_idx(std::string("\0\0", 2), 1, "f", payload); }).find("too short"), std::string::npos);
}

TEST_F(DatasetFiles, LoadsFashionMnistFormatGzipAndPlain) {
  write_gz(dir_ / "train-images-idx3-ubyte.gz", idx_images(20, 28, 28));
  write_gz(dir_ / "train-labels-idx1-ubyte.gz", idx_labels(20));
  write_plain(dir_ / "t10k-images-idx3-ubyte", idx_images(10, 28, 28));  // uncompressed names are read too
  write_plain(dir_ / "t10k-labels-idx1-ubyte", idx_labels(10));
  const ImageDataset train = load_fashion_mnist(dir_.string(), Split::train);
  EXPECT_EQ(train.n, 20u);
  EXPECT_EQ(train.channels, 1u);
  EXPECT_EQ(train.height, 28u);
  EXPECT_EQ(train.classes, 10);
  EXPECT_EQ(train.labels[13], 3);
  EXPECT_EQ(train.pixels[784 + 1], static_cast<std::uint8_t>((785 * 7) % 256));
  EXPECT_EQ(load_fashion_mnist(dir_.string(), Split::test).n, 10u);

  write_gz(dir_ / "train-labels-idx1-ubyte.gz", idx_labels(19));
  const std::string mismatch = error_of([&] { load_fashion_mnist(dir_.string(), Split::train); });
  EXPECT_NE(mismatch.find("20 images but"), std::string::npos) << mismatch;
  std::string bad_label = idx_labels(20);
  bad_label[8 + 4] = 10;
  write_gz(dir_ / "train-labels-idx1-ubyte.gz", bad_label);
  EXPECT_NE(error_of([&] { load_fashion_mnist(dir_.string(), Split::train); }).find("outside 0..9"), std::string::npos);
  write_plain(dir_ / "train-images-idx3-ubyte.gz", "\x1f\x8b\x08garbage");
  EXPECT_NE(error_of([&] { load_fashion_mnist(dir_.string(), Split::train); }).find("dataset-fashion-mnist"),
            std::string::npos);
}

TEST_F(DatasetFiles, MissingDataSaysWhereAndHowToGetIt) {
  const std::string e = error_of([&] { load_fashion_mnist((dir_ / "nowhere").string(), Split::train); });
  EXPECT_NE(e.find((dir_ / "nowhere" / "train-images-idx3-ubyte.gz").string()), std::string::npos) << e;
  EXPECT_NE(e.find("dataset-fashion-mnist"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line";
  const std::string c = error_of([&] { load_cifar10(dir_.string(), Split::train); });
  EXPECT_NE(c.find("data_batch_1.bin"), std::string::npos) << c;
  EXPECT_NE(c.find("cifar-10-binary.tar.gz"), std::string::npos) << c;
  fs::create_directories(dir_ / "folder" / "train-images-idx3-ubyte.gz");  // not a regular file
  EXPECT_NE(error_of([&] { load_fashion_mnist((dir_ / "folder").string(), Split::train); }).find("not a regular file"),
            std::string::npos);
}

// The real Fashion-MNIST (Debian's dataset-fashion-mnist): 60,000 + 10,000 images of 28x28, 6000 / 1000 per
// class (Xiao et al. 2017), pixel mean 0.2860 and std 0.3530 over the training set (the values quoted with it).
TEST(FashionMnist, RealFilesHaveTheKnownSizesAndStatistics) {
  const ImageDataset train = load_fashion_mnist(kDebianFashionMnistDir, Split::train);
  const ImageDataset test = load_fashion_mnist(kDebianFashionMnistDir, Split::test);
  EXPECT_EQ(train.n, 60000u);
  EXPECT_EQ(test.n, 10000u);
  EXPECT_EQ(train.height, 28u);
  for (std::size_t c : train.class_counts()) EXPECT_EQ(c, 6000u);
  for (std::size_t c : test.class_counts()) EXPECT_EQ(c, 1000u);
  const ChannelNormalisation norm = channel_statistics(train);
  EXPECT_NEAR(norm.mean[0], 0.2860, 1e-4);
  EXPECT_NEAR(norm.std[0], 0.3530, 1e-4);
}

std::string cifar_record(int label_bytes, int coarse, int label, int seed) {
  std::string r;
  if (label_bytes == 2) r += static_cast<char>(coarse);
  r += static_cast<char>(label);
  for (int q = 0; q < 3072; ++q) r += static_cast<char>((q + seed) % 251);
  return r;
}

TEST_F(DatasetFiles, LoadsCifar10And100BinaryFormats) {
  const fs::path c10 = dir_ / "cifar-10-batches-bin";
  fs::create_directories(c10);
  for (int b = 1; b <= 5; ++b)
    write_plain(c10 / ("data_batch_" + std::to_string(b) + ".bin"), cifar_record(1, 0, b, b) + cifar_record(1, 0, 9, 0));
  write_plain(c10 / "test_batch.bin", cifar_record(1, 0, 4, 7));
  const ImageDataset train = load_cifar10(dir_.string(), Split::train);  // the parent folder works too
  EXPECT_EQ(train.n, 10u);
  EXPECT_EQ(train.channels, 3u);
  EXPECT_EQ(train.classes, 10);
  EXPECT_EQ(train.labels[2], 2);                    // first record of data_batch_2
  EXPECT_EQ(train.pixels[2 * 3072 + 1024], (1024 + 2) % 251);  // its first green pixel
  EXPECT_EQ(load_cifar10(c10.string(), Split::test).labels[0], 4);

  write_plain(c10 / "test_batch.bin", cifar_record(1, 0, 4, 7).substr(0, 3000));
  EXPECT_NE(error_of([&] { load_cifar10(c10.string(), Split::test); }).find("3073-byte record"), std::string::npos);
  write_plain(c10 / "test_batch.bin", cifar_record(1, 0, 12, 7));
  EXPECT_NE(error_of([&] { load_cifar10(c10.string(), Split::test); }).find("label 12"), std::string::npos);

  const fs::path c100 = dir_ / "c100";
  fs::create_directories(c100);
  write_plain(c100 / "train.bin", cifar_record(2, 3, 77, 1) + cifar_record(2, 19, 99, 2));
  write_plain(c100 / "test.bin", cifar_record(2, 5, 42, 3));
  const ImageDataset t100 = load_cifar100(c100.string(), Split::train);
  EXPECT_EQ(t100.classes, 100);
  EXPECT_EQ(t100.labels, (std::vector<std::uint8_t>{77, 99}));  // fine labels
  EXPECT_EQ(t100.pixels[3072], 2);
}

TEST(DatasetOps, BalancedSubsetPaddingAndNormalisation) {
  SyntheticSpec spec;
  spec.channels = 2;
  spec.height = spec.width = 4;
  spec.classes = 3;
  spec.n = 30;
  const ImageDataset ds = make_synthetic(spec, 7);
  const ImageDataset sub = balanced_subset(ds, 4, 11);
  EXPECT_EQ(sub.n, 12u);
  for (std::size_t c : sub.class_counts()) EXPECT_EQ(c, 4u);
  EXPECT_EQ(balanced_subset(ds, 4, 11).pixels, sub.pixels);  // deterministic
  EXPECT_NE(balanced_subset(ds, 4, 12).pixels, sub.pixels);
  EXPECT_THROW(balanced_subset(ds, 11, 1), InputError);      // a class has only 10

  const ImageDataset padded = pad_images(ds, 8, 8);
  EXPECT_EQ(padded.pixels.size(), 30u * 2 * 64);
  EXPECT_EQ(padded.pixels[(1 * 2 + 1) * 64 + 2 * 8 + 2], ds.pixels[(1 * 2 + 1) * 16]);  // image 1, channel 1
  EXPECT_EQ(padded.pixels[0], 0);
  EXPECT_THROW(pad_images(ds, 7, 8), InputError);

  // Exact statistics of a two-image set: channel values {0, 255} and {51, 51}.
  ImageDataset tiny;
  tiny.name = "tiny";
  tiny.n = 2;
  tiny.channels = 2;
  tiny.height = tiny.width = 1;
  tiny.classes = 2;
  tiny.pixels = {0, 51, 255, 102};
  tiny.labels = {0, 1};
  const ChannelNormalisation norm = channel_statistics(tiny);
  EXPECT_DOUBLE_EQ(norm.mean[0], 0.5);
  EXPECT_DOUBLE_EQ(norm.std[0], 0.5);
  EXPECT_DOUBLE_EQ(norm.mean[1], 76.5 / 255.0);
  const std::vector<float> x = normalised_pixels(tiny, norm);
  EXPECT_FLOAT_EQ(x[0], -1.0f);
  EXPECT_FLOAT_EQ(x[2], 1.0f);
  tiny.pixels = {9, 51, 9, 102};
  EXPECT_THROW(channel_statistics(tiny), InputError);  // channel 0 constant
}

TEST(Synthetic, DeterministicBalancedAndChecked) {
  SyntheticSpec spec;
  spec.n = 25;
  const ImageDataset a = make_synthetic(spec, 3), b = make_synthetic(spec, 3), c = make_synthetic(spec, 4);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, c.pixels);
  EXPECT_EQ(a.labels[24], 4);
  const ImageDataset test = make_synthetic(spec, 3, 25);  // continues the sample streams
  EXPECT_NE(test.pixels, a.pixels);
  spec.classes = 0;
  EXPECT_THROW(make_synthetic(spec, 1), InputError);
  spec.classes = 10;
  spec.n = std::size_t{1} << 62;
  EXPECT_THROW(make_synthetic(spec, 1), InputError);
}

}  // namespace
}  // namespace idealgas::data
