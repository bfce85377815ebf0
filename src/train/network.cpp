#include "idealgas/train/network.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"

namespace idealgas::train {

namespace {

constexpr double kBatchNormMomentum = 0.1;  // PyTorch's defaults, as in the paper's code
constexpr double kBatchNormEps = 1e-5;
constexpr int kInputSize = 32;

// PyTorch's default init of a weight with `fan_in` inputs (kaiming_uniform_ with a = sqrt(5)) and of a linear
// bias: uniform on +-1/sqrt(fan_in).
at::Tensor default_uniform(std::uint64_t key, at::IntArrayRef shape, long long fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  at::Tensor t = at::empty(shape, at::kDouble);
  uniform_reals(key, 0, -bound, bound, t.data_ptr<double>(), static_cast<std::size_t>(t.numel()));
  return t.to(at::kFloat);
}

// 2-D convolution without bias, square stride and padding.
at::Tensor conv(const at::Tensor& x, const at::Tensor& w, std::int64_t stride, std::int64_t padding) {
  const std::int64_t s[2] = {stride, stride}, p[2] = {padding, padding};
  return at::conv2d(x, w, {}, s, p);
}

at::Tensor to_layout(at::Tensor t, bool channels_last) {
  return t.dim() == 4 && channels_last ? t.contiguous(at::MemoryFormat::ChannelsLast) : t.contiguous();
}

}  // namespace

Network::Network(const NetworkSpec& spec, std::uint64_t init_key, std::uint64_t head_key, at::Device device)
    : Model(device, spec.loss, spec.classes), spec_(spec), init_key_(init_key) {
  validate(spec);
  IDEALGAS_ASSERT(spec.arch != Architecture::torchscript, "Network builds the built-in architectures only");
  const int k = spec.width, c = spec.in_channels;
  if (spec.arch == Architecture::convnet) {
    const int widths[5] = {c, k, 2 * k, 4 * k, 8 * k};
    for (int l = 0; l < 4; ++l) {
      convs_.push_back(conv_weight(widths[l + 1], widths[l], 3));
      bns_.push_back(batch_norm(widths[l + 1]));
    }
  } else if (spec.arch == Architecture::mlp) {
    long long in = static_cast<long long>(c) * spec.image_height * spec.image_width;
    for (int l = 0; l < spec.depth; ++l) {
      convs_.push_back(linear_weight(k, in));
      bns_.push_back(batch_norm(k));
      in = k;
    }
  } else {
    convs_.push_back(conv_weight(k, c, 3));  // stem
    int in = k;
    for (int stage = 0; stage < 4; ++stage) {
      const int planes = k << stage;
      for (int block = 0; block < 2; ++block) {
        const bool projection = (stage > 0 && block == 0) || in != planes;
        bns_.push_back(batch_norm(in));                       // pre-activation
        convs_.push_back(conv_weight(planes, in, 3));         // conv1 (stride 2 in the first block of stages 2-4)
        bns_.push_back(batch_norm(planes));
        convs_.push_back(conv_weight(planes, planes, 3));     // conv2
        if (projection) {
          bns_.push_back(batch_norm(in));                     // shortcut BN -> conv1x1
          convs_.push_back(conv_weight(planes, in, 1));
        }
        in = planes;
      }
    }
    bns_.push_back(batch_norm(8 * k));  // head BN
  }
  // Head: default-initialised linear layer from its own stream; frozen and rescaled to head_norm (SI model).
  const long long features = spec.arch == Architecture::mlp ? k : 8LL * k;
  at::Tensor w = default_uniform(derive_stream_key(head_key, {0}), {spec.classes, features}, features);
  if (!spec.practical) w.mul_(spec.head_norm / w.norm().item<double>());
  head_weight_ = w.to(device);
  if (spec.arch != Architecture::resnet18)  // the paper's ConvNet head has a bias; the MLP takes the same head
    head_bias_ = default_uniform(derive_stream_key(head_key, {1}), {spec.classes}, features).to(device);

  std::vector<at::Tensor> tracked;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < convs_.size(); ++i) {
    tracked.push_back(convs_[i]);
    names.push_back(fmt::format(spec.arch == Architecture::mlp ? "fc{}.weight" : "conv{}.weight", i));
  }
  if (spec.practical) {
    for (std::size_t i = 0; i < bns_.size(); ++i) {
      tracked.push_back(bns_[i].weight);
      tracked.push_back(bns_[i].bias);
      names.push_back(fmt::format("bn{}.weight", i));
      names.push_back(fmt::format("bn{}.bias", i));
    }
    tracked.push_back(head_weight_);
    names.emplace_back("head.weight");
    if (head_bias_.defined()) {
      tracked.push_back(head_bias_);
      names.emplace_back("head.bias");
    }
  }
  const std::size_t si_tensors = convs_.size();
  set_tracked(std::move(tracked), std::move(names), si_tensors);
}

nlohmann::json Network::describe() const {
  nlohmann::json j = {{"architecture", architecture_name(spec_.arch)},
                      {"width", spec_.width},
                      {"practical", spec_.practical},
                      {"in_channels", spec_.in_channels},
                      {"classes", spec_.classes}};
  if (spec_.arch == Architecture::mlp) {
    j["depth"] = spec_.depth;
    j["input_features"] = static_cast<long long>(spec_.in_channels) * spec_.image_height * spec_.image_width;
  }
  return j;
}

at::Tensor Network::conv_weight(int out, int in, int kernel) {
  const std::uint64_t key = derive_stream_key(init_key_, {static_cast<std::uint64_t>(next_layer_++)});
  return to_layout(default_uniform(key, {out, in, kernel, kernel}, static_cast<long long>(in) * kernel * kernel),
                   spec_.channels_last)
      .to(device());
}

at::Tensor Network::linear_weight(int out, long long in) {
  const std::uint64_t key = derive_stream_key(init_key_, {static_cast<std::uint64_t>(next_layer_++)});
  return default_uniform(key, {out, in}, in).to(device());
}

Network::BatchNorm Network::batch_norm(int channels) {
  BatchNorm b;
  b.running = static_cast<int>(buffers_.size());
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device());
  buffers_.push_back(at::zeros({channels}, opts));
  buffers_.push_back(at::ones({channels}, opts));
  if (spec_.practical) {
    b.weight = at::ones({channels}, opts);
    b.bias = at::zeros({channels}, opts);
  }
  return b;
}

at::Tensor Network::bn(const at::Tensor& x, const BatchNorm& layer, BatchNormMode mode) {
  const bool batch_stats = mode != BatchNormMode::eval;
  at::Tensor none;
  const bool track = mode != BatchNormMode::train_no_track;
  return at::batch_norm(x, layer.weight, layer.bias, track ? buffers_[layer.running] : none,
                        track ? buffers_[layer.running + 1] : none, batch_stats, kBatchNormMomentum, kBatchNormEps,
                        /*cudnn_enabled=*/true);
}

at::Tensor Network::forward(const at::Tensor& x, BatchNormMode mode) {
  IDEALGAS_ASSERT(x.dim() == 4 && x.size(1) == spec_.in_channels && x.size(2) == kInputSize &&
                      x.size(3) == kInputSize,
                  "network input must be [B, in_channels, 32, 32]");
  if (spec_.arch == Architecture::mlp) return forward_mlp(x, mode);
  at::Tensor input = to_layout(x, spec_.channels_last);
  return spec_.arch == Architecture::convnet ? forward_convnet(input, mode) : forward_resnet(input, mode);
}

at::Tensor Network::forward_mlp(const at::Tensor& x, BatchNormMode mode) {
  // The data are centred on the 32x32 canvas (data::pad_images): crop the image back out, so that the padding,
  // the same constant in every image, adds no weights (their gradient would be zero after BN: dead coordinates
  // that only decay and would miscount d).
  const std::int64_t top = (kInputSize - spec_.image_height) / 2, left = (kInputSize - spec_.image_width) / 2;
  at::Tensor h = x.narrow(2, top, spec_.image_height).narrow(3, left, spec_.image_width).reshape({x.size(0), -1});
  for (std::size_t l = 0; l < convs_.size(); ++l) h = at::relu(bn(at::linear(h, convs_[l]), bns_[l], mode));
  return at::linear(h, head_weight_, head_bias_);
}

at::Tensor Network::forward_convnet(at::Tensor x, BatchNormMode mode) {
  for (int l = 0; l < 4; ++l) {
    x = at::relu(bn(conv(x, convs_[l], 1, 1), bns_[l], mode));
    if (l > 0) x = at::max_pool2d(x, {2, 2});
  }
  x = at::max_pool2d(x, {4, 4}).flatten(1);
  return at::linear(x, head_weight_, head_bias_);
}

at::Tensor Network::forward_resnet(at::Tensor x, BatchNormMode mode) {
  std::size_t c = 0, norm = 0;
  x = conv(x, convs_[c++], 1, 1);  // stem: no BN right after it
  int in = spec_.width;
  for (int stage = 0; stage < 4; ++stage) {
    const int planes = spec_.width << stage;
    for (int block = 0; block < 2; ++block) {
      const int stride = stage > 0 && block == 0 ? 2 : 1;
      const bool projection = stride != 1 || in != planes;
      const at::Tensor out = at::relu(bn(x, bns_[norm++], mode));
      at::Tensor y = conv(out, convs_[c++], stride, 1);
      y = conv(at::relu(bn(y, bns_[norm++], mode)), convs_[c++], 1, 1);
      const at::Tensor shortcut =
          projection ? conv(bn(out, bns_[norm++], mode), convs_[c++], stride, 0) : x;
      x = y + shortcut;
      in = planes;
    }
  }
  x = at::relu(bn(x, bns_[norm++], mode));
  x = at::avg_pool2d(x, {4, 4}).flatten(1);
  return at::linear(x, head_weight_, head_bias_);
}

}  // namespace idealgas::train
