#include "entropy_finish.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <cmath>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/batch_means.hpp"
#include "idealgas/measure/spherical_entropy.hpp"

namespace idealgas {
namespace {

constexpr double kLn2 = 0.693147180559945309417232121458176568;

// -psi(k) = gamma_E - H_{k-1} (Abramowitz & Stegun 6.3.2); k = 1 gives gamma_E exactly.
double minus_digamma(int k) {
  double h = 0.0;
  for (int j = 1; j < k; ++j) h += 1.0 / j;
  return boost::math::constants::euler<double>() - h;
}

}  // namespace

double log_unit_ball_volume(std::size_t m) {
  const double half_m = 0.5 * static_cast<double>(m);
  return half_m * std::log(boost::math::constants::pi<double>()) - std::lgamma(half_m + 1.0);
}

void finish_entropy_estimate(const KnnResult& knn, const std::vector<double>& radius,
                             const std::vector<double>& log_jacobian, int se_batches, bool keep_per_sample,
                             const std::string& who, EntropyEstimate& e, int scale_exponent) {
  const std::size_t n = e.n, m = e.m;
  const bool spherical = !e.euclidean;
  // The estimate (same operations, in the same order, as kl_entropy / spherical_entropy for k = 1, no window).
  const std::size_t kk = static_cast<std::size_t>(e.k);
  std::vector<std::size_t> used;
  for (std::size_t i = 0; i < n; ++i)
    if (!knn.dropped[i]) used.push_back(i);
  const double N = static_cast<double>(used.size());
  IDEALGAS_ASSERT(used.size() >= 2, "the neighbour search requires k + 1 >= 2 distinct rows");
  double sum_log_rho = 0.0, sum_log_count = 0.0;
  bool same_count = true;
  std::size_t adjacent = 0;
  for (std::size_t i : used) {
    const double dist_sq = knn.dist_sq[i * kk + kk - 1];
    if (!(dist_sq > 0.0 && std::isfinite(dist_sq)))
      throw InputError(
          fmt::format("{}: the squared distance from row {} to its neighbour {} is {}; rescale the "
                      "samples",
                      who, i, knn.index[i * kk + kk - 1], dist_sq));
    sum_log_rho += 0.5 * std::log(dist_sq);
    sum_log_count += std::log(static_cast<double>(knn.n_eligible[i]));
    same_count = same_count && knn.n_eligible[i] == used.size() - 1;
    const std::size_t j = knn.index[i * kk];
    if (j + 1 == i || i + 1 == j) ++adjacent;
  }
  const double log_v = log_unit_ball_volume(m), neg_psi = minus_digamma(e.k);
  // Euclidean points scaled by 2^s have every distance scaled by 2^s, so their entropy is larger by m s log 2.
  const double scale_nats = static_cast<double>(m) * static_cast<double>(scale_exponent) * kLn2;
  const double log_count = same_count ? std::log(N - 1.0) : sum_log_count / N;
  e.n_distinct = used.size();
  e.duplicates = knn.duplicates;
  e.adjacent_nn_fraction = static_cast<double>(adjacent) / N;
  e.angle_entropy = static_cast<double>(m) / N * sum_log_rho + log_v + log_count + neg_psi;
  if (scale_exponent != 0) e.angle_entropy -= scale_nats;
  if (spherical) {
    double sum_log_jac = 0.0, sum_radius = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      sum_radius += radius[i];
      if (!knn.dropped[i]) sum_log_jac += log_jacobian[i];
    }
    e.mean_log_jacobian = sum_log_jac / N;
    e.spherical_entropy = e.angle_entropy + e.mean_log_jacobian;
    e.mean_radius = sum_radius / static_cast<double>(n);
    if (!std::isfinite(e.mean_radius)) {  // radii near the largest double: sum them scaled by 2^-64
      sum_radius = 0.0;
      for (std::size_t i = 0; i < n; ++i) sum_radius += std::ldexp(radius[i], -64);
      e.mean_radius = std::ldexp(sum_radius / static_cast<double>(n), 64);
    }
    e.log_radius_term = static_cast<double>(m) * std::log(e.mean_radius);
    e.total_entropy = e.spherical_entropy + e.log_radius_term;
  } else {
    e.total_entropy = e.angle_entropy;
  }

  // Per-sample terms h_i (their mean is the estimate) and the standard errors.
  std::vector<double> terms(n, EntropyEstimate::kNaN);
  const int batches = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(se_batches), used.size() / 2));
  BatchMeans bm(static_cast<long long>(used.size()), std::max(2, batches));
  BatchMeans bm_total(static_cast<long long>(used.size()), std::max(2, batches));
  std::vector<double> h_used;
  h_used.reserve(used.size());
  for (std::size_t i : used) {
    double t = static_cast<double>(m) * 0.5 * std::log(knn.dist_sq[i * kk + kk - 1]) + log_v +
               std::log(static_cast<double>(knn.n_eligible[i])) + neg_psi;
    if (spherical) t += log_jacobian[i];
    if (scale_exponent != 0) t -= scale_nats;
    terms[i] = t;
    h_used.push_back(t);
    bm.add(t);
    bm_total.add(spherical ? t + static_cast<double>(m) * radius[i] / e.mean_radius : t);
  }
  const MeanSe iid = mean_and_se(h_used);
  e.se_iid = iid.se;
  e.se = bm.standard_error();
  e.total_se = bm_total.standard_error();
  e.se_batches = std::max(2, batches);

  if (keep_per_sample) {
    e.radius = radius;
    e.log_jacobian = log_jacobian;
    e.nn_index = knn.index;
    e.nn_dist_sq = knn.dist_sq;
    if (scale_exponent != 0)
      for (double& d : e.nn_dist_sq) d = std::ldexp(d, -2 * scale_exponent);
    e.terms = std::move(terms);
  }
}

}  // namespace idealgas
