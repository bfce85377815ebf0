// The "stationary" block of summary.json: means over the stationary window with honest standard errors
// (measure/time_series.hpp: batch means over blocks longer than the integrated autocorrelation time, effective
// sample sizes, drift between halves) and the theory's predictions from the run's own measured noise
// (theory/ideal_gas.hpp, docs/theory.md §3 and §5), side by side with the entropy of both snapshot queues. Torch-free.
//
// Estimators (docs/train.md):
//   U          mean batch loss over every step of the window (U_full_batch: full training loss at the window's
//              log points, the paper's definition)
//   X          mean over every step of |w_t|^2 |g_t|^2 = Tr Sigma(w_hat) + |grad L(w_hat)|^2 (unit-sphere units)
//   G          mean of |grad L(w_hat)|^2 over the window's log points (full-batch gradients)
//   Tr Sigma   X - G (the training steps' own stochastic gradients); sigma2 = Tr Sigma / (d-1)
//   r_discrete App. H from X: fixed LR (eta X / 2 lambda)^(1/4), fixed ELR (eta_eff X / 2 lambda)^(1/2);
//   lambda_eff sphere: (|w_tilde| - r) / (eta_eff r^3) averaged over every step; discrete eta_eff X / (2 r^2).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/train/run_state.hpp"
#include "idealgas/train/train_config.hpp"

namespace idealgas::train {

struct EntropyResults {
  std::optional<EntropyEstimate> paper;         // the paper's queue at the end of the run
  std::optional<EntropyEstimate> decorrelated;  // the queue spread over the window
  long long decorrelated_stride = 0;            // iterations between its snapshots
};

/// Needs a finished (or diverged) run's state; window_start = first iteration of the window (exclusive).
nlohmann::json stationary_summary(const TrainConfig& config, long long d, const RunState& state, long long window_start,
                                  const EntropyResults& entropy);

}  // namespace idealgas::train
