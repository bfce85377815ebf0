#include "idealgas/simulate/iso_model.hpp"

#include <cmath>

#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"

namespace idealgas {

IsoModel IsoModel::make(long long d, double sigma2, std::uint64_t master_seed) {
  IsoModel m;
  m.d = require_dimension("d", d);
  m.sigma2 = require_positive("sigma2", sigma2);
  m.sigma = std::sqrt(sigma2);
  m.mu.resize(static_cast<std::size_t>(d));
  uniform_unit_vector(derive_stream_key(master_seed, {static_cast<std::uint64_t>(StreamPurpose::loss_direction),
                                                      static_cast<std::uint64_t>(d)}),
                      m.mu.data(), m.mu.size());
  return m;
}

std::vector<double> iso_initial_direction(long long d, std::uint64_t master_seed) {
  std::vector<double> w(static_cast<std::size_t>(require_dimension("d", d)));
  uniform_unit_vector(derive_stream_key(master_seed, {static_cast<std::uint64_t>(StreamPurpose::initial_point),
                                                      static_cast<std::uint64_t>(d)}),
                      w.data(), w.size());
  return w;
}

double iso_loss(const IsoModel& model, const double* w) {
  double dot = 0.0, norm_sq = 0.0;
  for (long long i = 0; i < model.d; ++i) {
    dot += model.mu[i] * w[i];
    norm_sq += w[i] * w[i];
  }
  return 1.0 + dot / std::sqrt(norm_sq);
}

IsoStepInfo iso_step(const IsoModel& model, const ProtocolParams& protocol, double* w, const double* eps) {
  return iso_step_fixed<0>(model, protocol, w, eps);
}

}  // namespace idealgas
