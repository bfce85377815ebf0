// atan2 in double for the hyperspherical angles (radians), vectorised: fdlibm's atan polynomial (s_atan.c,
// e_atan2.c) after a branch-free reduction to |z| <= tan(pi/8) (swap |x|, |y|; fold at pi/8; one division), so
// that 4 lanes run at once (SSE2, or AVX2 when the CPU has it). Every lane and the scalar form perform the same
// IEEE operations in the same order, so the result is bitwise the same on every path. Accuracy against glibc's
// correctly rounded atan2: within 2 ulp (tests/measure/test_angle_math.cpp).
#pragma once

#include <cstddef>

namespace idealgas {

/// atan2(y, x) in (-pi, pi], same conventions as std::atan2 for signed zeros (atan2(+-0, +0) = +-0,
/// atan2(+-0, -0) = +-pi, atan2(y != 0, +-0) = +-pi/2). Inputs must not be NaN or infinite (callers check
/// finiteness at their API boundary; the result is then unspecified).
double atan2_accurate(double y, double x);

/// out[i] = atan2_accurate(sqrt(s[i]), x[i]) for i < n: the angles phi_k = atan2(R_{k+1}, x_k) from the squared
/// tail norms. Requires s[i] >= 0. `out` may alias `s` or `x`.
void atan2_of_sqrt(const double* s,  // [n], squared tail norms
                   const double* x,  // [n]
                   double* out,      // [n], radians in [0, pi]
                   std::size_t n);

}  // namespace idealgas
