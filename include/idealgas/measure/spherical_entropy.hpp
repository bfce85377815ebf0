// Entropy (nats) of a cloud of weight snapshots by the Kozachenko-Leonenko k = 1 estimator on their
// hyperspherical angles (docs/theory.md §5, App. D.6 Eq. 99-103): S(rho_w_hat) = H_hat(phi) + E[log J] and the
// total S = S(rho_w_hat) + (d-1) log r_bar. This is the reference: estimate_entropy() (entropy_estimate.hpp, the one
// pipeline: coordinates, reflection, KL formula) with the exact O(N^2 m) neighbour search knn_naive (knn_exact.hpp,
// the one oracle), kept as the result every faster path must reproduce bit for bit.
//
// Duplicates. A sample whose angle vector equals another's (squared distance exactly 0, e.g. a snapshot
// stored twice) would give rho = 0 and log 0 = -inf. We never clip rho to a floor (a 1e-8 floor costs
// thousands of nats per duplicate in high dimension). Instead every later copy of an angle vector is dropped,
// the estimate (H_hat and E[log J]) is computed over the distinct samples with N = their number, and the
// number dropped is reported as `duplicates`. The mean radius uses all rows (a copy is still a valid
// radius measurement).
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

namespace idealgas {

/// log of the volume of the unit ball in R^m, log(pi^{m/2} / Gamma(m/2 + 1)), by lgamma (no overflow).
double log_unit_ball_volume(std::size_t m);

/// Euclidean KL estimate with its diagnostics; duplicates are handled as described at the top of this file.
struct KlEntropyResult {
  double entropy = std::numeric_limits<double>::quiet_NaN();  // H_hat, nats
  std::size_t n = 0;           // rows given
  std::size_t n_distinct = 0;  // rows used, the N of the formula
  long long duplicates = 0;    // n - n_distinct
  double adjacent_nn_fraction = std::numeric_limits<double>::quiet_NaN();  // share of used rows whose nearest
                                                                           // neighbour is row i-1 or i+1
  std::vector<std::size_t> nn_index;  // [n]: row (original numbering) of the nearest distinct row; n if dropped
  std::vector<double> nn_dist_sq;     // [n]: its squared distance; NaN if the row was dropped
};

/// KL k = 1 entropy of points in R^m (estimate_entropy with --euclidean and knn_naive). Requires n >= 2, m >= 1, at
/// least 2 distinct rows and finite values (InputError naming the row otherwise). Points of any finite magnitude
/// work (a power-of-two scale keeps the squared distances in range; entropy_estimate.hpp).
KlEntropyResult kl_entropy(const double* points,  // [n, m], row-major
                           std::size_t n, std::size_t m);

/// kl_entropy(points, n, m).entropy: H_hat in nats.
double kl_entropy_euclidean(const double* points,  // [n, m], row-major
                            std::size_t n, std::size_t m);

struct SphericalEntropyOptions {
  /// false (the paper's convention): angles of the coordinates as given. true: first apply the fixed
  /// reflection that moves the samples' mean direction onto e_{d-1}, away from the poles and the cut of the
  /// last angle (spherical_coords.hpp). Entropy is rotation-invariant, so both are valid; they differ where a
  /// concentrated cloud straddles the singular set (decisive at d = 3, negligible for large d).
  bool rotate_mean_off_singularities = false;
  /// Fill the per-sample vectors of the result.
  bool keep_per_sample = false;
};

struct SphericalEntropyResult {
  std::size_t n = 0;           // rows given
  std::size_t n_distinct = 0;  // rows used by the estimate (N)
  std::size_t dim = 0;         // d
  std::size_t m = 0;           // d - 1 angles
  double angle_entropy = 0.0;      // H_hat(phi), nats
  double mean_log_jacobian = 0.0;  // E[log J] over the used rows, nats
  double spherical_entropy = 0.0;  // S(rho_w_hat) = H_hat(phi) + E[log J], nats
  double mean_radius = 0.0;        // r_bar over all rows
  double log_radius_term = 0.0;    // (d-1) log r_bar, nats
  double total_entropy = 0.0;      // spherical_entropy + log_radius_term, nats
  long long duplicates = 0;        // rows dropped as duplicates of an earlier row (in angle space)
  double adjacent_nn_fraction = 0.0;  // share of used rows whose nearest neighbour is the previous/next row
  bool rotated = false;               // whether the regularising reflection was applied
  // Per-sample values, filled only with keep_per_sample:
  std::vector<double> radius;        // [n]
  std::vector<double> log_jacobian;  // [n], nats
  std::vector<std::size_t> nn_index;  // [n], see KlEntropyResult
  std::vector<double> nn_dist_sq;     // [n], squared distance in angle space (radians^2)
};

/// Spherical KL entropy of n samples in R^dim (rows = samples). Requires dim >= 2, n >= 2 with at least 2
/// distinct directions, finite values, and no row on the coordinate singular set (a zero row, or one whose
/// trailing coordinates x_k..x_d vanish for some k <= d-1): InputError naming the row otherwise. Rows of any
/// finite magnitude work (spherical_coords.hpp scales them by a power of two).
SphericalEntropyResult spherical_entropy(const double* samples,  // [n, dim], row-major
                                         std::size_t n, std::size_t dim,
                                         const SphericalEntropyOptions& options = {});

}  // namespace idealgas
