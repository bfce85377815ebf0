// Private helpers of the vectorised kernels (angle_math.cpp, exact_distance.cpp): a 4-lane double vector in
// GCC's vector extensions. Without AVX the compiler splits it into two SSE2 halves; inside functions compiled
// with target("avx2") it is one register. Lane arithmetic is plain IEEE (no FMA is ever enabled, so nothing is
// contracted), hence the same bits on both paths and in the scalar tails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// The helpers below are always inlined, so no vector ever crosses a call between SSE2 and AVX2 code; GCC's note
// that a 32-byte vector argument would change the ABI without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace idealgas::simd {

typedef double v4d __attribute__((vector_size(32)));
typedef std::int64_t v4l __attribute__((vector_size(32)));

inline __attribute__((always_inline)) v4d load4(const double* p) {
  v4d v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline __attribute__((always_inline)) void store4(double* p, v4d v) { std::memcpy(p, &v, sizeof v); }
inline __attribute__((always_inline)) v4d splat(double x) { return v4d{x, x, x, x}; }

/// True when the CPU runs AVX2 (cpuid, asked once per process in simd4.cpp). Each kernel family asks it at one
/// place: atan2_of_sqrt (angle_math.cpp), dist_sq_exact's lanes (exact_distance.cpp) and spherical_row_block
/// (spherical_stream.cpp, which then calls the matching build of the atan2 kernel below directly).
bool cpu_has_avx2();

/// The two builds of atan2_of_sqrt (angle_math.hpp), for kernels that have already dispatched.
void atan2_of_sqrt_sse2(const double* s, const double* x, double* out, std::size_t n);
void atan2_of_sqrt_avx2(const double* s, const double* x, double* out, std::size_t n);

}  // namespace idealgas::simd
