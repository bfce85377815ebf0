// Private to the measure/ sources: the Kozachenko-Leonenko estimate, its per-sample terms and standard errors
// from the neighbours of every row (entropy_estimate.hpp states the formulas). Shared by the batch estimator and
// the snapshot queue, so that both give the same bits for the same neighbours.
#pragma once

#include <string>
#include <vector>

#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/knn_exact.hpp"

namespace idealgas {

/// Fills the counts, entropies, diagnostics and standard errors of `e` (whose n, dim, m, k, euclidean are set).
/// radius and log_jacobian: [n] per row (spherical); empty for the Euclidean estimate.
void finish_entropy_estimate(const KnnResult& knn, const std::vector<double>& radius,
                             const std::vector<double>& log_jacobian, int se_batches, bool keep_per_sample,
                             const std::string& who, EntropyEstimate& e);

}  // namespace idealgas
