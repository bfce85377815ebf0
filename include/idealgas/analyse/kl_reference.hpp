// What the spherical KL estimator returns, on average, for exact VMF samples: the reference against which a
// simulated S(rho_w_hat) is judged, so that the estimator's own finite-sample bias (-0.035 to -0.06 nats at d = 10
// and 2000 snapshots, a third to a whole SE; docs/numerics.md) is not mistaken for a property of the dynamics.
//
// The bias of a KL estimate depends on (d, N, T) and, without the regularising rotation, on where the cloud sits
// relative to the angle coordinates' singular set; it varies slowly with T. So it is measured on a fixed lattice of
// temperatures, T = 10^(k/2), each node from `replicates` independent estimates on exact VMF samples of the rows'
// size and mean direction with the rows' estimator options, and interpolated linearly in log T between the two
// nodes around each T. The nodes and their random streams depend on (seed, k) only, so a configuration gets the
// same reference whether it ran alone (simulate iso, a sweep job) or inside a grid (reproduce iso).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "idealgas/measure/spherical_entropy.hpp"

namespace idealgas {

struct KlBiasNode {
  double bias = 0.0;  // mean (estimate - exact VMF S_sphere) at T = 10^(k/2), nats
  double se = 0.0;    // its Monte Carlo SE: sd of the replicate estimates / sqrt(replicates)
};

struct KlBiasCurve {
  std::map<int, KlBiasNode> nodes;  // lattice index k -> node
  int replicates = 0;

  /// Bias and its SE at temperature T, linear in log T between the lattice nodes around T (NaN, NaN when T is not
  /// positive and finite or the curve lacks those nodes).
  void at(double T, double& bias_out, double& se_out) const;
};

/// The lattice index k of the node at or below T: floor(2 log10 T).
int kl_lattice_index(double T);

/// The estimator's bias for n samples of VMF(mean_direction, 1/T) on S^{d-1}, d = mean_direction.size(), at the
/// lattice nodes around each of `temperatures` (positive finite ones; others are skipped). Samples come from
/// mt19937_64 streams seeded by (seed, k, replicate). Throws what the sampler and the estimator throw (InputError).
KlBiasCurve kl_bias_curve(const std::vector<double>& mean_direction, const std::vector<double>& temperatures,
                          std::size_t n, int replicates, std::uint64_t seed, const SphericalEntropyOptions& options);

}  // namespace idealgas
