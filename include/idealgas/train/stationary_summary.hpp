// The "stationary" block of summary.json: means over the stationary window with honest standard errors
// (measure/time_series.hpp: batch means over blocks longer than the integrated autocorrelation time, effective
// sample sizes, drift between halves) and the theory's predictions from the run's own measured noise
// (theory/ideal_gas.hpp, docs/theory.md §3 and §5), side by side with the entropy of both snapshot queues. Torch-free.
//
// Estimators (docs/train.md, "Measurements"):
//   U            mean batch loss over every step of the window (U_full_batch: full training loss at the window's
//                log points, the paper's definition)
//   X            mean over every step of |w_t|^2 |g_t|^2 = Tr Sigma(w_hat) + |grad L(w_hat)|^2 (unit-sphere units)
//   G            mean of |grad L(w_hat)|^2 over the window's log points (full-batch gradients)
//   Tr Sigma     the fresh-batch estimator at the log points where measured (tr_sigma_source "fresh_batches"),
//                else X - G (the steps' own, "steps"); both are written. sigma2 = Tr Sigma / (d-1)
//   T, P, V, Z   T = eta_eff sigma2 / 2 at the state's eta_eff (theory::measured_temperature), P = lambda (sphere:
//                lambda_eff), V = E[r^2]/2, Z = PV/(RT) (theory::compressibility_factor) with first-order SEs
//   V1           stationarity_rel_err: r (sphere lambda_eff) against the one-step identity at the same steps' X,
//                SE paired block by block (an identity in a stationary window: it fails only while r relaxes);
//                physics_rel_err: r against the SDE radius from Tr Sigma alone (Z = 1); Z_one_step: Z with G
//   S, S_sphere  the final paper-convention queue; S_logs, S_sphere_logs: the mean over the last 30 log points
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
