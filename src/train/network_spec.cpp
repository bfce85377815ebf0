#include "idealgas/train/network_spec.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::train {

namespace {
// Widths beyond this give more than 10^10 SI parameters: certainly a typo, and k^2 would overflow soon after.
constexpr int kMaxWidth = 1 << 16;
}  // namespace

const char* architecture_name(Architecture a) {
  switch (a) {
    case Architecture::convnet: return "convnet";
    case Architecture::resnet18: return "resnet18";
    case Architecture::torchscript: return "torchscript";
    case Architecture::isotropic: return "isotropic";
    case Architecture::mlp: return "mlp";
  }
  return "?";
}

Architecture parse_architecture(const std::string& name) {
  if (name == "convnet") return Architecture::convnet;
  if (name == "resnet18") return Architecture::resnet18;
  if (name == "torchscript") return Architecture::torchscript;
  if (name == "isotropic") return Architecture::isotropic;
  if (name == "mlp") return Architecture::mlp;
  throw InputError(fmt::format("model.arch must be convnet, resnet18, mlp (model.width, model.depth), torchscript "
                               "(your own module, model.path) or isotropic (the paper's isotropic-noise model, "
                               "model.d and model.sigma2), got '{}'",
                               name));
}

const char* loss_name(LossKind l) { return l == LossKind::cross_entropy ? "ce" : "mse"; }

LossKind parse_loss(const std::string& name) {
  if (name == "ce") return LossKind::cross_entropy;
  if (name == "mse") return LossKind::mse;
  throw InputError(fmt::format("model.loss must be ce (cross-entropy) or mse, got '{}'", name));
}

long long si_parameter_count(const NetworkSpec& s) {
  IDEALGAS_ASSERT(s.arch != Architecture::torchscript, "si_parameter_count: built-in architectures only");
  if (s.arch == Architecture::isotropic) return s.iso_d;
  const long long k = s.width, c = s.in_channels;
  if (s.arch == Architecture::mlp)
    return c * s.image_height * s.image_width * k + static_cast<long long>(s.depth - 1) * k * k;
  return 9 * c * k + (s.arch == Architecture::convnet ? 378 : 2724) * k * k;
}

void validate(const NetworkSpec& s) {
  if (s.arch == Architecture::isotropic) {  // no images: the data keys are not used
    if (s.iso_d < 2 || s.iso_d > kMaxIsotropicDimension)
      throw InputError(fmt::format("model.d must be an integer in 2..{}, got {}", kMaxIsotropicDimension, s.iso_d));
    require_positive("model.sigma2", s.iso_sigma2);
    return;
  }
  if (s.in_channels < 1 || s.in_channels > 4)
    throw InputError(fmt::format("the images must have 1..4 channels, got {}", s.in_channels));
  if (s.classes < 2 || s.classes > 256)
    throw InputError(fmt::format("the dataset must have 2..256 classes, got {}", s.classes));
  if (s.arch == Architecture::torchscript) {
    if (s.script_path.empty())
      throw InputError("model.path must name the module saved with torch.jit.script(model).save(path) when "
                       "model.arch = torchscript");
    for (std::size_t i = 0; i < s.si_parameters.size(); ++i) {
      if (s.si_parameters[i].empty()) throw InputError("model.si_parameters holds an empty name");
      for (std::size_t j = 0; j < i; ++j)
        if (s.si_parameters[j] == s.si_parameters[i])
          throw InputError(fmt::format("model.si_parameters names '{}' twice", s.si_parameters[i]));
    }
    require_non_negative("model.si_rtol", s.si_rtol);
    return;
  }
  if (s.width < 1 || s.width > kMaxWidth)
    throw InputError(fmt::format("model.width must be an integer in 1..{}, got {}", kMaxWidth, s.width));
  require_positive("model.head_norm", s.head_norm);
  if (s.arch == Architecture::mlp) {
    if (s.depth < 1 || s.depth > kMaxMlpDepth)
      throw InputError(fmt::format("model.depth must be an integer in 1..{}, got {}", kMaxMlpDepth, s.depth));
    if (s.image_height < 1 || s.image_height > 32 || s.image_width < 1 || s.image_width > 32)
      throw InputError(fmt::format("the mlp takes images of at most 32x32, got {}x{}", s.image_height, s.image_width));
  }
}

}  // namespace idealgas::train
