// Private to the measure/ sources: the Kozachenko-Leonenko estimate, its per-sample terms and standard errors
// from the neighbours of every row (entropy_estimate.hpp states the formulas; this is the project's one KL
// formula), shared by the batch estimator, the reference wrappers (spherical_entropy.hpp) and the snapshot queue,
// so that all give the same bits for the same neighbours.
#pragma once

#include <string>
#include <vector>

#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/knn_exact.hpp"

namespace idealgas {

/// Fills the counts, entropies, diagnostics and standard errors of `e` (whose n, dim, m, k, euclidean are set).
/// radius and log_jacobian: [n] per row (spherical); empty for the Euclidean estimate. Euclidean neighbours found
/// on the points scaled by 2^scale_exponent (entropy_estimate.cpp) are reported for the points as given.
void finish_entropy_estimate(const KnnResult& knn, const std::vector<double>& radius,
                             const std::vector<double>& log_jacobian, int se_batches, bool keep_per_sample,
                             const std::string& who, EntropyEstimate& e, int scale_exponent = 0);

/// estimate_entropy() whose error messages name the data `who` (the reference wrappers' own names).
EntropyEstimate estimate_entropy_named(const char* who, const double* samples,  // [n, dim], row-major
                                       std::size_t n, std::size_t dim, const EntropyOptions& options);

}  // namespace idealgas
