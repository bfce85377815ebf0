// The networks of train/network_spec.hpp in LibTorch, written with ATen operations on explicit parameter tensors
// (no torch::nn modules: lighter headers, and the trainer sees every parameter and buffer by name and order).
// Parameters are float32 on the given device. Initialisation is PyTorch's default (uniform +-1/sqrt(fan_in) for
// conv and linear weights and the linear bias) drawn from Philox streams (core/rng.hpp), so the same keys give
// the same network on any device and thread count.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "idealgas/train/network_spec.hpp"

namespace idealgas::train {

/// How the BatchNorm layers normalise.
enum class BatchNormMode {
  train,          // batch statistics; running statistics updated (momentum 0.1), as in a training step
  train_no_track, // batch statistics; running statistics left alone (measurements must not change the state)
  eval,           // running statistics
};

class Network {
 public:
  /// init_key: SI conv weights (and practical-mode BN affine / head); head_key: the frozen head.
  Network(const NetworkSpec& spec, std::uint64_t init_key, std::uint64_t head_key, at::Device device);

  const NetworkSpec& spec() const { return spec_; }
  at::Device device() const { return device_; }

  /// Logits [B, classes] of inputs x [B, in_channels, 32, 32] (float32, on device()).
  at::Tensor forward(const at::Tensor& x, BatchNormMode mode);
  /// Mean loss of logits [B, classes] against labels [B] (int64): cross-entropy or MSE to one-hot targets.
  at::Tensor loss(const at::Tensor& logits, const at::Tensor& labels) const;
  /// Sum over the batch of the same per-sample loss (for full-batch averages over chunks).
  at::Tensor loss_sum(const at::Tensor& logits, const at::Tensor& labels) const;

  /// Tracked parameters in a fixed order: every conv weight (the SI parameters, order of the forward pass);
  /// practical mode appends BN weights and biases and the head. All require grad.
  const std::vector<at::Tensor>& tracked() const { return tracked_; }
  /// Elements of the first `si_tensors()` tracked tensors: the SI parameters (conv weights).
  long long si_dim() const { return si_dim_; }
  std::size_t si_tensors() const { return si_tensors_; }
  /// Elements of all tracked tensors.
  long long dim() const { return dim_; }

  /// Tracked parameters concatenated (forward-pass order, each tensor flattened in its logical NCHW order), as
  /// float64 [dim()] on device().
  at::Tensor flat_parameters() const;
  /// Writes flat [dim()] (any float dtype, on device()) into the tracked parameters (rounded to float32).
  void set_flat_parameters(const at::Tensor& flat);
  /// Gradients of the tracked parameters concatenated like flat_parameters(), float64 [dim()] (zeros where a
  /// gradient is undefined).
  at::Tensor flat_gradient() const;
  /// Drops every accumulated gradient.
  void zero_grad();

  /// BatchNorm running statistics (mean, var per layer, in order): the non-parameter state of the network.
  std::vector<at::Tensor>& running_stats() { return running_; }
  /// Frozen head: weight [classes, 8k] and (convnet) bias [classes] (undefined for resnet18).
  const at::Tensor& head_weight() const { return head_weight_; }
  const at::Tensor& head_bias() const { return head_bias_; }

 private:
  struct BatchNorm {
    int running;  // index of the running mean in running_ (var at +1)
    at::Tensor weight, bias;  // practical mode; undefined otherwise
  };
  at::Tensor conv_weight(int out, int in, int kernel);
  BatchNorm batch_norm(int channels);
  at::Tensor bn(const at::Tensor& x, const BatchNorm& layer, BatchNormMode mode);
  at::Tensor forward_convnet(at::Tensor x, BatchNormMode mode);
  at::Tensor forward_resnet(at::Tensor x, BatchNormMode mode);

  NetworkSpec spec_;
  at::Device device_;
  std::uint64_t init_key_;
  int next_layer_ = 0;  // stream index of the next initialised tensor
  std::vector<at::Tensor> convs_;  // SI weights in forward order
  std::vector<BatchNorm> bns_;     // in forward order
  std::vector<at::Tensor> running_;
  at::Tensor head_weight_, head_bias_;
  std::vector<at::Tensor> tracked_;
  std::size_t si_tensors_ = 0;
  long long si_dim_ = 0, dim_ = 0;
};

}  // namespace idealgas::train
