// Settings of one network training run (`idealgas train`), read from TOML (sections [model], [data], [protocol],
// [train], [measure]) over the defaults, optionally on top of a preset (train/train_presets.hpp), with
// `--set section.key=value` overrides last. Unknown keys are errors with a did-you-mean; every value is checked
// (type, range, exact representability) and a bad one gets one line naming the key, where it came from, the value
// as written and what is accepted. Torch-free. Keys and defaults: docs/train.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/protocol/protocol.hpp"
#include "idealgas/train/network_spec.hpp"

namespace idealgas::train {

struct DataConfig {
  std::string dataset = "fashion-mnist";  // fashion-mnist | cifar10 | cifar100 | synthetic
  std::string path;                       // folder of the files; "" = /usr/share/datasets/fashion-mnist (fmnist)
  long long train_per_class = 0;          // class-balanced training subset; 0 = every image
  long long test_per_class = 0;           // class-balanced test subset; 0 = every image
  bool random_crop = false;               // pad 4 (black) and crop 32x32 at a random offset, per training sample
  // synthetic only:
  std::vector<long long> synthetic_shape = {1, 28, 28};  // channels, height, width (height, width <= 32)
  long long synthetic_classes = 10;
  long long synthetic_train = 1000;
  long long synthetic_test = 500;
};

struct MeasureConfig {
  long long running_stride = 50;      // iterations between rows of running.csv (and block length of the series)
  long long log_dense_stride = 200;   // log points every this many iterations ...
  long long log_dense_until = 10000;  // ... up to here, then
  long long log_points = 151;         // this many log-spaced points from log_dense_until to the end
  long long eval_chunk = 1024;        // images per forward pass of the full-batch and test metrics
  bool test_metrics = true;           // test loss/accuracy at every log point
  double stationary_fraction = 0.5;   // the stationary window is the last this fraction of the run
  long long fresh_batches = 0;        // fresh-batch Tr Sigma estimator at each log point (paper: 4000); 0 = off
  long long queue_size = 4000;        // entropy queue (paper convention): snapshots; 0 = no entropy
  long long queue_stride = 25;        // iterations between its snapshots
  long long decorrelated_queue_size = 0;    // second queue spread over the stationary window; 0 = queue_size
  long long decorrelated_queue_stride = 0;  // its spacing; 0 = the window divided by its size
  long long entropy_k = 1;                  // neighbour order of the estimator
};

struct RunConfig {
  long long iterations = 1'000'000;
  long long batch_size = 128;
  std::uint64_t seed = 0;  // master seed; the role seeds below derive from it unless given
  std::optional<std::uint64_t> seed_data, seed_init, seed_head, seed_sgd;
  long long threads = 1;          // intra-op threads (LibTorch and the estimator); never taken from the environment
  long long interop_threads = 1;  // LibTorch inter-op threads
  std::string device = "cpu";     // cpu | cuda | cuda:N
  double checkpoint_seconds = 300.0;  // wall time between checkpoints
  double min_radius = 1e-6;           // outside [min_radius, max_radius]: diverged
  double max_radius = 1e6;
};

struct TrainConfig {
  NetworkSpec model;  // in_channels and classes are set from the dataset
  DataConfig data;
  std::string protocol = "elr";  // lr | elr | sphere
  double eta = 0.0, eta_eff = 0.0, lambda = 0.0, radius = 0.0;  // those of the protocol (protocol.hpp)
  RunConfig run;
  MeasureConfig measure;

  /// The protocol with its hyperparameters (validated).
  ProtocolParams protocol_params() const;
  /// Seeds of each role: the given one, else derived from the master seed and the role (core/rng.hpp); the streams
  /// of the dynamics (sgd, augment, measure) also from the protocol and its two hyperparameters (dynamics_key).
  std::uint64_t data_key() const;
  std::uint64_t init_key() const;
  std::uint64_t head_key() const;
  std::uint64_t sgd_key() const;
  std::uint64_t augment_key() const;
  std::uint64_t measure_key() const;
  /// `role` mixed with the protocol and its hyperparameters: one stream per configuration of a grid.
  std::uint64_t dynamics_key(std::uint64_t role) const;

  /// Throws InputError naming the first invalid setting and what is accepted.
  void validate() const;
  /// Every setting, defaults included, as TOML (the effective config written with results; readable back).
  std::string to_toml() const;
  nlohmann::json to_json() const;
  /// to_json() less the settings that change no number (checkpoint_seconds): what a resume must match.
  nlohmann::json result_relevant_json() const;

  /// Builds a config: defaults, then the preset (if not empty), then the TOML file (if not empty), then each
  /// "section.key=value" of `sets` (value in TOML syntax; a bare word is taken as a string). Validated.
  static TrainConfig load(const std::string& preset, const std::string& toml_path, const std::vector<std::string>& sets);
  /// The same from TOML text (`source` names it in messages).
  static TrainConfig from_toml_string(const std::string& text, const std::string& source);
  /// The preset (if not empty) with TOML text over it (a sweep's configuration; `source` names it in messages).
  static TrainConfig from_preset_and_toml_string(const std::string& preset, const std::string& text,
                                                 const std::string& source);
};

/// The log points of a run: multiples of log_dense_stride up to min(log_dense_until, iterations), then log_points
/// log-spaced iterations up to the end (rounded, duplicates dropped), always ending with `iterations`. Sorted.
std::vector<long long> log_schedule(const RunConfig& run, const MeasureConfig& m);

/// First iteration of the stationary window: iterations - round(stationary_fraction * iterations) (exclusive).
long long stationary_start(const RunConfig& run, const MeasureConfig& m);

}  // namespace idealgas::train
