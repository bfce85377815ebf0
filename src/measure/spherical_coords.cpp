#include "idealgas/measure/spherical_coords.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

// When |m - e_{d-1}|^2 is below this, m is e_{d-1} to ~1e-10 in angle; the target is regular, so rotating
// further changes nothing (and skipping avoids dividing by a vanishing |v|^2).
constexpr double kIdentityReflectionNormSq = 1e-20;

}  // namespace

SphericalPoint to_spherical(const double* x, std::size_t dim, double* angles) {
  IDEALGAS_ASSERT(dim >= 2, "to_spherical needs dim >= 2");
  const std::size_t d = dim;
  // Backward pass: t = R_{i+1}^2 = sum_{j >= i} x[j]^2 (0-based i). For i = d-2..1, R_{i+1} is the numerator
  // of phi_i (1-based), stored in angles[i-1] until the forward pass turns it into the angle.
  double t = x[d - 1] * x[d - 1];
  double sum_log_tail = 0.0;  // sum_{k=2}^{d-1} log R_k
  for (std::size_t i = d - 2; i >= 1; --i) {
    t += x[i] * x[i];
    angles[i - 1] = t;
    sum_log_tail += 0.5 * std::log(t);
  }
  t += x[0] * x[0];
  const double r = std::sqrt(t);
  for (std::size_t k = 0; k + 2 < d; ++k) angles[k] = std::atan2(std::sqrt(angles[k]), x[k]);
  angles[d - 2] = std::atan2(x[d - 1], x[d - 2]);
  SphericalPoint p;
  p.radius = r;
  // d = 2: the empty sum; written out so that r = 0 gives 0 there rather than 0 * log 0 = NaN.
  p.log_jacobian = d == 2 ? 0.0 : sum_log_tail - static_cast<double>(d - 2) * 0.5 * std::log(t);
  return p;
}

RegularisingReflection::RegularisingReflection(const double* m, std::size_t dim) : dim_(dim) {
  require_dimension("dimension of the reflection", static_cast<long long>(dim));
  double norm_sq = 0.0;
  for (std::size_t i = 0; i < dim; ++i) norm_sq += m[i] * m[i];
  if (!(std::isfinite(norm_sq) && norm_sq > 0.0))
    throw InputError(fmt::format("the direction to move onto e_(d-1) must be non-zero and finite, got |m|^2 = {}",
                                 norm_sq));
  const double inv_norm = 1.0 / std::sqrt(norm_sq);
  std::vector<double> v(dim);
  double v_norm_sq = 0.0;
  for (std::size_t i = 0; i < dim; ++i) {
    v[i] = m[i] * inv_norm - (i == regular_target_index(dim) ? 1.0 : 0.0);
    v_norm_sq += v[i] * v[i];
  }
  if (v_norm_sq < kIdentityReflectionNormSq) return;
  v_ = std::move(v);
  two_over_norm_sq_ = 2.0 / v_norm_sq;
}

void RegularisingReflection::apply(const double* x, double* out) const {
  if (v_.empty()) {
    if (out != x)
      for (std::size_t i = 0; i < dim_; ++i) out[i] = x[i];
    return;
  }
  double dot = 0.0;
  for (std::size_t i = 0; i < dim_; ++i) dot += v_[i] * x[i];
  const double s = two_over_norm_sq_ * dot;
  for (std::size_t i = 0; i < dim_; ++i) out[i] = x[i] - s * v_[i];
}

std::vector<double> mean_direction(const double* samples, std::size_t n, std::size_t dim) {
  std::vector<double> mean(dim, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = samples + i * dim;
    double norm_sq = 0.0;
    for (std::size_t k = 0; k < dim; ++k) norm_sq += x[k] * x[k];
    if (!(norm_sq > 0.0))
      throw InputError(fmt::format("row {} has zero norm: its direction on the sphere is undefined", i));
    const double inv = 1.0 / std::sqrt(norm_sq);
    for (std::size_t k = 0; k < dim; ++k) mean[k] += x[k] * inv;
  }
  double norm_sq = 0.0;
  for (double v : mean) norm_sq += v * v;
  if (!(norm_sq > 0.0)) return {};
  const double inv = 1.0 / std::sqrt(norm_sq);
  for (double& v : mean) v *= inv;
  return mean;
}

}  // namespace idealgas
