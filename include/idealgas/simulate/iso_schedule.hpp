// When a configuration of the isotropic-noise grid is measured: burn-in, stationary window, logs, entropy
// snapshots. Time in iterations. Two schedules (docs/numerics.md, "Sampling set by the dynamics"):
//  - dynamics (default): every length follows the configuration's relaxation times (theory/ideal_gas.hpp
//    relaxation_times): burn-in of a few relaxation times, a window of many, snapshots spaced by more than the
//    angular relaxation time, one entropy estimate over all snapshots of the window with its SE from the spread
//    of disjoint sub-blocks, batch means over batches longer than the relaxation time. Slow configurations run
//    longer than fast ones.
//  - paper: the paper's fixed schedule (docs/paper-setup.md §1), kept for side-by-side comparison.
#pragma once

#include <string>

#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

enum class ScheduleKind { dynamics, paper };
const char* schedule_name(ScheduleKind kind);   // "dynamics", "paper"
ScheduleKind parse_schedule(const std::string& name);  // InputError naming the accepted values

/// The settings (what a config file holds). Keys marked "paper" apply to the paper schedule only, "dynamics" to
/// the dynamics schedule only; IsoConfig rejects a key that the chosen schedule does not use.
struct IsoSchedule {
  /// Largest iterations / max_iterations accepted: 10^15 is decades of simulation, and the bound keeps the
  /// schedule's sums (burn-in + a window rounded up to whole logs) far from 2^63.
  static constexpr long long kMaxIterations = 1'000'000'000'000'000LL;
  ScheduleKind kind = ScheduleKind::dynamics;
  long long iterations = 2'000'000;  // paper: updates per configuration; dynamics: the least a configuration runs
  long long log_stride = 50;         // iterations between logs of loss, radius, gradient norm
  bool rotate_entropy = true;        // rotate each queue's mean direction off the coordinate singular set

  // paper (docs/paper-setup.md §1)
  long long stationary_logs = 5000;   // U, r = means over the last this-many logs
  long long queue_size = 1000;        // snapshots in the queue
  long long queue_stride = 50;        // iterations between snapshots
  long long entropy_stride = 40'000;  // iterations between entropy estimates
  long long entropy_window = 10;      // stationary S = mean of the last this-many estimates

  // dynamics: lengths in units of the configuration's relaxation time tau = max(angular, radial)
  double burn_in_relaxations = 5.0;    // burn-in before the window (plus 4 |log(r0/r*)| tau when far from r*), and
                                       // at least a tenth of the window
  double window_relaxations = 50.0;    // the window holds at least this many (batches of >= 5 tau)
  double snapshot_relaxations = 2.0;   // snapshots at least this many angular relaxation times apart
  long long snapshots = 2000;          // snapshots in the window: the one entropy estimate uses all of them
  long long se_blocks = 40;            // disjoint sub-blocks whose estimates give its SE (docs/numerics.md)
  long long batches = 10;              // batch-means batches over the window
  long long max_iterations = 200'000'000;  // cap per configuration; a capped row is flagged

  /// The same schedule for a run of `iterations` (the --iters flag). Paper: the stationary window and the entropy
  /// stride scale in proportion; dynamics: the least run length is set (windows still follow the dynamics).
  IsoSchedule scaled_to(long long iterations) const;
};

/// One configuration's resolved schedule: the stationary window is the last window_logs * log_stride
/// iterations; entropy estimates at iterations - k entropy_stride, k = 0..entropy_estimates-1, each from the
/// last queue_size snapshots taken every queue_stride iterations. With se_blocks > 0 (dynamics) there is one
/// estimate, over the whole queue, and se_blocks estimates of its contiguous sub-blocks give its SE.
struct WalkerSchedule {
  long long iterations = 0;      // updates of this configuration
  long long log_stride = 1;
  long long window_logs = 1;     // logs in the window
  long long batches = 1;         // batch-means batches over the window
  long long queue_size = 2, queue_stride = 1, entropy_stride = 1, entropy_estimates = 1;
  long long se_blocks = 0;       // dynamics: sub-blocks of the queue for the SE; paper: 0
  double tau_angular = kNaN, tau_radial = kNaN;  // model relaxation times, iterations
  bool capped = false;           // dynamics: max_iterations cut the window short

  long long window() const { return window_logs * log_stride; }
  long long window_start() const { return iterations - window(); }  // the burn-in
  long long first_entropy_iteration() const { return iterations - (entropy_estimates - 1) * entropy_stride; }
  long long queue_span() const { return queue_size * queue_stride; }
  double tau() const { return tau_angular > tau_radial ? tau_angular : tau_radial; }
  /// How many estimates apart two estimates must be to share no snapshot (1 for disjoint blocks).
  long long estimates_per_independent() const { return (queue_span() + entropy_stride - 1) / entropy_stride; }
};

/// Resolves `s` for one configuration. `tr_sigma` = Tr Sigma(w_hat), `r0` the initial radius.
/// Throws InputError when the paper schedule does not fit its run (window or queue longer than the run).
WalkerSchedule resolve_schedule(const IsoSchedule& s, const ProtocolParams& protocol, double tr_sigma, double r0);

/// Throws InputError naming the first invalid setting (ranges that every configuration needs).
void validate_schedule(const IsoSchedule& s);

}  // namespace idealgas
