// Hyperspherical coordinates of x in R^d (theory.md §5): radius r = R_1, angles phi_1..phi_{d-1} in radians,
// and the log of the surface Jacobian on the unit sphere, log J = sum_{k=1}^{d-2} (d-1-k) log sin phi_k (nats).
// Indices are 1-based in comments (as in theory.md) and 0-based in code: phi_k is angles[k-1], x_k is x[k-1].
#pragma once

#include <cstddef>
#include <vector>

namespace idealgas {

/// Radius and log-Jacobian of one point; its angles go to a caller-provided buffer.
struct SphericalPoint {
  double radius = 0.0;        // R_1 = ||x||
  double log_jacobian = 0.0;  // log J, nats; -inf when x lies on the singular set (some R_k = 0, k <= d-1)
};

/// Angles of x: tail norms R_k = sqrt(sum_{j>=k} x_j^2) accumulated in double from the end;
/// phi_k = atan2(R_{k+1}, x_k) in [0, pi] for k = 1..d-2; phi_{d-1} = atan2(x_d, x_{d-1}) in (-pi, pi].
/// log J by the telescoped form sum_{k=2}^{d-1} log R_k - (d-2) log R_1 (sin phi_k = R_{k+1}/R_k):
/// no trigonometry, no clipping. Uses no memory beyond `angles` (which holds the tail norms meanwhile).
/// Requires dim >= 2 (asserted; callers check it at their API boundary).
SphericalPoint to_spherical(const double* x,  // [dim]
                            std::size_t dim,
                            double* angles);  // [dim - 1], output

/// Coordinate index (0-based) of the regular target e_{d-1}: all angles pi/2 except the last, which is 0.
/// It is as far as a point can be from the poles (sin phi_k = 0) and from the cut of the last angle (+-pi).
constexpr std::size_t regular_target_index(std::size_t dim) { return dim - 2; }

/// The fixed Householder reflection H = I - 2 v v^T / |v|^2, v = m - e_{d-1}, that maps a unit direction m
/// onto the regular target e_{d-1}. H is orthogonal, so entropies are unchanged by applying it to every
/// sample; it moves a concentrated cloud centred at m away from the coordinate singular set.
class RegularisingReflection {
 public:
  /// m need not be normalised; it is scaled to unit length. Throws InputError if m is zero or not finite.
  RegularisingReflection(const double* m,  // [dim]
                         std::size_t dim);

  /// True when m is already (numerically) e_{d-1}, in which case apply() copies.
  bool is_identity() const { return v_.empty(); }
  std::size_t dim() const { return dim_; }

  /// out = H x. `out` may alias `x`.
  void apply(const double* x,  // [dim]
             double* out) const;  // [dim]

 private:
  std::size_t dim_;
  std::vector<double> v_;   // m - e_{d-1}; empty for the identity
  double two_over_norm_sq_ = 0.0;
};

/// Normalised mean of the unit directions x_i/|x_i| of the rows (summed in row order, in double). Throws
/// InputError if a row has zero norm, and returns an empty vector if the mean direction is exactly zero
/// (no preferred direction: nothing to move).
std::vector<double> mean_direction(const double* samples,  // [n, dim], row-major
                                   std::size_t n, std::size_t dim);

}  // namespace idealgas
