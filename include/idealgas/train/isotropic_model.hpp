// The paper's isotropic-noise model (docs/theory.md §4, Eq. 25) as a network of the trainer: the network whose
// answer is known. One parameter vector w of d entries; the loss of a batch is
//   L_B(w) = 1 + <mu + sigma eps_B, w_hat>,   eps_B ~ N(0, I_d) drawn per batch (Trainer: from the batch's stream),
// whose gradient P_w_hat (mu + sigma eps_B) / |w| is exactly the noisy gradient of `simulate iso`
// (simulate/iso_model.hpp), so Tr Sigma(w_hat) = sigma2 (d - 1) and the full-batch loss (eps = 0) is 1 + <mu, w_hat>.
// Everything else (protocol step, measurement schedule, Tr Sigma estimators, snapshot queues, entropy, summary,
// analysis, report) is the trainer's, as for a ConvNet: a test of that pipeline against the closed forms.
// Computed in float64 (the simulator's precision); no buffers, no classes (accuracy is not defined).
#pragma once

#include <cstdint>

#include "idealgas/train/model.hpp"

namespace idealgas::train {

class IsotropicModel final : public Model {
 public:
  /// mu and the initial direction from the init seed (simulate/iso_model.hpp's streams with init_key as master seed).
  IsotropicModel(const NetworkSpec& spec, std::uint64_t init_key, at::Device device);

  /// x: [B, d] float64 noise draws (zeros: the full-batch loss). Returns the per-draw losses [B, 1].
  at::Tensor forward(const at::Tensor& x, BatchNormMode mode) override;
  at::Tensor loss_sum(const at::Tensor& per_draw, const at::Tensor& labels) const override;
  nlohmann::json describe() const override;

  long long d() const { return d_; }

 private:
  long long d_;
  double sigma_;
  at::Tensor w_;   // [d] float64, the tracked parameter
  at::Tensor mu_;  // [d] float64 unit vector; the stationary direction law is VMF with mean -mu
};

}  // namespace idealgas::train
