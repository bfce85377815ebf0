// An image-classification dataset as its files store it: pixels 0..255, one image after another, each in
// channel-major order ([n, channels, height, width], the layout of CIFAR's binary files and of LibTorch's NCHW)
// and labels 0..classes-1. Torch-free, so that the loaders can be tested and fuzzed without LibTorch;
// train/ turns it into normalised float tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace idealgas::data {

struct ImageDataset {
  std::string name;  // where it came from, for messages: "fashion-mnist train", "synthetic", ...
  std::size_t n = 0, channels = 0, height = 0, width = 0;
  int classes = 0;
  std::vector<std::uint8_t> pixels;  // [n, channels, height, width]
  std::vector<std::uint8_t> labels;  // [n], each < classes

  std::size_t image_size() const { return channels * height * width; }
  /// Number of images of each class. [classes]
  std::vector<std::size_t> class_counts() const;
};

/// Per-channel normalisation x -> (pixel/255 - mean[c]) / std[c].
struct ChannelNormalisation {
  std::vector<double> mean;  // [channels], in units of pixel/255
  std::vector<double> std;   // [channels], > 0
};

/// The paper's constants (docs/paper-setup.md §2). CIFAR-10: mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994,
/// 0.2010); CIFAR-100: mean (0.5071, 0.4867, 0.4408), std (0.2675, 0.2565, 0.2761).
ChannelNormalisation cifar10_normalisation();
ChannelNormalisation cifar100_normalisation();

/// Mean and standard deviation (population, over every pixel of every image) of each channel, in pixel/255
/// units. InputError if a channel is constant (std 0 cannot normalise).
ChannelNormalisation channel_statistics(const ImageDataset& dataset);

/// The images as floats (pixel/255 - mean[c]) / std[c], same layout. InputError if the sizes do not match.
std::vector<float> normalised_pixels(const ImageDataset& dataset,
                                     const ChannelNormalisation& norm);  // returns [n, channels, height, width]

/// A class-balanced subset: `per_class` images of every class, drawn without replacement from stream `key`
/// (core/rng.hpp), kept in their original order. InputError naming the class if one has fewer images.
ImageDataset balanced_subset(const ImageDataset& dataset, std::size_t per_class, std::uint64_t key);

/// Every image centred on a height x width canvas of zero pixels (black: Fashion-MNIST's background), e.g.
/// 28x28 -> 32x32. InputError if the canvas is smaller than the images or the margins are uneven.
ImageDataset pad_images(const ImageDataset& dataset, std::size_t height, std::size_t width);

}  // namespace idealgas::data
