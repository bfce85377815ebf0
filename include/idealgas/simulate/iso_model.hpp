// The isotropic-noise model (docs/theory.md §4, paper Eq. 25): loss L(w) = 1 + <mu, w>/|w| with a fixed unit mu,
// and noisy gradient g_B = grad L(w) + (sigma/|w|) P_w_hat eps, eps ~ N(0, I_d). Gradients in parameter units;
// "unit-sphere units" multiply by |w| (docs/theory.md §5).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

struct IsoModel {
  long long d = 3;          // number of parameters
  double sigma2 = 1.0;      // Tr Sigma(w_hat) = sigma2 (d - 1)
  double sigma = 1.0;       // sqrt(sigma2), the noise scale applied to eps
  std::vector<double> mu;   // [d] unit vector; the stationary direction law is VMF with mean -mu

  /// mu drawn uniformly on the sphere from the master seed (the same for every configuration).
  static IsoModel make(long long d, double sigma2, std::uint64_t master_seed);
};

/// The one initial direction of every configuration of a grid (from the master seed), unit norm.
std::vector<double> iso_initial_direction(long long d, std::uint64_t master_seed);

/// What one update measured on the way: the protocol's record and the loss before the update.
struct IsoStepInfo {
  StepRecord step;  // norms before / before projection, step size, |g_B|^2, sphere norm growth
  double cos_mu;    // <mu, w_hat> before the update: the loss is 1 + cos_mu
};

/// One update of `w` (in place, [d]) under `protocol`, with `eps` ([d]) standard normal draws.
IsoStepInfo iso_step(const IsoModel& model, const ProtocolParams& protocol, double* w, const double* eps);

/// iso_step with the dimension fixed at compile time (D > 0 must equal model.d; D = 0: read model.d).
template <int D>
IsoStepInfo iso_step_fixed(const IsoModel& model, const ProtocolParams& protocol, double* w, const double* eps);

/// Loss 1 + <mu, w>/|w| at w ([d]).
double iso_loss(const IsoModel& model, const double* w);

// ---- implementation ----

template <int D>
inline IsoStepInfo iso_step_fixed(const IsoModel& model, const ProtocolParams& protocol, double* w,
                                  const double* eps) {
  const long long d = D > 0 ? D : model.d;  // a compile-time D lets the compiler unroll the loops
  const double* mu = model.mu.data();
  double norm_sq = 0.0, w_dot_mu = 0.0, w_dot_eps = 0.0;
  for (long long i = 0; i < d; ++i) {
    norm_sq += w[i] * w[i];
    w_dot_mu += w[i] * mu[i];
    w_dot_eps += w[i] * eps[i];
  }
  const double norm = std::sqrt(norm_sq);
  const double inv_norm = 1.0 / norm;
  const double sigma = model.sigma;
  // g_B = (P_w_hat (mu + sigma eps)) / |w| = (mu + sigma eps - a w_hat)/|w| with a = <mu + sigma eps, w_hat>.
  const double a_over_norm = (w_dot_mu + sigma * w_dot_eps) * inv_norm * inv_norm;
  // The protocol decides step size, decay and projection; the pass below forms g_B on the fly (never stored).
  const auto update = [&](double decay, double s) {
    UpdateSums sums{0.0, 0.0, 0.0};
    for (long long i = 0; i < d; ++i) {
      const double g = (mu[i] + sigma * eps[i] - a_over_norm * w[i]) * inv_norm;
      sums.g_norm_sq += g * g;
      sums.w_dot_g += w[i] * g;
      w[i] = decay * w[i] - s * g;
      sums.new_norm_sq += w[i] * w[i];
    }
    return sums;
  };
  const auto scale = [&](double c) {
    for (long long i = 0; i < d; ++i) w[i] *= c;
  };
  return {apply_protocol_step(protocol, norm_sq, update, scale), w_dot_mu * inv_norm};
}

}  // namespace idealgas
