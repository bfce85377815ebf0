// What the trainer needs of a network, whichever built it (train/network.hpp: the paper's architectures;
// train/torchscript_model.hpp: the user's own module): logits of a batch, the loss of the head, the tracked
// parameters as one flat vector with the scale-invariant (SI) tensors first, and the non-parameter state
// (BatchNorm running statistics and other buffers) for checkpoints. Parameters are float32 on device().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "idealgas/train/network_spec.hpp"

namespace idealgas::train {

/// How the BatchNorm layers normalise.
enum class BatchNormMode {
  train,          // batch statistics; running statistics updated (momentum 0.1), as in a training step
  train_no_track, // batch statistics; running statistics left alone (measurements must not change the state)
  eval,           // running statistics
};

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Logits [B, classes] of inputs x [B, in_channels, 32, 32] (float32, on device()).
  virtual at::Tensor forward(const at::Tensor& x, BatchNormMode mode) = 0;
  /// Architecture and its settings (meta.json's "trainer").
  virtual nlohmann::json describe() const = 0;

  at::Device device() const { return device_; }
  int classes() const { return classes_; }

  /// Mean loss of logits [B, classes] against labels [B] (int64): cross-entropy or MSE to one-hot targets.
  at::Tensor loss(const at::Tensor& logits, const at::Tensor& labels) const;
  /// Sum over the batch of the same per-sample loss (for full-batch averages over chunks). Virtual for a model
  /// whose outputs are already its losses (train/isotropic_model.hpp).
  virtual at::Tensor loss_sum(const at::Tensor& logits, const at::Tensor& labels) const;

  /// Tracked parameters in a fixed order, the SI tensors first; all require grad.
  const std::vector<at::Tensor>& tracked() const { return tracked_; }
  const std::vector<std::string>& tracked_names() const { return names_; }
  /// Elements of the first `si_tensors()` tracked tensors: the SI parameters.
  long long si_dim() const { return si_dim_; }
  std::size_t si_tensors() const { return si_tensors_; }
  /// Elements of all tracked tensors.
  long long dim() const { return dim_; }

  /// Tracked parameters concatenated (each tensor flattened in its logical order), float64 [dim()] on device().
  at::Tensor flat_parameters() const;
  /// Writes flat [dim()] (any float dtype, on device()) into the tracked parameters (rounded to float32).
  void set_flat_parameters(const at::Tensor& flat);
  /// Gradients of the tracked parameters concatenated like flat_parameters(), float64 [dim()] (zeros where a
  /// gradient is undefined).
  at::Tensor flat_gradient() const;
  /// Drops every accumulated gradient.
  void zero_grad();

  /// The non-parameter state (BatchNorm running means and variances, counters), in a fixed order.
  const std::vector<at::Tensor>& buffers() const { return buffers_; }
  /// The buffers as 32-bit words for a checkpoint: float32 values as they are, int64 values as their two words
  /// (bit copies), in order. set_buffer_words restores them bitwise; InputError if the count differs.
  std::vector<float> buffer_words() const;
  void set_buffer_words(const std::vector<float>& words);
  long long buffer_word_count() const;

 protected:
  Model(at::Device device, LossKind loss, int classes) : device_(device), loss_(loss), classes_(classes) {}
  /// Declares the tracked tensors (the first `si_tensors` are the SI parameters) with their names; sets
  /// requires_grad and the dimensions.
  void set_tracked(std::vector<at::Tensor> tracked, std::vector<std::string> names, std::size_t si_tensors);
  std::vector<at::Tensor> buffers_;  // float32 or int64, on device()

 private:
  at::Device device_;
  LossKind loss_;
  int classes_;
  std::vector<at::Tensor> tracked_;
  std::vector<std::string> names_;
  std::size_t si_tensors_ = 0;
  long long si_dim_ = 0, dim_ = 0;
};

/// Activation memory per sample of a training step (bytes, float32 activations the backward keeps), measured on a
/// forward pass of 2 and 4 of `inputs` (batch statistics, running statistics untouched): the pre-check that refuses
/// a batch that cannot fit before LibTorch tries to allocate it. 0 with fewer than 4 inputs.
double activation_bytes_per_sample(Model& model, const at::Tensor& inputs);
/// InputError (with the numbers) when the activations of the largest pass, max(batch_size, min(eval_chunk, n)) images,
/// would need more than 80 % of the machine's memory.
void require_activations_fit(Model& model, const at::Tensor& train_x, long long batch_size, long long eval_chunk);

/// The network of `spec` (one factory for every architecture): init_key and head_key seed the built-in ones;
/// a TorchScript module brings its own initial values. InputError for a spec or module that cannot be used.
std::unique_ptr<Model> make_model(const NetworkSpec& spec, std::uint64_t init_key, std::uint64_t head_key,
                                  at::Device device);

}  // namespace idealgas::train
