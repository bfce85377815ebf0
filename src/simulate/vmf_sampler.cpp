#include "idealgas/simulate/vmf_sampler.hpp"

#include <cmath>

#include <boost/random/gamma_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {
namespace {

void check_kappa(double kappa) {
  if (!(std::isfinite(kappa) && kappa >= 0.0))
    throw InputError(fmt::format("VMF concentration kappa must be finite and >= 0, got {}", kappa));
}

// A standard Gaussian vector, redrawn in the (probability ~0) event that it is exactly zero.
double gaussian_vector(std::mt19937_64& rng, double* out, std::size_t dim) {
  boost::random::normal_distribution<double> normal;
  for (;;) {
    double norm_sq = 0.0;
    for (std::size_t k = 0; k < dim; ++k) {
      out[k] = normal(rng);
      norm_sq += out[k] * out[k];
    }
    if (norm_sq > 0.0) return norm_sq;
  }
}

}  // namespace

double sample_vmf_cosine(std::size_t dim, double kappa, std::mt19937_64& rng, double& one_minus_w) {
  require_dimension("VMF dimension", static_cast<long long>(dim));
  check_kappa(kappa);
  // Wood (1994), "Simulation of the von Mises Fisher distribution", Commun. Statist. Simul. 23(1), 157-164,
  // rewritten so that 1 - w, 1 - x0 and the acceptance exponent carry no cancellation when kappa is large.
  const double dm1 = static_cast<double>(dim - 1);
  const double b = dm1 / (2.0 * kappa + std::sqrt(4.0 * kappa * kappa + dm1 * dm1));
  const double one_minus_x0 = 2.0 * b / (1.0 + b);
  const double x0 = 1.0 - one_minus_x0;
  const double log_one_minus_x0_sq = std::log(one_minus_x0) + std::log1p(x0);
  boost::random::gamma_distribution<double> gamma(0.5 * dm1);
  boost::random::uniform_01<double> uniform;
  for (;;) {
    // z ~ Beta((d-1)/2, (d-1)/2) from two gammas, which also gives 1 - z without cancellation.
    const double g1 = gamma(rng), g2 = gamma(rng);
    if (!(g1 + g2 > 0.0)) continue;
    const double z = g1 / (g1 + g2), one_minus_z = g2 / (g1 + g2);
    const double denom = one_minus_z + b * z;  // 1 - (1 - b) z
    const double omw = 2.0 * b * z / denom;    // 1 - w, w = (1 - (1 + b) z) / (1 - (1 - b) z)
    // Acceptance: kappa (w - x0) + (d-1) [log(1 - x0 w) - log(1 - x0^2)] >= log u.
    const double t = kappa * (one_minus_x0 - omw) + dm1 * (std::log(one_minus_x0 + x0 * omw) - log_one_minus_x0_sq);
    if (t >= std::log(uniform(rng))) {
      one_minus_w = omw;
      return 1.0 - omw;
    }
  }
}

std::vector<double> sample_vmf(const std::vector<double>& mean_direction, double kappa, std::size_t n,
                               std::mt19937_64& rng) {
  const std::size_t dim = mean_direction.size();
  require_dimension("VMF dimension (size of the mean direction)", static_cast<long long>(dim));
  check_kappa(kappa);
  double norm_sq = 0.0;
  for (double v : mean_direction) norm_sq += v * v;
  if (!(std::isfinite(norm_sq) && norm_sq > 0.0))
    throw InputError(fmt::format("VMF mean direction must be non-zero and finite, got |mu|^2 = {}", norm_sq));
  std::vector<double> mu(mean_direction);
  for (double& v : mu) v /= std::sqrt(norm_sq);

  std::vector<double> out(n * dim);
  for (std::size_t i = 0; i < n; ++i) {
    double one_minus_w;
    const double w = sample_vmf_cosine(dim, kappa, rng, one_minus_w);
    const double sin_angle = std::sqrt(one_minus_w * (1.0 + w));  // sqrt(1 - w^2)
    // Tangent direction: a uniform unit vector orthogonal to mu (Gaussian, projected, normalised).
    double* x = out.data() + i * dim;
    double tangent_norm_sq = 0.0;
    do {
      gaussian_vector(rng, x, dim);
      double dot = 0.0;
      for (std::size_t k = 0; k < dim; ++k) dot += mu[k] * x[k];
      tangent_norm_sq = 0.0;
      for (std::size_t k = 0; k < dim; ++k) {
        x[k] -= dot * mu[k];
        tangent_norm_sq += x[k] * x[k];
      }
    } while (!(tangent_norm_sq > 0.0));
    const double scale = sin_angle / std::sqrt(tangent_norm_sq);
    for (std::size_t k = 0; k < dim; ++k) x[k] = w * mu[k] + scale * x[k];
  }
  return out;
}

std::vector<double> sample_uniform_sphere(std::size_t dim, std::size_t n, std::mt19937_64& rng) {
  require_dimension("sphere dimension", static_cast<long long>(dim));
  std::vector<double> out(n * dim);
  for (std::size_t i = 0; i < n; ++i) {
    double* x = out.data() + i * dim;
    const double inv = 1.0 / std::sqrt(gaussian_vector(rng, x, dim));
    for (std::size_t k = 0; k < dim; ++k) x[k] *= inv;
  }
  return out;
}

}  // namespace idealgas
