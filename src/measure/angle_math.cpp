#include "idealgas/measure/angle_math.hpp"

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "simd4.hpp"

namespace idealgas {
namespace {

using simd::v4d;
using simd::v4l;

// fdlibm s_atan.c's odd polynomial of degree 23, accurate for |z| <= 7/16, and the constants of e_atan2.c
// (pi, pi/2, pi/4 as hi + lo).
constexpr double kAT[11] = {3.33333333333329318027e-01,  -1.99999999998764832476e-01, 1.42857142725034663711e-01,
                            -1.11111104054623557880e-01, 9.09088713343650656196e-02,  -7.69187620504482999495e-02,
                            6.66107313738753120669e-02,  -5.83357013379057348645e-02, 4.97687799461593236017e-02,
                            -3.65315727442169155270e-02, 1.62858201153657823623e-02};
constexpr double kPi = 3.1415926535897931160E+00, kPiLo = 1.2246467991473531772E-16;
constexpr double kPiOver2 = 1.57079632679489655800e+00, kPiOver2Lo = 6.12323399573676603587e-17;
constexpr double kPiOver4 = 7.85398163397448278999e-01, kPiOver4Lo = 3.06161699786838301793e-17;
// tan(pi/8): above it a/b is folded to (a - b)/(a + b), which keeps |z| <= tan(pi/8) < 7/16.
constexpr double kTanPiOver8 = 0.41421356237309503;

// One generic body for a scalar (T = double, mask = bool) and a vector (T = v4d, mask = v4l) lane type.
// The selects replace fdlibm's branches; every lane does the same operations as the scalar call.
template <class T, class M>
struct Ops;
template <>
struct Ops<double, bool> {
  static double sel(bool c, double a, double b) { return c ? a : b; }
  static double fabs(double x) { return std::fabs(x); }
  static bool signbit(double x) { return std::signbit(x); }
  static double copysign(double m, double s) { return std::copysign(m, s); }
  static double splat(double x) { return x; }
  static double min(double a, double b) { return a < b ? a : b; }
  static double max(double a, double b) { return a < b ? b : a; }
};
#define IDEALGAS_INLINE inline __attribute__((always_inline))
template <>
struct Ops<v4d, v4l> {
  static IDEALGAS_INLINE v4d sel(v4l c, v4d a, v4d b) { return c ? a : b; }
  static IDEALGAS_INLINE v4d fabs(v4d x) { return (v4d)((v4l)x & INT64_MAX); }
  static IDEALGAS_INLINE v4l signbit(v4d x) { return (v4l)x < 0; }
  static IDEALGAS_INLINE v4d copysign(v4d m, v4d s) { return (v4d)(((v4l)m & INT64_MAX) | ((v4l)s & INT64_MIN)); }
  // vector + scalar broadcasts; with a constant argument GCC folds it into one constant-pool load.
  static IDEALGAS_INLINE v4d splat(double x) { return v4d{} + x; }
  static IDEALGAS_INLINE v4d min(v4d a, v4d b) { return a < b ? a : b; }
  static IDEALGAS_INLINE v4d max(v4d a, v4d b) { return a < b ? b : a; }
};

template <class T, class M>
inline __attribute__((always_inline)) T atan2_body(T y, T x) {
  using O = Ops<T, M>;
  const T ay = O::fabs(y), ax = O::fabs(x), zero = O::splat(0.0);
  // atan(t), t = |y/x|: with a = min(|x|, |y|), b = max, atan(a/b) in [0, pi/4] (pi/2 - that when |y| > |x|), and
  // a/b > tan(pi/8) folded to pi/4 + atan((a - b)/(a + b)). One division gives the reduced argument z.
  const M swap = ay > ax;
  const T a = O::min(ay, ax), b = O::max(ay, ax);
  const M fold = a > O::splat(kTanPiOver8) * b;
  const T z = O::sel(fold, a - b, a) / O::sel(fold, a + b, b);
  const T zz = z * z, w = zz * zz;
  const T s1 =
      zz * (O::splat(kAT[0]) +
            w * (O::splat(kAT[2]) +
                 w * (O::splat(kAT[4]) + w * (O::splat(kAT[6]) + w * (O::splat(kAT[8]) + w * O::splat(kAT[10]))))));
  const T s2 = w * (O::splat(kAT[1]) +
                    w * (O::splat(kAT[3]) + w * (O::splat(kAT[5]) + w * (O::splat(kAT[7]) + w * O::splat(kAT[9])))));
  // fdlibm: atanhi - ((z (s1 + s2) - atanlo) - z); without the fold (hi = lo = 0) this is z - z (s1 + s2) exactly.
  const T hi = O::sel(fold, O::splat(kPiOver4), zero), lo = O::sel(fold, O::splat(kPiOver4Lo), zero);
  T r = hi - ((z * (s1 + s2) - lo) - z);
  r = O::sel(swap, O::splat(kPiOver2) - (r - O::splat(kPiOver2Lo)), r);
  // y = 0 (z is 0/0 when x = 0 too): angle 0 before the sign of x is applied.
  r = O::sel(ay == zero, zero, r);
  // x < 0 (or x = -0): pi - r, with pi's low part (e_atan2.c).
  r = O::sel(O::signbit(x), O::splat(kPi) - (r - O::splat(kPiLo)), r);
  // x = +-0, y != 0: exactly pi/2 (fdlibm's special case; avoids an ulp from the -0 branch above).
  r = O::sel((ax == zero) & (ay != zero), O::splat(kPiOver2), r);
  return O::copysign(r, y);
}

inline double sqrt_scalar(double s) { return std::sqrt(s); }

}  // namespace

namespace simd {

void atan2_of_sqrt_sse2(const double* s, const double* x, double* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // SSE2 (always present on x86-64) square roots, two lanes at a time.
    double r[4];
    _mm_storeu_pd(r, _mm_sqrt_pd(_mm_loadu_pd(s + i)));
    _mm_storeu_pd(r + 2, _mm_sqrt_pd(_mm_loadu_pd(s + i + 2)));
    simd::store4(out + i, atan2_body<v4d, v4l>(simd::load4(r), simd::load4(x + i)));
  }
  for (; i < n; ++i) out[i] = atan2_body<double, bool>(sqrt_scalar(s[i]), x[i]);
}

__attribute__((target("avx2"))) void atan2_of_sqrt_avx2(const double* s, const double* x, double* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d r = _mm256_sqrt_pd(_mm256_loadu_pd(s + i));
    v4d rv;
    std::memcpy(&rv, &r, sizeof rv);
    simd::store4(out + i, atan2_body<v4d, v4l>(rv, simd::load4(x + i)));
  }
  for (; i < n; ++i) out[i] = atan2_body<double, bool>(sqrt_scalar(s[i]), x[i]);
}

}  // namespace simd

double atan2_accurate(double y, double x) { return atan2_body<double, bool>(y, x); }

void atan2_of_sqrt(const double* s, const double* x, double* out, std::size_t n) {
  if (simd::cpu_has_avx2())  // the dispatch point of the atan2 kernels
    simd::atan2_of_sqrt_avx2(s, x, out, n);
  else
    simd::atan2_of_sqrt_sse2(s, x, out, n);
}

}  // namespace idealgas
