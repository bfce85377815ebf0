#include "idealgas/measure/spherical_entropy.hpp"

#include <utility>

#include "entropy_finish.hpp"
#include "idealgas/measure/entropy_estimate.hpp"

namespace idealgas {

KlEntropyResult kl_entropy(const double* points, std::size_t n, std::size_t m) {
  EntropyOptions o;
  o.euclidean = true;
  o.naive = true;
  o.keep_per_sample = true;
  EntropyEstimate e = estimate_entropy_named("kl_entropy", points, n, m, o);
  KlEntropyResult r;
  r.entropy = e.total_entropy;
  r.n = e.n;
  r.n_distinct = e.n_distinct;
  r.duplicates = e.duplicates;
  r.adjacent_nn_fraction = e.adjacent_nn_fraction;
  r.nn_index = std::move(e.nn_index);
  r.nn_dist_sq = std::move(e.nn_dist_sq);
  return r;
}

double kl_entropy_euclidean(const double* points, std::size_t n, std::size_t m) {
  return kl_entropy(points, n, m).entropy;
}

SphericalEntropyResult spherical_entropy(const double* samples, std::size_t n, std::size_t dim,
                                         const SphericalEntropyOptions& options) {
  EntropyOptions o;
  o.rotate = options.rotate_mean_off_singularities;
  o.naive = true;
  o.keep_per_sample = options.keep_per_sample;
  EntropyEstimate e = estimate_entropy_named("spherical_entropy", samples, n, dim, o);
  SphericalEntropyResult res;
  res.n = e.n;
  res.n_distinct = e.n_distinct;
  res.dim = e.dim;
  res.m = e.m;
  res.angle_entropy = e.angle_entropy;
  res.mean_log_jacobian = e.mean_log_jacobian;
  res.spherical_entropy = e.spherical_entropy;
  res.mean_radius = e.mean_radius;
  res.log_radius_term = e.log_radius_term;
  res.total_entropy = e.total_entropy;
  res.duplicates = e.duplicates;
  res.adjacent_nn_fraction = e.adjacent_nn_fraction;
  res.rotated = e.rotated;
  if (options.keep_per_sample) {
    res.radius = std::move(e.radius);
    res.log_jacobian = std::move(e.log_jacobian);
    res.nn_index = std::move(e.nn_index);
    res.nn_dist_sq = std::move(e.nn_dist_sq);
  }
  return res;
}

}  // namespace idealgas
