#include "idealgas/measure/spherical_coords.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/spherical_stream.hpp"

namespace idealgas {
namespace {

// When |m - e_{d-1}|^2 is below this, m is e_{d-1} to ~1e-10 in angle; the target is regular, so rotating
// further changes nothing (and skipping avoids dividing by a vanishing |v|^2).
constexpr double kIdentityReflectionNormSq = 1e-20;

}  // namespace

SphericalPoint to_spherical(const double* x, std::size_t dim, double* angles) {
  IDEALGAS_ASSERT(dim >= 2, "to_spherical needs dim >= 2");
  // One right-to-left block over the whole row: tail sums in double, angles by the vectorised fdlibm atan2
  // (angle_math.hpp), log J by the telescoped form through the mantissa product (spherical_stream.hpp).
  SphericalRowState state = spherical_row_begin(dim);
  spherical_row_block(x, 0, dim, state, angles);
  return spherical_row_finish(state);
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
