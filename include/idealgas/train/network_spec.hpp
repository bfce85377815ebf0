// Which network to train (docs/paper-setup.md §2), torch-free so that configs and tests can name one without
// LibTorch. Both architectures take 32x32 inputs (Fashion-MNIST's 28x28 images are zero-padded to 32x32).
//   convnet   width k: conv3x3 c->k, BN, ReLU; conv k->2k, BN, ReLU, maxpool 2; conv 2k->4k, BN, ReLU, maxpool 2;
//             conv 4k->8k, BN, ReLU, maxpool 2; maxpool 4; linear 8k->classes with bias (frozen).
//   resnet18  pre-activation ResNet-18 of width k (stages k, 2k, 4k, 8k; [2,2,2,2] blocks): stem conv3x3 c->k
//             with no BN after it; block out = ReLU(BN(x)), shortcut = x or conv1x1(BN(out)) (stride or width
//             change), out = conv(ReLU(BN(conv(out)))) + shortcut; head BN, ReLU, avgpool 4, linear 8k->classes
//             without bias (frozen).
// Every BN has no affine parameters and every conv no bias, so the loss is invariant to scaling all conv weights
// together (the SI parameters; d = 9ck + 378k^2 or 9ck + 2724k^2 with c input channels). The head is frozen:
// a default-initialised linear layer rescaled to Frobenius norm head_norm (10 for cross-entropy, 1.5 for MSE).
// practical = true is App. G's variant: affine BN (weight 1, bias 0 at start) and a trainable, default-initialised
// head; the tracked parameters (radius, entropy, protocol step) are then all trainable parameters.
//   mlp       width k, depth L: the image flattened (its own c x h x w pixels: the padding to 32x32 is cropped off
//             again, so Fashion-MNIST gives 784 features, CIFAR 3072), then L times linear (no bias), BN (no
//             affine), ReLU (widths k), then the frozen linear k->classes with bias as the ConvNet's.
//             d = c h w k + (L-1) k^2.
//   isotropic the paper's isotropic-noise model (Sec. 6, Eq. 25) as a network: d parameters, loss 1 + <mu, w_hat>,
//             each batch gradient carries isotropic noise of variance sigma2 (the known answer, docs/train.md).
//   torchscript  the user's own module, saved with torch.jit.script(model).save(path) (train/torchscript_model.hpp,
//             docs/train.md "Your own model"): its forward takes [B, C, 32, 32] and returns logits [B, classes];
//             the SI parameters are named (si_parameters) or found by the rule of torchscript_model.hpp, and
//             checked numerically (train/scale_invariance.hpp) before training.
#pragma once

#include <string>
#include <vector>

#include "idealgas/train/scale_invariance.hpp"

namespace idealgas::train {

/// model.d of the isotropic model: it keeps a few vectors of d doubles; beyond 10^8 the entropy queues alone would
/// not fit. The one limit the config reader and validate() share.
inline constexpr long long kMaxIsotropicDimension = 100'000'000;

enum class Architecture { convnet, resnet18, torchscript, isotropic, mlp };

/// "convnet", "resnet18", "torchscript"; parse throws InputError naming the accepted values.
const char* architecture_name(Architecture a);
Architecture parse_architecture(const std::string& name);

enum class LossKind { cross_entropy, mse };
const char* loss_name(LossKind l);  // "ce", "mse"
LossKind parse_loss(const std::string& name);

/// Deepest MLP accepted (model.depth): far beyond what a CPU trains, and it keeps depth * width^2 small.
inline constexpr int kMaxMlpDepth = 64;

struct NetworkSpec {
  Architecture arch = Architecture::convnet;
  int width = 8;           // k
  int in_channels = 3;     // 3 (CIFAR) or 1 (Fashion-MNIST)
  int classes = 10;
  bool practical = false;  // App. G: affine BN, trainable head
  double head_norm = 10.0; // Frobenius norm of the frozen head weight
  LossKind loss = LossKind::cross_entropy;
  int depth = 2;           // mlp: hidden layers
  int image_height = 32;   // mlp: the images' own size before padding to 32x32 (the trainer sets it from the data)
  int image_width = 32;
  bool channels_last = true;  // NHWC activations and weights (config default: on for width >= 8, where it was
                              // measured faster on CPU; bench/README.md)
  // torchscript only (width, head_norm and channels_last are then unused):
  std::string script_path;                 // the saved module (model.path)
  std::vector<std::string> si_parameters;  // names as in named_parameters(); empty = found by the rule
  double si_rtol = kScaleInvarianceRtol;   // largest relative output change accepted by the check
  bool trust = false;  // model.trust: load a module whose code reaches files or the network (docs/security.md)
  // isotropic only: the paper's toy loss L(w) = 1 + <mu, w_hat> with isotropic gradient noise, as `simulate iso`
  // (simulate/iso_model.hpp), run through the trainer as a network whose answer is known (train/isotropic_model.hpp).
  long long iso_d = 10;      // model.d: number of parameters
  double iso_sigma2 = 1.0;   // model.sigma2: Tr Sigma(w_hat) = sigma2 (d - 1) per batch gradient
};

/// Number of scale-invariant parameters (all conv weights): convnet 9ck + 378k^2, resnet18 9ck + 2724k^2; mlp (all
/// hidden weights) c h w k + (L-1) k^2 (built-in architectures only; a TorchScript module's count is known once it
/// is loaded).
long long si_parameter_count(const NetworkSpec& spec);

/// InputError unless width >= 1, in_channels >= 1, classes >= 2, head_norm > 0, and the SI count fits easily;
/// torchscript: a path, distinct non-empty SI names, si_rtol >= 0; mlp: depth in 1..64, image size in 1..32.
void validate(const NetworkSpec& spec);

}  // namespace idealgas::train
