#include "idealgas/train/model.hpp"

#include <cstring>

#include <fmt/format.h>
#include <torch/autograd.h>

#include "idealgas/core/error.hpp"
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
    b.copy_(c);
    offset += bytes / sizeof(float);
  }
}

std::unique_ptr<Model> make_model(const NetworkSpec& spec, std::uint64_t init_key, std::uint64_t head_key,
                                  at::Device device) {
  if (spec.arch == Architecture::torchscript) return std::make_unique<TorchScriptModel>(spec, device);
  return std::make_unique<Network>(spec, init_key, head_key, device);
}

}  // namespace idealgas::train
