// Loaders of the datasets the paper uses, from their standard files, torch-free (data/image_dataset.hpp).
// Every header field is checked with checked arithmetic; a missing, truncated or corrupt file gives one IoError
// line naming the path, what was expected and how to get the data.
//
// Fashion-MNIST: the four IDX files (gzip, as Debian's dataset-fashion-mnist installs them in
//   /usr/share/datasets/fashion-mnist; uncompressed files of the same names without .gz are read too):
//   {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. Images 28x28, 1 channel, 10 classes.
// CIFAR-10 binary version: data_batch_1..5.bin and test_batch.bin, each a sequence of records
//   <1 byte label 0..9><3072 bytes: 1024 red, 1024 green, 1024 blue, row-major 32x32>.
// CIFAR-100 binary version: train.bin, test.bin, records <1 byte coarse label><1 byte fine label 0..99><3072 bytes>;
//   the fine label is used (100 classes).
// For CIFAR the folder may be the one holding the files or its parent (cifar-10-batches-bin/, cifar-100-binary/).
#pragma once

#include <string>

#include "idealgas/data/image_dataset.hpp"

namespace idealgas::data {

enum class Split { train, test };

inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

ImageDataset load_fashion_mnist(const std::string& dir, Split split);
ImageDataset load_cifar10(const std::string& dir, Split split);
ImageDataset load_cifar100(const std::string& dir, Split split);

/// Parses one IDX file's bytes (already decompressed): magic 0x0000 08 NDIMS, big-endian uint32 dimensions, then
/// exactly prod(dims) unsigned bytes. `expected_dims` = 1 (labels) or 3 (images). `source` names it in errors.
/// Returns the dimensions and moves the payload into `payload`.
std::vector<std::size_t> parse_idx(const std::string& bytes, int expected_dims, const std::string& source,
                                   std::vector<std::uint8_t>& payload);

/// Parses CIFAR records (CIFAR-10: label_bytes = 1; CIFAR-100: 2, the fine label is the last) and appends them
/// to `out` (32x32x3, classes = 10 or 100). `source` names the file in errors.
void parse_cifar_records(const std::string& bytes, int label_bytes, int classes, const std::string& source,
                         ImageDataset& out);

}  // namespace idealgas::data
