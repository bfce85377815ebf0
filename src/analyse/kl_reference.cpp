#include "idealgas/analyse/kl_reference.hpp"

#include <cmath>
#include <random>

#include "idealgas/core/rng.hpp"
#include "idealgas/protocol/protocol.hpp"  // kNaN
#include "idealgas/simulate/vmf_sampler.hpp"
#include "idealgas/theory/vmf.hpp"

namespace idealgas {

namespace {
// Below this span of temperatures one node describes the bias (it moves by < 0.01 nats over a factor 1.5, d = 10).
constexpr double kOneNodeSpan = 1.5;
}  // namespace

void KlBiasCurve::at(double T, double& bias_out, double& se_out) const {
  bias_out = se_out = kNaN;
  if (log_T.empty() || !(T > 0.0) || !std::isfinite(T)) return;
  const double x = std::log(T);
  std::size_t k = 0;
  while (k + 1 < log_T.size() && log_T[k + 1] < x) ++k;
  if (k + 1 == log_T.size() || x <= log_T[k]) {  // beyond an end node, or on a node
    const std::size_t at_node = x <= log_T[k] ? k : log_T.size() - 1;
    bias_out = bias[at_node];
    se_out = se[at_node];
    return;
  }
  const double f = (x - log_T[k]) / (log_T[k + 1] - log_T[k]);
  bias_out = (1.0 - f) * bias[k] + f * bias[k + 1];
  se_out = (1.0 - f) * se[k] + f * se[k + 1];  // the nodes' errors are independent; this bounds the mix's SE
}

KlBiasCurve kl_bias_curve(const std::vector<double>& mean_direction, double T_min, double T_max, std::size_t n,
                          int nodes, int replicates, std::uint64_t seed, const SphericalEntropyOptions& options) {
  KlBiasCurve curve;
  curve.replicates = replicates;
  if (nodes < 1 || replicates < 2 || !(T_min > 0.0) || !(T_max >= T_min) || !std::isfinite(T_max)) return curve;
  if (T_max <= kOneNodeSpan * T_min) {
    nodes = 1;
    T_min = T_max = std::sqrt(T_min * T_max);
  }
  const long long d = static_cast<long long>(mean_direction.size());
  for (int node = 0; node < nodes; ++node) {
    const double log_T =
        nodes == 1 ? std::log(T_min) : std::log(T_min) + (std::log(T_max) - std::log(T_min)) * node / (nodes - 1);
    const double T = std::exp(log_T);
    const double exact = theory::vmf_stats(d, T).S_sphere;
    double sum = 0.0, sum_sq = 0.0;
    for (int rep = 0; rep < replicates; ++rep) {
      std::mt19937_64 rng(derive_stream_key(seed, {static_cast<std::uint64_t>(node), static_cast<std::uint64_t>(rep)}));
      const std::vector<double> x = sample_vmf(mean_direction, 1.0 / T, n, rng);
      const double error = spherical_entropy(x.data(), n, mean_direction.size(), options).spherical_entropy - exact;
      sum += error;
      sum_sq += error * error;
    }
    const double mean = sum / replicates;
    const double var = std::max(0.0, (sum_sq - replicates * mean * mean) / (replicates - 1));
    curve.log_T.push_back(log_T);
    curve.bias.push_back(mean);
    curve.se.push_back(std::sqrt(var / replicates));
  }
  return curve;
}

}  // namespace idealgas
