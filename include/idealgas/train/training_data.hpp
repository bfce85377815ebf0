// The data of one run, ready for the trainer and still torch-free: the configured dataset loaded
// (data/dataset_files.hpp or data/synthetic.hpp), class-balanced subsets drawn (data seed), images centred on a
// 32x32 canvas, and normalised per channel (the paper's constants for CIFAR; computed over the full training
// set for Fashion-MNIST and synthetic data).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/data/image_dataset.hpp"
#include "idealgas/train/train_config.hpp"

namespace idealgas::train {

inline constexpr std::size_t kNetworkInputSize = 32;  // both architectures take 32x32 images

struct ImageTensorData {
  std::size_t n = 0;
  std::vector<float> images;         // [n, channels, 32, 32], normalised
  std::vector<std::uint8_t> labels;  // [n]
};

struct TrainingData {
  std::string description;  // "fashion-mnist train (200 per class)", for meta.json
  std::size_t channels = 0;
  std::size_t height = 0, width = 0;  // the images' own size, before they were centred on the 32x32 canvas
  int classes = 0;
  data::ChannelNormalisation normalisation;
  ImageTensorData train, test;

  nlohmann::json to_json() const;  // sizes, classes, normalisation
};

/// Loads and prepares the data of `config` (IoError / InputError naming the path or key).
TrainingData prepare_training_data(const TrainConfig& config);

}  // namespace idealgas::train
