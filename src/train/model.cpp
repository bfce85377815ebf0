#include "idealgas/train/model.hpp"

#include <cstring>
#include <set>

#include <fmt/format.h>
#include <torch/autograd.h>
#include <torch/csrc/autograd/function.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/memory.hpp"
#include "idealgas/train/isotropic_model.hpp"
#include "idealgas/train/network.hpp"
#include "idealgas/train/torchscript_model.hpp"

namespace idealgas::train {

namespace {
// 32-bit words per element of a buffer of this dtype (the checkpoint stores words).
long long words_per_element(const at::Tensor& t) { return t.scalar_type() == at::kLong ? 2 : 1; }
}  // namespace

void Model::set_tracked(std::vector<at::Tensor> tracked, std::vector<std::string> names, std::size_t si_tensors) {
  IDEALGAS_ASSERT(tracked.size() == names.size() && si_tensors <= tracked.size(), "set_tracked: sizes");
  tracked_ = std::move(tracked);
  names_ = std::move(names);
  si_tensors_ = si_tensors;
  si_dim_ = dim_ = 0;
  for (std::size_t i = 0; i < tracked_.size(); ++i) {
    tracked_[i].requires_grad_(true);
    dim_ += tracked_[i].numel();
    if (i < si_tensors_) si_dim_ += tracked_[i].numel();
  }
  for (const at::Tensor& b : buffers_)
    IDEALGAS_ASSERT(b.scalar_type() == at::kFloat || b.scalar_type() == at::kLong, "buffers are float32 or int64");
}

at::Tensor Model::loss_sum(const at::Tensor& logits, const at::Tensor& labels) const {
  if (loss_ == LossKind::cross_entropy) return at::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum);
  const at::Tensor target = at::one_hot(labels, classes_).to(logits.scalar_type());
  // Per-sample loss = mean over classes of the squared error (PyTorch's MSELoss on [B, classes], per sample).
  return at::mse_loss(logits, target, at::Reduction::Sum) / static_cast<double>(classes_);
}

at::Tensor Model::loss(const at::Tensor& logits, const at::Tensor& labels) const {
  return loss_sum(logits, labels) / static_cast<double>(logits.size(0));
}

at::Tensor Model::flat_parameters() const {
  std::vector<at::Tensor> parts;
  for (const at::Tensor& t : tracked_) parts.push_back(t.detach().reshape({-1}).to(at::kDouble));
  return at::cat(parts);
}

void Model::set_flat_parameters(const at::Tensor& flat) {
  IDEALGAS_ASSERT(flat.dim() == 1 && flat.numel() == dim_, "set_flat_parameters: wrong size");
  at::NoGradGuard no_grad;
  long long offset = 0;
  for (at::Tensor& t : tracked_) {
    t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

at::Tensor Model::flat_gradient() const {
  std::vector<at::Tensor> parts;
  for (const at::Tensor& t : tracked_) {
    const at::Tensor& g = t.grad();
    parts.push_back(g.defined() ? g.reshape({-1}).to(at::kDouble)
                                : at::zeros({t.numel()}, t.options().dtype(at::kDouble)));
  }
  return at::cat(parts);
}

void Model::zero_grad() {
  for (at::Tensor& t : tracked_) t.mutable_grad().reset();
}

long long Model::buffer_word_count() const {
  long long n = 0;
  for (const at::Tensor& b : buffers_) n += b.numel() * words_per_element(b);
  return n;
}

std::vector<float> Model::buffer_words() const {
  std::vector<float> out(static_cast<std::size_t>(buffer_word_count()));
  std::size_t offset = 0;
  for (const at::Tensor& b : buffers_) {
    const at::Tensor c = b.to(at::kCPU).contiguous();
    const std::size_t bytes = static_cast<std::size_t>(c.numel()) * c.element_size();
    if (bytes > 0) std::memcpy(out.data() + offset, c.data_ptr(), bytes);
    offset += bytes / sizeof(float);
  }
  return out;
}

void Model::set_buffer_words(const std::vector<float>& words) {
  if (static_cast<long long>(words.size()) != buffer_word_count())
    throw InputError(fmt::format("saved state holds {} buffer words (BatchNorm statistics); this network has {}",
                                 words.size(), buffer_word_count()));
  at::NoGradGuard no_grad;
  std::size_t offset = 0;
  for (at::Tensor& b : buffers_) {
    at::Tensor c = at::empty(b.sizes(), b.options().device(at::kCPU));
    const std::size_t bytes = static_cast<std::size_t>(c.numel()) * c.element_size();
    if (bytes > 0) std::memcpy(c.data_ptr(), words.data() + offset, bytes);
    // Running means and variances are finite by construction: a NaN or infinity is a tampered or broken file, and
    // would only surface later as NaN test metrics (eval mode).
    if (c.is_floating_point() && !c.isfinite().all().item<bool>())
      throw InputError(fmt::format("saved state holds a non-finite value in buffer {} of {} (BatchNorm statistics)",
                                   &b - buffers_.data(), buffers_.size()));
    b.copy_(c);
    offset += bytes / sizeof(float);
  }
}

double activation_bytes_per_sample(Model& model, const at::Tensor& inputs) {
  // Bytes of every tensor the autograd graph of one forward pass produces (each node's outputs, as the gradients it
  // expects describe them): what the backward keeps alive, up to the few it frees early. Measured at two batch
  // sizes, so that what does not grow with the batch (parameters, frozen parts) drops out.
  const auto graph_bytes = [&](long long n) {
    const at::Tensor out = model.forward(inputs.narrow(0, 0, n), BatchNormMode::train_no_track);
    double bytes = static_cast<double>(out.numel()) * static_cast<double>(out.element_size());
    std::vector<const torch::autograd::Node*> stack;
    std::set<const torch::autograd::Node*> seen;
    if (out.grad_fn()) stack.push_back(out.grad_fn().get());
    while (!stack.empty()) {
      const torch::autograd::Node* node = stack.back();
      stack.pop_back();
      if (!seen.insert(node).second) continue;
      for (std::size_t i = 0; i < node->num_inputs(); ++i) {
        const at::Tensor shape = node->input_metadata(i).zeros_like();  // tiny at this batch size
        bytes += static_cast<double>(shape.numel()) * static_cast<double>(shape.element_size());
      }
      for (const torch::autograd::Edge& e : node->next_edges())
        if (e.function) stack.push_back(e.function.get());
    }
    return bytes;
  };
  const long long n = inputs.size(0);
  if (n < 4) return 0.0;
  return std::max(0.0, (graph_bytes(4) - graph_bytes(2)) / 2.0);
}

void require_activations_fit(Model& model, const at::Tensor& train_x, long long batch_size, long long eval_chunk) {
  // A training step holds the batch's activations and, during the backward, their gradients (2x); the full-batch
  // metrics do the same per chunk of eval_chunk images. Share of the memory as for the weights (trainer.cpp).
  constexpr double kBackwardFactor = 2.0, kMaxShare = 0.8;
  const double physical = physical_memory_bytes();
  if (physical <= 0.0) return;
  const double per_sample = activation_bytes_per_sample(model, train_x);
  const long long largest = std::max<long long>(batch_size, std::min<long long>(eval_chunk, train_x.size(0)));
  const double need = kBackwardFactor * per_sample * static_cast<double>(largest);
  if (need > kMaxShare * physical)
    throw InputError(fmt::format("a forward/backward pass of {} images (train.batch_size {}, measure.eval_chunk {}) "
                                 "needs ~{:.3g} GB of activations ({:.3g} kB per image, measured), more than {:.0f} % "
                                 "of this machine's {:.1f} GB; lower train.batch_size or measure.eval_chunk",
                                 largest, batch_size, eval_chunk, need / 1e9, per_sample / 1e3, 100 * kMaxShare,
                                 physical / 1e9));
}

std::unique_ptr<Model> make_model(const NetworkSpec& spec, std::uint64_t init_key, std::uint64_t head_key,
                                  at::Device device) {
  if (spec.arch == Architecture::torchscript) return std::make_unique<TorchScriptModel>(spec, device);
  if (spec.arch == Architecture::isotropic) return std::make_unique<IsotropicModel>(spec, init_key, device);
  return std::make_unique<Network>(spec, init_key, head_key, device);
}

}  // namespace idealgas::train
