// The networks of train/network_spec.hpp in LibTorch, written with ATen operations on explicit parameter tensors
// (no torch::nn modules: lighter headers, and the trainer sees every parameter and buffer by name and order).
// Parameters are float32 on the given device (train/model.hpp: the interface the trainer sees). Initialisation is PyTorch's default (uniform +-1/sqrt(fan_in) for
// conv and linear weights and the linear bias) drawn from Philox streams (core/rng.hpp), so the same keys give
// the same network on any device and thread count.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "idealgas/train/model.hpp"
#include "idealgas/train/network_spec.hpp"

namespace idealgas::train {

class Network final : public Model {
 public:
  /// init_key: SI conv weights (and practical-mode BN affine / head); head_key: the frozen head.
  Network(const NetworkSpec& spec, std::uint64_t init_key, std::uint64_t head_key, at::Device device);

  const NetworkSpec& spec() const { return spec_; }

  /// Logits [B, classes] of inputs x [B, in_channels, 32, 32] (float32, on device()).
  at::Tensor forward(const at::Tensor& x, BatchNormMode mode) override;
  nlohmann::json describe() const override;

  // Tracked parameters (Model::tracked): every conv weight, or every hidden linear weight of the mlp (the SI
  // parameters, order of the forward pass);
  // practical mode appends BN weights and biases and the head. Buffers (Model::buffers): BatchNorm running mean
  // and variance per layer, in order.

  /// Frozen head: weight [classes, 8k] ([classes, k] for the mlp) and (convnet, mlp) bias [classes] (undefined for
  /// resnet18).
  const at::Tensor& head_weight() const { return head_weight_; }
  const at::Tensor& head_bias() const { return head_bias_; }

 private:
  struct BatchNorm {
    int running;  // index of the running mean in buffers_ (var at +1)
    at::Tensor weight, bias;  // practical mode; undefined otherwise
  };
  at::Tensor conv_weight(int out, int in, int kernel);
  at::Tensor linear_weight(int out, long long in);
  BatchNorm batch_norm(int channels);
  at::Tensor bn(const at::Tensor& x, const BatchNorm& layer, BatchNormMode mode);
  at::Tensor forward_convnet(at::Tensor x, BatchNormMode mode);
  at::Tensor forward_resnet(at::Tensor x, BatchNormMode mode);
  at::Tensor forward_mlp(const at::Tensor& x, BatchNormMode mode);

  NetworkSpec spec_;
  std::uint64_t init_key_;
  int next_layer_ = 0;  // stream index of the next initialised tensor
  std::vector<at::Tensor> convs_;  // SI weights (conv, or the mlp's linear) in forward order
  std::vector<BatchNorm> bns_;     // in forward order
  at::Tensor head_weight_, head_bias_;
};

}  // namespace idealgas::train
