#include "idealgas/measure/exact_distance.hpp"

#include "idealgas/core/error.hpp"
#include "simd4.hpp"

namespace idealgas {
namespace {

using simd::v4d;

// Adds the squared differences of coordinates [0, n4), n4 a multiple of 4, to the four partial sums s[0..3]
// (lane k mod 4). The sums pass through memory, not as a vector argument, so the SSE2 and AVX2 versions share
// one calling convention.
inline __attribute__((always_inline)) void lanes_body(const double* a, const double* b, std::size_t n4, double* s) {
  v4d acc = simd::load4(s);
  for (std::size_t k = 0; k < n4; k += 4) {
    const v4d t = simd::load4(a + k) - simd::load4(b + k);
    acc += t * t;
  }
  simd::store4(s, acc);
}
void lanes_sse2(const double* a, const double* b, std::size_t n4, double* s) { lanes_body(a, b, n4, s); }
__attribute__((target("avx2"))) void lanes_avx2(const double* a, const double* b, std::size_t n4, double* s) {
  lanes_body(a, b, n4, s);
}
inline void lanes(const double* a, const double* b, std::size_t n4, double* s) {
  if (simd::cpu_has_avx2())
    lanes_avx2(a, b, n4, s);
  else
    lanes_sse2(a, b, n4, s);
}

}  // namespace

double dist_sq_exact(const double* a, const double* b, std::size_t m) {
  if (m <= 4) {
    double s = 0.0;
    for (std::size_t k = 0; k < m; ++k) {
      const double t = a[k] - b[k];
      s += t * t;
    }
    return s;
  }
  const std::size_t m4 = m & ~std::size_t{3};
  double s4[4] = {0.0, 0.0, 0.0, 0.0};
  lanes(a, b, m4, s4);
  double s = (s4[0] + s4[1]) + (s4[2] + s4[3]);
  for (std::size_t k = m4; k < m; ++k) {
    const double t = a[k] - b[k];
    s += t * t;
  }
  return s;
}

void DistSqAccumulator::add_block(const double* a, const double* b, std::size_t c0, std::size_t c1) {
  IDEALGAS_ASSERT(c0 <= c1 && c1 <= m_, "distance block outside [0, m)");
  if (m_ <= 4) {
    for (std::size_t k = c0; k < c1; ++k) {
      const double t = a[k - c0] - b[k - c0];
      lane_[0] += t * t;
    }
    return;
  }
  IDEALGAS_ASSERT(c0 % 4 == 0 && (c1 % 4 == 0 || c1 == m_),
                  "distance blocks must start at a multiple of 4 and end at one or at m");
  const std::size_t m4 = m_ & ~std::size_t{3};
  const std::size_t body_end = c1 < m4 ? c1 : m4;
  if (body_end > c0) lanes(a, b, body_end - c0, lane_);
  for (std::size_t k = body_end > c0 ? body_end : c0; k < c1; ++k) {
    const double t = a[k - c0] - b[k - c0];
    tail_[k - m4] = t * t;
  }
}

double DistSqAccumulator::value() const {
  if (m_ <= 4) return lane_[0];
  double s = (lane_[0] + lane_[1]) + (lane_[2] + lane_[3]);
  for (std::size_t k = 0; k < m_ % 4; ++k) s += tail_[k];
  return s;
}

}  // namespace idealgas
