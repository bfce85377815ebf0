#include "idealgas/data/image_dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"

namespace idealgas::data {

std::vector<std::size_t> ImageDataset::class_counts() const {
  std::vector<std::size_t> counts(static_cast<std::size_t>(std::max(classes, 0)), 0);
  for (std::uint8_t y : labels) {
    IDEALGAS_ASSERT(y < counts.size(), "label outside 0..classes-1 in a loaded dataset");
    ++counts[y];
  }
  return counts;
}

ChannelNormalisation cifar10_normalisation() { return {{0.4914, 0.4822, 0.4465}, {0.2023, 0.1994, 0.2010}}; }
ChannelNormalisation cifar100_normalisation() { return {{0.5071, 0.4867, 0.4408}, {0.2675, 0.2565, 0.2761}}; }

ChannelNormalisation channel_statistics(const ImageDataset& ds) {
  const std::size_t plane = ds.height * ds.width;
  ChannelNormalisation norm{std::vector<double>(ds.channels), std::vector<double>(ds.channels)};
  for (std::size_t c = 0; c < ds.channels; ++c) {
    // Integer sums are exact (255^2 * 2^40 pixels still fits in 64 bits).
    std::uint64_t sum = 0, sum_sq = 0;
    for (std::size_t i = 0; i < ds.n; ++i) {
      const std::uint8_t* p = ds.pixels.data() + (i * ds.channels + c) * plane;
      for (std::size_t q = 0; q < plane; ++q) {
        sum += p[q];
        sum_sq += static_cast<std::uint64_t>(p[q]) * p[q];
      }
    }
    const double count = static_cast<double>(ds.n) * static_cast<double>(plane);
    const double mean = static_cast<double>(sum) / count;
    const double var = static_cast<double>(sum_sq) / count - mean * mean;
    if (!(var > 0.0))
      throw InputError(fmt::format("{}: channel {} has the same value in every pixel; it cannot be normalised "
                                   "(per-channel std 0)",
                                   ds.name, c));
    norm.mean[c] = mean / 255.0;
    norm.std[c] = std::sqrt(var) / 255.0;
  }
  return norm;
}

std::vector<float> normalised_pixels(const ImageDataset& ds, const ChannelNormalisation& norm) {
  if (norm.mean.size() != ds.channels || norm.std.size() != ds.channels)
    throw InputError(fmt::format("{}: normalisation has {} channels, the images {}", ds.name, norm.mean.size(),
                                 ds.channels));
  const std::size_t plane = ds.height * ds.width;
  std::vector<float> out(ds.pixels.size());
  for (std::size_t c = 0; c < ds.channels; ++c) {
    if (!(norm.std[c] > 0.0) || !std::isfinite(norm.mean[c]))
      throw InputError(fmt::format("{}: normalisation of channel {} needs a finite mean and std > 0, got mean {} "
                                   "std {}",
                                   ds.name, c, norm.mean[c], norm.std[c]));
    // One table per channel: 256 possible values.
    float table[256];
    for (int v = 0; v < 256; ++v)
      table[v] = static_cast<float>((static_cast<double>(v) / 255.0 - norm.mean[c]) / norm.std[c]);
    for (std::size_t i = 0; i < ds.n; ++i) {
      const std::size_t offset = (i * ds.channels + c) * plane;
      for (std::size_t q = 0; q < plane; ++q) out[offset + q] = table[ds.pixels[offset + q]];
    }
  }
  return out;
}

ImageDataset balanced_subset(const ImageDataset& ds, std::size_t per_class, std::uint64_t key) {
  if (per_class == 0) throw InputError(fmt::format("{}: a class-balanced subset needs >= 1 image per class", ds.name));
  std::vector<std::vector<std::size_t>> by_class(static_cast<std::size_t>(ds.classes));
  for (std::size_t i = 0; i < ds.n; ++i) by_class[ds.labels[i]].push_back(i);
  std::vector<std::size_t> chosen;
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    std::vector<std::size_t>& pool = by_class[c];
    if (pool.size() < per_class)
      throw InputError(fmt::format("{}: class {} has {} images, fewer than the {} per class asked for; lower "
                                   "the per-class count",
                                   ds.name, c, pool.size(), per_class));
    // Partial Fisher-Yates: the first per_class entries become a uniform sample without replacement.
    std::vector<std::uint64_t> draw(1);
    for (std::size_t k = 0; k < per_class; ++k) {
      uniform_indices(key, (static_cast<std::uint64_t>(c) << 32) + k, pool.size() - k, draw.data(), 1);
      std::swap(pool[k], pool[k + static_cast<std::size_t>(draw[0])]);
    }
    chosen.insert(chosen.end(), pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(per_class));
  }
  std::sort(chosen.begin(), chosen.end());
  ImageDataset out;
  out.name = fmt::format("{} ({} per class)", ds.name, per_class);
  out.n = chosen.size();
  out.channels = ds.channels;
  out.height = ds.height;
  out.width = ds.width;
  out.classes = ds.classes;
  const std::size_t size = ds.image_size();
  out.pixels.resize(out.n * size);
  out.labels.resize(out.n);
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    std::copy_n(ds.pixels.data() + chosen[k] * size, size, out.pixels.data() + k * size);
    out.labels[k] = ds.labels[chosen[k]];
  }
  return out;
}

ImageDataset pad_images(const ImageDataset& ds, std::size_t height, std::size_t width) {
  if (height < ds.height || width < ds.width || (height - ds.height) % 2 != 0 || (width - ds.width) % 2 != 0)
    throw InputError(fmt::format("{}: cannot centre {}x{} images on a {}x{} canvas (it must be at least as large, "
                                 "with even margins)",
                                 ds.name, ds.height, ds.width, height, width));
  ImageDataset out = ds;
  out.height = height;
  out.width = width;
  out.pixels.assign(ds.n * ds.channels * height * width, 0);
  const std::size_t top = (height - ds.height) / 2, left = (width - ds.width) / 2;
  for (std::size_t i = 0; i < ds.n * ds.channels; ++i)
    for (std::size_t y = 0; y < ds.height; ++y)
      std::copy_n(ds.pixels.data() + (i * ds.height + y) * ds.width, ds.width,
                  out.pixels.data() + (i * height + top + y) * width + left);
  return out;
}

}  // namespace idealgas::data
