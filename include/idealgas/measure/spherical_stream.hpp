// Hyperspherical coordinates of one row (docs/theory.md §5) computed right to left in column blocks, for rows that are
// read from disk in pieces. The state carried between blocks (the tail sum in double, the log-Jacobian
// accumulator) makes any blocking give the same bits as one block over the whole row, which is how to_spherical()
// computes it. Units: radians for angles, nats for log J; indices 0-based (phi_k of docs/theory.md is angles[k-1]).
//
// log J = sum_{k=2}^{d-1} log R_k - (d-2) log R_1 (telescoped, no trigonometry). The sum of log R_k^2 over the
// d-2 tail sums is accumulated as four products of their mantissas (lane = column mod 4, SIMD; renormalised every
// kLogRenormalisePeriod columns, at fixed column positions) plus the sum of their binary exponents: one multiply
// per column instead of one log, and a relative error below (d-2) 2^-53 in the products, i.e. an absolute error
// below d 1.2e-16 nats. Only the tail sums themselves are a serial chain (one add per column).
// One SIMD dispatch per block: the SSE2 or the AVX2 build of the whole block kernel (tail sums, logs, angles).
#pragma once

#include <cstddef>

#include "idealgas/measure/spherical_coords.hpp"

namespace idealgas {

/// Columns between two renormalisations of the mantissa product: 512 mantissas in [1, 2) stay below 2^512.
constexpr std::size_t kLogRenormalisePeriod = 512;

/// State of one row between column blocks. Start with spherical_row_begin().
struct SphericalRowState {
  std::size_t dim = 0;
  int scale_exponent = 0;                             // the row is used as x * 2^scale_exponent (row_scale_exponent)
  std::size_t next = 0;                               // columns [next, dim) consumed
  double tail_sq = 0.0;                               // sum_{j >= next} x_j^2, accumulated in double from the end
  double last_x = 0.0;                                // x_{d-1}, needed by the last angle atan2(x_{d-1}, x_{d-2})
  double mantissa_product[4] = {1.0, 1.0, 1.0, 1.0};  // per lane (column mod 4): product of the mantissas of the
                                                      // tail sums since the last renormalisation
  long long exponent_sum = 0;  // sum of their binary exponents (and those moved out of the products)
  double log_special = 0.0;    // sum of log of tail sums that are 0, subnormal or infinite (rare; exact log)
};

/// Starts a row of `dim` columns whose values are used multiplied by 2^scale_exponent (exact; see
/// row_scale_exponent in spherical_coords.hpp, which to_spherical() applies from the row's largest |x_k|).
SphericalRowState spherical_row_begin(std::size_t dim, int scale_exponent = 0);

/// Consumes columns [c0, c1) of the row, c1 == state.next (blocks go right to left), and writes the angles
/// c0 .. min(c1, dim-1) - 1 to angles_block[0 ..]. Requires dim >= 2 (asserted).
void spherical_row_block(const double* x_block,  // [c1 - c0]: x_{c0} .. x_{c1-1}
                         std::size_t c0, std::size_t c1, SphericalRowState& state,
                         double* angles_block);  // [min(c1, dim-1) - c0], output

/// Radius (of the row as given: the scale is undone) and log J (scale-free) once every column is consumed
/// (state.next == 0).
SphericalPoint spherical_row_finish(const SphericalRowState& state);

}  // namespace idealgas
