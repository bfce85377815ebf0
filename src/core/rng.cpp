#include "idealgas/core/rng.hpp"

#include <cmath>

namespace idealgas {

void uniform_unit_vector(std::uint64_t key, double* out, std::size_t n) {
  // A norm of exactly 0 has probability 0 but would divide by zero: redraw with the next counter.
  for (std::uint64_t counter = 0;; ++counter) {
    standard_normals(key, counter, out, n);
    double norm_sq = 0.0;
    for (std::size_t i = 0; i < n; ++i) norm_sq += out[i] * out[i];
    if (norm_sq > 0.0) {
      const double inv = 1.0 / std::sqrt(norm_sq);
      for (std::size_t i = 0; i < n; ++i) out[i] *= inv;
      return;
    }
  }
}

}  // namespace idealgas
