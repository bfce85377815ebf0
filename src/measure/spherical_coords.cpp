#include "idealgas/measure/spherical_coords.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/spherical_stream.hpp"

namespace idealgas {
namespace {

// When |m - e_{d-1}|^2 is below this, m is e_{d-1} to ~1e-10 in angle; the target is regular, so rotating
// further changes nothing (and skipping avoids dividing by a vanishing |v|^2).
constexpr double kIdentityReflectionNormSq = 1e-20;

}  // namespace

int row_scale_exponent(double max_abs) {
  if (!(max_abs > 0.0 && std::isfinite(max_abs))) return 0;
  const int e = std::ilogb(max_abs);
  if (e >= -kRowScaleSafeExponent && e < kRowScaleSafeExponent) return 0;
  return -e;
}

double max_abs(const double* x, std::size_t dim) {
  double m = 0.0;
  for (std::size_t k = 0; k < dim; ++k) m = std::max(m, std::fabs(x[k]));
  return m;
}

SphericalPoint to_spherical(const double* x, std::size_t dim, double* angles) {
  IDEALGAS_ASSERT(dim >= 2, "to_spherical needs dim >= 2");
  // One right-to-left block over the whole row: tail sums in double, angles by the vectorised fdlibm atan2
  // (angle_math.hpp), log J by the telescoped form through the mantissa product (spherical_stream.hpp).
  SphericalRowState state = spherical_row_begin(dim, row_scale_exponent(max_abs(x, dim)));
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

double RegularisingReflection::coefficient(const double* x) const {
  if (v_.empty()) return 0.0;
  double dot = 0.0;
  for (std::size_t i = 0; i < dim_; ++i) dot += v_[i] * x[i];
  return two_over_norm_sq_ * dot;
}

void RegularisingReflection::apply_block(double s, std::size_t c0, double* x, std::size_t w) const {
  if (v_.empty()) return;
  for (std::size_t c = 0; c < w; ++c) x[c] = x[c] - s * v_[c0 + c];
}

void RegularisingReflection::apply(const double* x, double* out) const {
  if (out != x)
    for (std::size_t i = 0; i < dim_; ++i) out[i] = x[i];
  apply_block(coefficient(x), 0, out, dim_);
}

void MeanDirectionSum::add(const double* x, std::size_t row, const std::string& who) {
  const std::size_t dim = sum_.size();
  double norm_sq = 0.0;
  for (std::size_t k = 0; k < dim; ++k) norm_sq += x[k] * x[k];
  if (norm_sq >= std::numeric_limits<double>::min() && norm_sq <= std::numeric_limits<double>::max()) {
    const double inv = 1.0 / std::sqrt(norm_sq);
    for (std::size_t k = 0; k < dim; ++k) sum_[k] += x[k] * inv;
    return;
  }
  // The squares overflowed or underflowed: the same with the row scaled by 2^e, max |x_k| 2^e in [1, 2).
  const double largest = max_abs(x, dim);
  if (!(largest > 0.0))
    throw InputError(fmt::format("{}{}row {} is zero (all {} coordinates are 0): its direction on the sphere is "
                                 "undefined",
                                 who, who.empty() ? "" : ": ", row, dim));
  const int e = -std::ilogb(largest);
  double scaled_sq = 0.0;
  for (std::size_t k = 0; k < dim; ++k) scaled_sq += std::ldexp(x[k], e) * std::ldexp(x[k], e);
  const double inv = 1.0 / std::sqrt(scaled_sq);
  for (std::size_t k = 0; k < dim; ++k) sum_[k] += std::ldexp(x[k], e) * inv;
}

std::vector<double> MeanDirectionSum::direction() const {
  double norm_sq = 0.0;
  for (double v : sum_) norm_sq += v * v;
  if (!(norm_sq > 0.0)) return {};
  const double inv = 1.0 / std::sqrt(norm_sq);
  std::vector<double> mean(sum_);
  for (double& v : mean) v *= inv;
  return mean;
}

std::vector<double> mean_direction(const double* samples, std::size_t n, std::size_t dim) {
  MeanDirectionSum sum(dim);
  for (std::size_t i = 0; i < n; ++i) sum.add(samples + i * dim, i, "");
  return sum.direction();
}

}  // namespace idealgas
