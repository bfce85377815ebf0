// The squared Euclidean distance |a - b|^2 in double exactly as the reference neighbour search computes it
// (spherical_entropy.cpp): for m <= 4 one running sum in index order; for m > 4 four partial sums s_{k mod 4} over
// the first 4 floor(m/4) coordinates, combined as (s0 + s1) + (s2 + s3), then the last m mod 4 terms in order.
// The four partial sums are the four lanes of one SIMD register, so the vectorised form gives the same bits.
// Every fast path recomputes its chosen neighbours with this function: their distances are the reference's.
#pragma once

#include <cstddef>

namespace idealgas {

/// |a - b|^2 (squared distance, units of the coordinates squared), reference summation order.
double dist_sq_exact(const double* a,  // [m]
                     const double* b,  // [m]
                     std::size_t m);

/// The same sum accumulated over column blocks [c0, c1) visited in increasing order (out-of-core data): after
/// the blocks cover [0, m), value() equals dist_sq_exact(a, b, m) bit for bit. Blocks must start at a multiple
/// of 4 (the lanes stay aligned); only the last block may end at m not a multiple of 4.
class DistSqAccumulator {
 public:
  explicit DistSqAccumulator(std::size_t m = 0) : m_(m) {}
  void add_block(const double* a_block,  // [c1 - c0]: coordinates c0..c1-1 of a
                 const double* b_block,  // [c1 - c0]
                 std::size_t c0, std::size_t c1);
  double value() const;

 private:
  std::size_t m_;
  double lane_[4] = {0.0, 0.0, 0.0, 0.0};  // m > 4: s0..s3; m <= 4: lane_[0] is the running sum
  double tail_[3] = {0.0, 0.0, 0.0};       // m > 4: squared differences of the last m mod 4 coordinates
};

}  // namespace idealgas
