#include "idealgas/measure/spherical_stream.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/angle_math.hpp"
#include "simd4.hpp"

namespace idealgas {
namespace {

using simd::v4d;
using simd::v4l;

constexpr std::uint64_t kExponentMask = 0x7ff0000000000000ULL;
constexpr std::uint64_t kMantissaMask = 0x000fffffffffffffULL;
constexpr std::uint64_t kOneExponent = 0x3ff0000000000000ULL;  // the exponent field of 1.0
constexpr long long kExponentBias = 1023;
constexpr double kLn2 = 0.693147180559945309417232121458176568;
static_assert(kLogRenormalisePeriod % 4 == 0, "renormalisation points must fall on lane groups");

inline std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline double double_of(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// log of one tail sum t (column i) into lane i mod 4: a normal t as mantissa (product) and exponent (integer
// sum); 0, subnormal and infinite t by std::log (the singular set and overflow; never met by network weights).
inline void add_log_scalar(double t, std::size_t i, SphericalRowState& st) {
  const std::uint64_t b = bits_of(t);
  const std::uint64_t e = b & kExponentMask;
  if (e == 0 || e == kExponentMask) {
    st.log_special += std::log(t);
    return;
  }
  st.exponent_sum += static_cast<long long>(e >> 52) - kExponentBias;
  st.mantissa_product[i % 4] *= double_of((b & kMantissaMask) | kOneExponent);
}

inline void renormalise(SphericalRowState& st) {
  for (double& p : st.mantissa_product) {
    const std::uint64_t b = bits_of(p);
    st.exponent_sum += static_cast<long long>((b & kExponentMask) >> 52) - kExponentBias;
    p = double_of((b & kMantissaMask) | kOneExponent);
  }
}

// Columns i in [lo, hi), right to left, whose tail sums S_i sit at s[i - lo] (the lanes stay tied to i mod 4, and
// renormalisations happen after the columns i = 0 mod kLogRenormalisePeriod, whatever the blocking). Groups of
// four aligned columns go through one vector; the group's special values (rare) take the scalar path in order.
template <bool kAvx2>
inline __attribute__((always_inline)) void add_logs_body(const double* s, std::size_t lo, std::size_t hi,
                                                         SphericalRowState& st) {
  std::size_t i = hi;
  // Scalar head down to a multiple of 4.
  while (i > lo && i % 4 != 0) {
    --i;
    add_log_scalar(s[i - lo], i, st);
    if (i % kLogRenormalisePeriod == 0) renormalise(st);
  }
  v4d prod = simd::load4(st.mantissa_product);
  v4l exps = v4l{0, 0, 0, 0};
  const v4l exp_mask = v4l{} + static_cast<std::int64_t>(kExponentMask);
  while (i >= lo + 4) {
    i -= 4;
    const v4d t = simd::load4(s + (i - lo));
    const v4l b = (v4l)t;
    const v4l e = b & exp_mask;
    const v4l special = (e == 0) | (e == exp_mask);
    if (special[0] | special[1] | special[2] | special[3]) {
      simd::store4(st.mantissa_product, prod);
      for (std::size_t q = 4; q-- > 0;) add_log_scalar(s[i + q - lo], i + q, st);
      prod = simd::load4(st.mantissa_product);
    } else {
      exps += (e >> 52) - kExponentBias;
      prod *= (v4d)((b & static_cast<std::int64_t>(kMantissaMask)) | static_cast<std::int64_t>(kOneExponent));
    }
    if (i % kLogRenormalisePeriod == 0) {
      simd::store4(st.mantissa_product, prod);
      renormalise(st);
      prod = simd::load4(st.mantissa_product);
    }
  }
  simd::store4(st.mantissa_product, prod);
  st.exponent_sum += exps[0] + exps[1] + exps[2] + exps[3];
  // Scalar tail.
  while (i > lo) {
    --i;
    add_log_scalar(s[i - lo], i, st);
    if (i % kLogRenormalisePeriod == 0) renormalise(st);
  }
}

// One block of a row (spherical_row_block's contract), built twice: for SSE2 and for AVX2 (one dispatch per block).
template <bool kAvx2>
inline __attribute__((always_inline)) void row_block_body(const double* x, std::size_t c0, std::size_t c1,
                                                          SphericalRowState& st, double* angles) {
  const std::size_t d = st.dim;
  const double t_entry = st.tail_sq;  // S_{c1} = sum_{j >= c1} x_j^2
  double t = t_entry;
  std::size_t i = c1;
  if (i == d) {  // the last column starts the sums
    --i;
    st.last_x = x[i - c0];
    t = x[i - c0] * x[i - c0];
  }
  // Tail sums S_i = sum_{j >= i} x_j^2 for i = d-2 .. 1 (the serial chain), stored at angles[i - c0].
  const std::size_t lo = c0 > 1 ? c0 : 1;
  for (; i > lo;) {
    --i;
    t += x[i - c0] * x[i - c0];
    angles[i - c0] = t;
  }
  if (c0 == 0) t += x[0] * x[0];  // S_0 = r^2
  // log J: the tail sums S_i, i in [lo, min(c1, d-1)).
  const std::size_t hi = c1 < d - 1 ? c1 : d - 1;
  if (hi > lo) add_logs_body<kAvx2>(angles + (lo - c0), lo, hi, st);
  // Angles phi_k = atan2(R_{k+1}, x_k) (1-based R), k in [c0, min(c1, d-2)): numerator S_{k+1} is stored one
  // place to the right (in place, left to right), or is the entering tail sum for k = c1 - 1.
  const std::size_t k_end = c1 + 2 <= d ? c1 : d - 2;
  if (k_end > c0) {
    const bool last_from_entry = k_end == c1;
    const std::size_t n_shift = k_end - c0 - (last_from_entry ? 1 : 0);
    if constexpr (kAvx2)
      simd::atan2_of_sqrt_avx2(angles + 1, x, angles, n_shift);
    else
      simd::atan2_of_sqrt_sse2(angles + 1, x, angles, n_shift);
    if (last_from_entry) angles[c1 - 1 - c0] = atan2_accurate(std::sqrt(t_entry), x[c1 - 1 - c0]);
  }
  if (c0 <= d - 2 && d - 2 < c1) angles[d - 2 - c0] = atan2_accurate(st.last_x, x[d - 2 - c0]);
  st.tail_sq = t;
  st.next = c0;
}

void row_block_sse2(const double* x, std::size_t c0, std::size_t c1, SphericalRowState& st, double* angles) {
  row_block_body<false>(x, c0, c1, st, angles);
}
__attribute__((target("avx2"))) void row_block_avx2(const double* x, std::size_t c0, std::size_t c1,
                                                    SphericalRowState& st, double* angles) {
  row_block_body<true>(x, c0, c1, st, angles);
}

}  // namespace

SphericalRowState spherical_row_begin(std::size_t dim, int scale_exponent) {
  IDEALGAS_ASSERT(dim >= 2, "spherical coordinates need dim >= 2");
  SphericalRowState st;
  st.dim = dim;
  st.next = dim;
  st.scale_exponent = scale_exponent;
  return st;
}

void spherical_row_block(const double* x, std::size_t c0, std::size_t c1, SphericalRowState& st, double* angles) {
  IDEALGAS_ASSERT(c1 == st.next && c0 <= c1, "spherical blocks must be consumed right to left");
  if (c0 == c1) return;
  if (st.scale_exponent != 0) {  // rare (rows outside the safe range): the block scaled exactly by a power of two
    thread_local std::vector<double> scaled;
    scaled.resize(c1 - c0);
    for (std::size_t c = 0; c < c1 - c0; ++c) scaled[c] = std::ldexp(x[c], st.scale_exponent);
    x = scaled.data();
  }
  if (simd::cpu_has_avx2())  // the dispatch point of the coordinate kernels
    row_block_avx2(x, c0, c1, st, angles);
  else
    row_block_sse2(x, c0, c1, st, angles);
}

SphericalPoint spherical_row_finish(const SphericalRowState& st) {
  IDEALGAS_ASSERT(st.next == 0, "spherical_row_finish before every column was consumed");
  const std::size_t d = st.dim;
  const double t = st.tail_sq;
  SphericalPoint p;
  p.radius = std::ldexp(std::sqrt(t), -st.scale_exponent);
  // sum_{k=2}^{d-1} log R_k = (1/2) sum_i log S_i.
  const double log_products =
      ((std::log(st.mantissa_product[0]) + std::log(st.mantissa_product[1])) + std::log(st.mantissa_product[2])) +
      std::log(st.mantissa_product[3]);
  const double sum_log_tail = 0.5 * ((log_products + static_cast<double>(st.exponent_sum) * kLn2) + st.log_special);
  // d = 2: the empty sum; written out so that r = 0 gives 0 there rather than 0 * log 0 = NaN.
  p.log_jacobian = d == 2 ? 0.0 : sum_log_tail - static_cast<double>(d - 2) * 0.5 * std::log(t);
  return p;
}

}  // namespace idealgas
