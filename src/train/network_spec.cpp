#include "idealgas/train/network_spec.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::train {

namespace {
// Widths beyond this give more than 10^10 SI parameters: certainly a typo, and k^2 would overflow soon after.
constexpr int kMaxWidth = 1 << 16;
}  // namespace

const char* architecture_name(Architecture a) { return a == Architecture::convnet ? "convnet" : "resnet18"; }

Architecture parse_architecture(const std::string& name) {
  if (name == "convnet") return Architecture::convnet;
  if (name == "resnet18") return Architecture::resnet18;
  throw InputError(fmt::format("model.arch must be convnet or resnet18, got '{}'", name));
}

const char* loss_name(LossKind l) { return l == LossKind::cross_entropy ? "ce" : "mse"; }

LossKind parse_loss(const std::string& name) {
  if (name == "ce") return LossKind::cross_entropy;
  if (name == "mse") return LossKind::mse;
  throw InputError(fmt::format("model.loss must be ce (cross-entropy) or mse, got '{}'", name));
}

long long si_parameter_count(const NetworkSpec& s) {
  const long long k = s.width, c = s.in_channels;
  return 9 * c * k + (s.arch == Architecture::convnet ? 378 : 2724) * k * k;
}

void validate(const NetworkSpec& s) {
  if (s.width < 1 || s.width > kMaxWidth)
    throw InputError(fmt::format("model.width must be an integer in 1..{}, got {}", kMaxWidth, s.width));
  if (s.in_channels < 1 || s.in_channels > 4)
    throw InputError(fmt::format("the images must have 1..4 channels, got {}", s.in_channels));
  if (s.classes < 2 || s.classes > 256)
    throw InputError(fmt::format("the dataset must have 2..256 classes, got {}", s.classes));
  require_positive("model.head_norm", s.head_norm);
}

}  // namespace idealgas::train
