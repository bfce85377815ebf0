// What the spherical KL estimator returns, on average, for exact VMF samples: the reference against which a
// simulated S(rho_w_hat) is judged, so that the estimator's own finite-sample bias (-0.035 to -0.06 nats at d = 10
// and 2000 snapshots, a third to a whole SE; docs/numerics.md) is not mistaken for a property of the dynamics.
//
// The bias of a KL estimate depends on (d, N, T) and, without the regularising rotation, on where the cloud sits
// relative to the angle coordinates' singular set; it varies slowly with T. So it is measured at a few temperatures
// spanning the rows' range (log-spaced nodes), each from `replicates` independent estimates on exact VMF samples of
// the rows' size and mean direction with the rows' estimator options, and interpolated linearly in log T.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "idealgas/measure/spherical_entropy.hpp"

namespace idealgas {

struct KlBiasCurve {
  std::vector<double> log_T;  // nodes, increasing
  std::vector<double> bias;   // mean (estimate - exact VMF S_sphere) at each node, nats
  std::vector<double> se;     // its Monte Carlo SE: sd of the replicate estimates / sqrt(replicates)
  int replicates = 0;

  /// Bias and its SE at temperature T, linear in log T between nodes, constant beyond the end nodes (NaN, NaN
  /// when there are no nodes or T is not positive and finite).
  void at(double T, double& bias_out, double& se_out) const;
};

/// The estimator's bias for n samples of VMF(mean_direction, 1/T) on S^{d-1}, d = mean_direction.size(), at
/// `nodes` temperatures log-spaced over [T_min, T_max] (one node when T_max <= 1.5 T_min). Samples come from
/// mt19937_64 streams seeded by (seed, node, replicate): the same curve for the same arguments. Throws what the
/// sampler and the estimator throw (InputError) for impossible arguments.
KlBiasCurve kl_bias_curve(const std::vector<double>& mean_direction, double T_min, double T_max, std::size_t n,
                          int nodes, int replicates, std::uint64_t seed, const SphericalEntropyOptions& options);

}  // namespace idealgas
