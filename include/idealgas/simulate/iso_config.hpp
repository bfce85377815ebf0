// Configuration of the isotropic-noise simulation (theory.md §4, reference-setup.md §1): model, grids,
// schedule of logging / stationary windows / entropy queue. Defaults are the paper's. Time in iterations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

/// queue_stride = 0 asks for the automatic rule of IsoConfig::resolved().
inline constexpr long long kAutoQueueStride = 0;
/// The paper's snapshot spacing, for its d = 3 model.
inline constexpr long long kPaperQueueStride = 50;

/// When and how much is measured. An "iteration" is one update of the weights.
struct IsoSchedule {
  long long iterations = 2'000'000;   // updates per configuration
  long long log_stride = 50;          // iterations between logs of loss, radius, gradient norm
  long long stationary_logs = 5000;   // U, r = means over the last this-many logs
  long long queue_size = 1000;        // entropy queue: number of weight snapshots
  long long queue_stride = kAutoQueueStride;  // iterations between snapshots pushed into the queue (0 = auto)
  long long entropy_stride = 40'000;  // iterations between entropy estimates
  long long entropy_window = 10;      // stationary S = mean of the last this-many estimates
  /// Rotate each queue so its mean direction sits away from the singular set of spherical coordinates
  /// before estimating (theory.md §5; decisive at d = 3). false = the paper's convention.
  bool rotate_entropy = true;

  /// The same schedule for a run of `iterations`: the stationary window (in logs) and the entropy stride
  /// scale in proportion, so the measured fraction of the run stays the paper's; the sampling strides and
  /// the queue size (which set the estimator's statistics) stay as they are.
  IsoSchedule scaled_to(long long iterations) const;

  /// Iterations where the stationary window of logs starts (exclusive).
  long long stationary_start() const { return iterations - stationary_logs * log_stride; }
  /// Iteration of the first entropy estimate that enters the stationary S.
  long long first_entropy_iteration() const { return iterations - (entropy_window - 1) * entropy_stride; }
};

/// A closed interval of positive values, log-spaced over a grid.
struct LogRange {
  double lo, hi;
};

struct IsoConfig {
  long long d = 3;             // number of parameters
  double sigma2 = 1.0;         // noise variance: Sigma(w_hat) = sigma2 P_w_hat (unit-sphere units)
  std::uint64_t seed = 42;     // master seed: loss direction mu, initial point, and every noise stream
  int grid = 17;               // values per hyperparameter axis (log-spaced)
  int threads = 0;             // OpenMP threads; 0 = all hardware threads (results do not depend on it)
  std::vector<Protocol> protocols = {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere};
  LogRange eta{1e-3, 1e-1};      // fixed LR: learning rate
  LogRange eta_eff{1e-3, 1e-1};  // fixed ELR and sphere: effective learning rate
  LogRange lambda{1e-3, 1e-1};   // fixed LR and ELR: weight decay
  LogRange radius{0.1, 10.0};    // sphere: radius
  IsoSchedule schedule;
  double checkpoint_seconds = 30.0;  // wall time between checkpoints (atomic; a killed run resumes)

  /// Throws InputError naming the first invalid value and what is expected.
  void validate() const;
  /// This config with automatic settings made explicit. queue_stride = 0 (auto) becomes the paper's 50 for
  /// d <= 3; for d > 3 consecutive snapshots 50 iterations apart are each other's nearest neighbours in angle
  /// space and the entropy then measures the step size, not the stationary law (theory.md §5: at d = 10 both
  /// fixed-LR slopes shift by +0.22 R), so the queue is spread over half of the run:
  /// iterations / (2 queue_size) (1000 at the paper's sizes, measured to remove the bias at d = 10).
  IsoConfig resolved() const;
  /// Every setting, defaults included (the "effective config" recorded with results).
  nlohmann::json to_json() const;
  /// to_json() less the settings that change no number of a run (threads, checkpoint_seconds, protocols):
  /// what a checkpoint or an output folder must match to be resumed.
  nlohmann::json result_relevant_json() const;
  /// Reads a TOML file over the defaults. Unknown keys and wrong types throw InputError naming the key.
  static IsoConfig from_toml_file(const std::string& path);
  /// Same as from_toml_file, from a TOML string (`source` names it in errors).
  static IsoConfig from_toml_string(const std::string& toml_text, const std::string& source);
};

/// `n` log-spaced values from lo to hi inclusive: 10^(log10 lo + k (log10 hi - log10 lo)/(n-1)), like numpy.
std::vector<double> log_spaced(LogRange range, int n);

}  // namespace idealgas
