#include "idealgas/data/synthetic.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"

namespace idealgas::data {

namespace {
// Stream parts: prototypes and samples never share a counter.
constexpr std::uint64_t kPrototypePart = 1, kSamplePart = 2;
// Synthetic sets are for tests and quick runs; this bound keeps a typo from asking for terabytes.
constexpr std::size_t kMaxSyntheticBytes = std::size_t{1} << 32;
}  // namespace

ImageDataset make_synthetic(const SyntheticSpec& spec, std::uint64_t key, std::uint64_t first_index) {
  if (spec.channels == 0 || spec.height == 0 || spec.width == 0 || spec.n == 0)
    throw InputError(fmt::format("synthetic data needs a non-empty shape and n >= 1, got {}x{}x{} and n = {}",
                                 spec.channels, spec.height, spec.width, spec.n));
  if (spec.classes < 1 || spec.classes > 256)
    throw InputError(fmt::format("synthetic data needs 1..256 classes, got {}", spec.classes));
  if (!(spec.noise >= 0.0) || !std::isfinite(spec.noise))
    throw InputError(fmt::format("synthetic noise must be a finite number >= 0, got {}", spec.noise));
  std::size_t size = 0, total = 0;
  if (__builtin_mul_overflow(spec.channels, spec.height, &size) || __builtin_mul_overflow(size, spec.width, &size) ||
      __builtin_mul_overflow(size, spec.n, &total) || total > kMaxSyntheticBytes)
    throw InputError(fmt::format("synthetic data of {} images of {}x{}x{} is larger than the {} bytes allowed",
                                 spec.n, spec.channels, spec.height, spec.width, kMaxSyntheticBytes));
  ImageDataset ds;
  ds.name = "synthetic";
  ds.n = spec.n;
  ds.channels = spec.channels;
  ds.height = spec.height;
  ds.width = spec.width;
  ds.classes = spec.classes;
  // Prototypes: uniform pixels in 0..255, one image per class.
  std::vector<double> prototypes(static_cast<std::size_t>(spec.classes) * size);
  for (int c = 0; c < spec.classes; ++c)
    uniform_reals(derive_stream_key(key, {kPrototypePart, static_cast<std::uint64_t>(c)}), 0, 0.0, 256.0,
                  prototypes.data() + static_cast<std::size_t>(c) * size, size);
  ds.pixels.resize(total);
  ds.labels.resize(spec.n);
  std::vector<double> noise(size);
  for (std::size_t i = 0; i < spec.n; ++i) {
    const std::uint64_t index = first_index + i;
    const int label = static_cast<int>(index % static_cast<std::uint64_t>(spec.classes));
    ds.labels[i] = static_cast<std::uint8_t>(label);
    standard_normals(derive_stream_key(key, {kSamplePart}), index, noise.data(), size);
    const double* proto = prototypes.data() + static_cast<std::size_t>(label) * size;
    for (std::size_t q = 0; q < size; ++q)
      ds.pixels[i * size + q] =
          static_cast<std::uint8_t>(std::clamp(std::floor(proto[q] + spec.noise * noise[q]), 0.0, 255.0));
  }
  return ds;
}

}  // namespace idealgas::data
