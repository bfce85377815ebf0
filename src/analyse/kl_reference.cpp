#include "idealgas/analyse/kl_reference.hpp"

#include <cmath>
#include <random>
#include <set>

#include "idealgas/core/rng.hpp"
#include "idealgas/protocol/protocol.hpp"  // kNaN
#include "idealgas/simulate/vmf_sampler.hpp"
#include "idealgas/theory/vmf.hpp"

namespace idealgas {

namespace {
double lattice_temperature(int k) { return std::pow(10.0, 0.5 * k); }
}  // namespace

int kl_lattice_index(double T) { return static_cast<int>(std::floor(2.0 * std::log10(T))); }

void KlBiasCurve::at(double T, double& bias_out, double& se_out) const {
  bias_out = se_out = kNaN;
  if (!(T > 0.0) || !std::isfinite(T)) return;
  const int k = kl_lattice_index(T);
  const auto lo = nodes.find(k), hi = nodes.find(k + 1);
  if (lo == nodes.end() || hi == nodes.end()) return;
  const double f = std::min(1.0, std::max(0.0, 2.0 * std::log10(T) - k));
  bias_out = (1.0 - f) * lo->second.bias + f * hi->second.bias;
  se_out = (1.0 - f) * lo->second.se + f * hi->second.se;  // the nodes' errors are independent: this bounds the SE
}

KlBiasCurve kl_bias_curve(const std::vector<double>& mean_direction, const std::vector<double>& temperatures,
                          std::size_t n, int replicates, std::uint64_t seed, const SphericalEntropyOptions& options) {
  KlBiasCurve curve;
  curve.replicates = replicates;
  if (replicates < 2) return curve;
  std::set<int> needed;
  for (double T : temperatures)
    if (T > 0.0 && std::isfinite(T)) needed.insert({kl_lattice_index(T), kl_lattice_index(T) + 1});
  const long long d = static_cast<long long>(mean_direction.size());
  for (int k : needed) {
    const double T = lattice_temperature(k);
    if (!(T > 0.0) || !std::isfinite(1.0 / T)) continue;  // beyond double's range: no node, NaN rows
    const double exact = theory::vmf_stats(d, T).S_sphere;
    std::vector<double> errors;
    for (int rep = 0; rep < replicates; ++rep) {
      std::mt19937_64 rng(derive_stream_key(seed, {static_cast<std::uint64_t>(static_cast<std::int64_t>(k)),
                                                   static_cast<std::uint64_t>(rep)}));
      const std::vector<double> x = sample_vmf(mean_direction, 1.0 / T, n, rng);
      errors.push_back(spherical_entropy(x.data(), n, mean_direction.size(), options).spherical_entropy - exact);
    }
    double mean = 0.0;
    for (double e : errors) mean += e;
    mean /= replicates;
    double ss = 0.0;
    for (double e : errors) ss += (e - mean) * (e - mean);
    curve.nodes[k] = {mean, std::sqrt(ss / (replicates - 1) / replicates)};
  }
  return curve;
}

}  // namespace idealgas
