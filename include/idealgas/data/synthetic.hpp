// A deterministic synthetic image dataset of any shape, for tests and quick runs: each class has a random
// prototype image, each sample is its class's prototype plus independent noise (both from Philox streams of the
// given key, core/rng.hpp), clipped to 0..255. Labels cycle 0, 1, ..., classes-1, so every class has n/classes
// images (+1 for the first n % classes). The same (shape, n, key) always gives the same bytes.
#pragma once

#include <cstdint>

#include "idealgas/data/image_dataset.hpp"

namespace idealgas::data {

struct SyntheticSpec {
  std::size_t channels = 1, height = 28, width = 28;
  int classes = 10;
  std::size_t n = 1000;
  double noise = 48.0;  // sd of the per-pixel noise around the prototype, in pixel units (0..255)
};

/// `first_index` offsets the sample streams, so that a test set (first_index = n_train) shares the prototypes
/// of the training set but never its samples. InputError on an empty shape, classes outside 1..256 or sizes
/// whose product overflows.
ImageDataset make_synthetic(const SyntheticSpec& spec, std::uint64_t key, std::uint64_t first_index = 0);

}  // namespace idealgas::data
