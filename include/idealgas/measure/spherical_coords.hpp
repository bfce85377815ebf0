// Hyperspherical coordinates of x in R^d (docs/theory.md §5): radius r = R_1, angles phi_1..phi_{d-1} in radians,
// and the log of the surface Jacobian on the unit sphere, log J = sum_{k=1}^{d-2} (d-1-k) log sin phi_k (nats).
// Indices are 1-based in comments (as in docs/theory.md) and 0-based in code: phi_k is angles[k-1], x_k is x[k-1].
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace idealgas {

/// Radius and log-Jacobian of one point; its angles go to a caller-provided buffer.
struct SphericalPoint {
  double radius = 0.0;        // R_1 = ||x||
  double log_jacobian = 0.0;  // log J, nats; -inf when x lies on the singular set (some R_k = 0, k <= d-1)
};

/// Rows are scaled by a power of two (exactly) before their tail sums of squares are formed when the largest |x_k|
/// lies outside [2^-kRowScaleSafeExponent, 2^kRowScaleSafeExponent]: there the squares could overflow (rows of
/// 1e300) or underflow (rows of 1e-200) and valid rows would look singular or zero. Inside that range nothing is
/// scaled, so the bits are those of the plain formulas; the sums of d squares stay finite for any d < 2^500.
constexpr int kRowScaleSafeExponent = 256;
/// The exponent e such that the row is used as x * 2^e: 0 inside the safe range (and for 0 or a non-finite max),
/// else the one that brings max |x_k| into [1, 2).
int row_scale_exponent(double max_abs);
/// max_k |x_k| of a row.
double max_abs(const double* x,  // [dim]
               std::size_t dim);

/// Angles of x: tail norms R_k = sqrt(sum_{j>=k} x_j^2) accumulated in double from the end;
/// phi_k = atan2(R_{k+1}, x_k) in [0, pi] for k = 1..d-2; phi_{d-1} = atan2(x_d, x_{d-1}) in (-pi, pi].
/// log J by the telescoped form sum_{k=2}^{d-1} log R_k - (d-2) log R_1 (sin phi_k = R_{k+1}/R_k):
/// no trigonometry, no clipping. The row is first scaled by 2^row_scale_exponent(max_abs(x)) (the radius is that
/// of x as given; it is +inf only when |x| itself exceeds the largest double). Uses no memory beyond `angles`
/// (which holds the tail norms meanwhile) except for scaled rows. Requires dim >= 2 (asserted; callers check it
/// at their API boundary).
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

  /// out = H x = x - s v with s = coefficient(x). `out` may alias `x`.
  void apply(const double* x,  // [dim]
             double* out) const;  // [dim]
  /// s = 2 (v . x) / |v|^2 of one row (0 for the identity), so that H x = x - s v.
  double coefficient(const double* x) const;  // [dim]
  /// Columns [c0, c0 + w) of H x for a row with coefficient s, in place: x_block[c] -= s v[c0 + c] (the same
  /// operations as apply(), for rows read in column blocks).
  void apply_block(double s, std::size_t c0, double* x_block,  // [w]
                   std::size_t w) const;

 private:
  std::size_t dim_;
  std::vector<double> v_;   // m - e_{d-1}; empty for the identity
  double two_over_norm_sq_ = 0.0;
};

/// The sum of the unit directions x_i/|x_i| of rows added one at a time (in order, in double), for rows read one
/// by one; mean_direction() is this over a matrix. |x_i| is formed from the row scaled by a power of two when the
/// plain sum of squares leaves the normal range, so rows of 1e300 or 1e-200 have their direction.
class MeanDirectionSum {
 public:
  explicit MeanDirectionSum(std::size_t dim) : sum_(dim, 0.0) {}
  /// Adds x/|x|. Throws InputError "<who>: row <row> is zero ..." when every coordinate is 0.
  void add(const double* x,  // [dim]
           std::size_t row, const std::string& who);
  /// The normalised sum; empty when the sum is exactly zero (no preferred direction: nothing to move).
  std::vector<double> direction() const;

 private:
  std::vector<double> sum_;  // [dim]
};

/// Normalised mean of the unit directions x_i/|x_i| of the rows (MeanDirectionSum). Throws InputError if a row is
/// zero, and returns an empty vector if the mean direction is exactly zero.
std::vector<double> mean_direction(const double* samples,  // [n, dim], row-major
                                   std::size_t n, std::size_t dim);

}  // namespace idealgas
