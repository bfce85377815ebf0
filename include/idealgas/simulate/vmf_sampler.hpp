// Exact samplers on the unit sphere S^{d-1} in R^d: von Mises-Fisher f(x) ∝ exp(kappa mu^T x) by Wood's (1994)
// rejection algorithm, and the uniform law (kappa = 0). Used by tests of the entropy estimator, whose reference
// values are the closed forms of docs/theory.md §4 (the stationary law of the isotropic model is VMF with mean -mu).
// Draws use Boost.Random distributions on std::mt19937_64, so a seed gives the same points on every platform.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace idealgas {

/// One draw of w = mu^T x under VMF(mu, kappa) on S^{dim-1}; density ∝ exp(kappa w) (1 - w^2)^{(dim-3)/2}.
/// Returns w and writes one_minus_w = 1 - w, computed without cancellation (for large kappa w is within
/// ~1/kappa of 1). Wood's envelope constant b is taken in the form (dim-1)/(2 kappa + sqrt(4 kappa^2 + (dim-1)^2)),
/// free of cancellation. Requires dim >= 2, kappa >= 0 finite (InputError otherwise).
double sample_vmf_cosine(std::size_t dim, double kappa, std::mt19937_64& rng, double& one_minus_w);

/// n draws from VMF(mean_direction, kappa) on S^{dim-1}, dim = mean_direction.size() >= 2; the mean direction
/// need not be normalised (InputError if it is zero or not finite; kappa >= 0 finite).
/// Returns [n, dim], row-major.
std::vector<double> sample_vmf(const std::vector<double>& mean_direction, double kappa, std::size_t n,
                               std::mt19937_64& rng);

/// n points uniform on S^{dim-1} (normalised Gaussian vectors). Returns [n, dim], row-major.
std::vector<double> sample_uniform_sphere(std::size_t dim, std::size_t n, std::mt19937_64& rng);

}  // namespace idealgas
