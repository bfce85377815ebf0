// A whole protocol grid of the isotropic-noise model advanced together (docs/theory.md §4). Each configuration
// ("walker") has its own counter-based noise stream keyed by (seed, protocol, hyperparameter values, d,
// sigma2), so its trajectory is the same whatever the thread count, the grid it sits in, or a resume.
// Measurements follow each configuration's own WalkerSchedule (iso_schedule.hpp): logs counted back from its
// last iteration, the entropy queue, and lambda_eff from every iteration of the stationary window. Under the
// dynamics schedule slow configurations run longer than fast ones, so walkers finish at different iterations.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "idealgas/measure/batch_means.hpp"
#include "idealgas/simulate/iso_config.hpp"
#include "idealgas/simulate/iso_model.hpp"
#include "idealgas/simulate/iso_schedule.hpp"
#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

/// One configuration's state and stationary accumulators.
struct IsoWalker {
  int i = 0, j = 0;             // grid indices (first, second hyperparameter)
  ProtocolParams protocol;
  WalkerSchedule schedule;      // this configuration's run length, window, strides
  std::uint64_t noise_key = 0;  // Philox key of this configuration's gradient noise
  std::vector<double> w;        // [d] current weights
  long long iteration = 0;      // updates done
  std::string divergence;       // empty while healthy; else what went wrong and when (the walker stops)
  std::string entropy_error;    // empty, or why an entropy estimate failed (e.g. all snapshots equal)

  // Stationary window (the last stationary_logs logs; lambda_eff from every iteration in it).
  BatchMeans loss, radius, radius_sq, grad_norm_sq, lambda_eff;
  // Entropy: ring buffer of snapshots and the estimates of the window.
  std::vector<double> queue;    // [queue_size, d] ring buffer of weight snapshots
  long long queue_pushes = 0;   // snapshots pushed so far (slot = pushes % queue_size)
  std::vector<double> entropy_sphere, entropy_total, adjacent_nn_fraction;  // one per estimate, in nats
  std::vector<double> entropy_sub_sphere, entropy_sub_total;  // dynamics: the SE's sub-block estimates, nats
  long long duplicates = 0;     // duplicate snapshots seen by the estimator
};

/// The first 8 bytes of an isotropic grid checkpoint (the format, core/checkpoint_file.hpp, version 2).
inline constexpr char kIsoCheckpointMagic[8] = {'I', 'G', 'I', 'S', 'O', 'C', 'K', '2'};

class IsoGrid {
 public:
  /// Sets up every configuration of `protocol` at iteration 0. Validates `config` (InputError).
  IsoGrid(const IsoConfig& config, Protocol protocol);

  /// Advances every walker to min(target, its own run length), in parallel over walkers. A failure inside one
  /// walker never aborts the others: bad numbers mark that walker (divergence, entropy_error); anything else is
  /// rethrown after the parallel loop.
  void advance_to(long long target);
  long long iteration() const { return iteration_; }
  /// The longest run of any walker: advance_to(max_iterations()) finishes the grid.
  long long max_iterations() const { return max_iterations_; }
  bool finished() const { return iteration_ >= max_iterations_; }
  /// Updates done and to do over all walkers (progress and ETA).
  double work_done() const;
  double work_total() const;

  const IsoConfig& config() const { return config_; }
  Protocol protocol() const { return protocol_; }
  const IsoModel& model() const { return model_; }
  const std::vector<IsoWalker>& walkers() const { return walkers_; }
  /// Hyperparameter values along the two grid axes (first: eta or eta_eff; second: lambda or radius).
  const std::vector<double>& first_axis() const { return first_; }
  const std::vector<double>& second_axis() const { return second_; }

  /// Writes the complete state atomically (CRC-checked binary). Resuming from it is bitwise exact.
  void save_checkpoint(const std::string& path) const;
  /// Restores a checkpoint written for the same config and protocol; IoError if corrupt, InputError if
  /// it was written for another configuration (the message says which setting differs).
  static IsoGrid load_checkpoint(const std::string& path, const IsoConfig& config, Protocol protocol);

 private:
  void advance_walker(IsoWalker& walker, long long target) const;
  template <int D>
  void advance_walker_fixed(IsoWalker& walker, long long target) const;
  void estimate_entropy(IsoWalker& walker) const;

  IsoConfig config_;
  Protocol protocol_;
  IsoModel model_;
  std::vector<double> first_, second_;
  std::vector<IsoWalker> walkers_;
  long long iteration_ = 0;
  long long max_iterations_ = 0;
};

/// Key of a configuration's gradient-noise stream: (seed, protocol, hyperparameters, d, sigma2).
std::uint64_t iso_noise_key(std::uint64_t master_seed, const ProtocolParams& p, long long d, double sigma2);

}  // namespace idealgas
