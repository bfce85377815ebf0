#include "idealgas/simulate/iso_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "idealgas/core/checked.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/theory/ideal_gas.hpp"

namespace idealgas {

namespace {

void require_at_least(const char* name, long long value, long long min) {
  if (value < min) throw InputError(fmt::format("{} must be an integer >= {}, got {}", name, min, value));
}

void require_at_least(const char* name, double value, double min) {
  if (!(std::isfinite(value) && value >= min))
    throw InputError(fmt::format("{} must be a finite number >= {}, got {}", name, min, value));
}

constexpr double kMinBurnInWindowFraction = 0.1;

/// ceil(x) for x >= 0 as an iteration count, saturating at `cap` (x may be huge or infinite).
long long ceil_capped(double x, long long cap) {
  if (!(x < static_cast<double>(cap))) return cap;
  return std::max<long long>(0, static_cast<long long>(std::ceil(x)));
}

}  // namespace

const char* schedule_name(ScheduleKind kind) { return kind == ScheduleKind::paper ? "paper" : "dynamics"; }

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "dynamics") return ScheduleKind::dynamics;
  if (name == "paper") return ScheduleKind::paper;
  throw InputError(fmt::format("schedule must be 'dynamics' (lengths from the relaxation times) or 'paper' (the "
                               "paper's fixed schedule), got '{}'",
                               name));
}

IsoSchedule IsoSchedule::scaled_to(long long new_iterations) const {
  IsoSchedule s = *this;
  if (new_iterations <= 0 || iterations <= 0 || kind == ScheduleKind::dynamics) {
    s.iterations = new_iterations;  // validate_schedule reports a bad value
    return s;
  }
  const double f = static_cast<double>(new_iterations) / static_cast<double>(iterations);
  s.iterations = new_iterations;
  s.stationary_logs = std::max<long long>(1, std::llround(static_cast<double>(stationary_logs) * f));
  s.entropy_stride = std::max<long long>(1, std::llround(static_cast<double>(entropy_stride) * f));
  return s;
}

void validate_schedule(const IsoSchedule& s) {
  require_at_least("iterations", s.iterations, 1LL);
  for (const auto& [name, value] : {std::pair{"iterations", s.iterations}, std::pair{"max_iterations", s.max_iterations}})
    if (value > IsoSchedule::kMaxIterations)
      throw InputError(fmt::format("{} must be at most {}, got {}", name, IsoSchedule::kMaxIterations, value));
  require_at_least("log_stride", s.log_stride, 1LL);
  if (s.kind == ScheduleKind::paper) {
    require_at_least("stationary_logs", s.stationary_logs, 1LL);
    require_at_least("queue_size", s.queue_size, 2LL);
    require_at_least("queue_stride", s.queue_stride, 1LL);
    require_at_least("entropy_stride", s.entropy_stride, 1LL);
    require_at_least("entropy_window", s.entropy_window, 1LL);
    const long long window = checked_mul("stationary_logs x log_stride", s.stationary_logs, s.log_stride);
    if (window > s.iterations)
      throw InputError(fmt::format(
          "the stationary window (stationary_logs {} x log_stride {} = {} iterations) is longer than the run "
          "(iterations {}); lower stationary_logs or raise iterations",
          s.stationary_logs, s.log_stride, window, s.iterations));
    const long long span = checked_mul("queue_size x queue_stride", s.queue_size, s.queue_stride);
    const long long back = checked_mul("(entropy_window - 1) x entropy_stride", s.entropy_window - 1, s.entropy_stride);
    if (checked_add("queue span + entropy window", span, back) > s.iterations)
      throw InputError(fmt::format(
          "the first entropy estimate of the window (iteration {} = iterations - (entropy_window - 1) x "
          "entropy_stride) comes before the queue is full (queue_size {} x queue_stride {} = {} iterations); "
          "raise iterations or lower entropy_window, entropy_stride, queue_size or queue_stride",
          s.iterations - back, s.queue_size, s.queue_stride, span));
  } else {
    require_at_least("burn_in_relaxations", s.burn_in_relaxations, 0.0);
    require_at_least("window_relaxations", s.window_relaxations, 1.0);
    require_at_least("snapshot_relaxations", s.snapshot_relaxations, 0.0);
    require_at_least("se_blocks", s.se_blocks, 2LL);
    require_at_least("snapshots", s.snapshots, checked_mul("2 x se_blocks", 2LL, s.se_blocks));
    require_at_least("batches", s.batches, 2LL);
    require_at_least("max_iterations", s.max_iterations, s.iterations);
    // The entropy blocks need at least one iteration per snapshot within the cap.
    if (s.snapshots > s.max_iterations / 2)
      throw InputError(fmt::format("snapshots = {} do not fit in half of max_iterations ({}); lower snapshots or "
                                   "raise max_iterations",
                                   s.snapshots, s.max_iterations));
    if (checked_mul("batches x log_stride", s.batches, s.log_stride) > s.max_iterations / 2)
      throw InputError(fmt::format("batches x log_stride = {} iterations do not fit in half of max_iterations ({})",
                                   s.batches * s.log_stride, s.max_iterations));
  }
}

WalkerSchedule resolve_schedule(const IsoSchedule& s, const ProtocolParams& protocol, double tr_sigma, double r0) {
  validate_schedule(s);
  WalkerSchedule w;
  const theory::RelaxationTimes tau = theory::relaxation_times(protocol, tr_sigma);
  w.tau_angular = tau.angular;
  w.tau_radial = tau.radial;
  w.log_stride = s.log_stride;
  if (s.kind == ScheduleKind::paper) {
    w.iterations = s.iterations;
    w.window_logs = s.stationary_logs;
    w.batches = 20;  // the batch count this project used with the paper's window
    w.queue_size = s.queue_size;
    w.queue_stride = s.queue_stride;
    w.entropy_stride = s.entropy_stride;
    w.entropy_estimates = s.entropy_window;
    return w;
  }
  // dynamics. Everything in doubles first, capped before it becomes an integer (tiny hyperparameters give
  // astronomically long relaxation times, never an overflow).
  const long long cap = s.max_iterations;
  const double t = w.tau();
  const double far = std::isfinite(tau.r_sde) && tau.r_sde > 0.0 ? std::abs(std::log(r0 / tau.r_sde)) : 0.0;
  long long burn_in = ceil_capped(t * (s.burn_in_relaxations + 4.0 * far), cap);
  long long stride = std::max<long long>(1, ceil_capped(s.snapshot_relaxations * tau.angular, cap));
  const long long n_snapshots = s.snapshots;
  const double entropy_span = static_cast<double>(n_snapshots) * static_cast<double>(stride);
  const double needed = std::max({s.window_relaxations * t, entropy_span,
                                  static_cast<double>(s.iterations) - static_cast<double>(burn_in),
                                  static_cast<double>(s.batches * s.log_stride)});
  long long window = ceil_capped(needed, cap);
  // The burn-in also covers a tenth of the window: the deterministic approach from a random start takes
  // ~tau log(theta_0 / sqrt(T)), longer than a few tau when T is small, and a leftover transient in the first batch
  // inflates the batch-means SE (measured: sphere U SEs 1.45x the seed-to-seed spread with 5 tau alone).
  burn_in = std::max(burn_in, ceil_capped(kMinBurnInWindowFraction * static_cast<double>(window), cap));
  if (static_cast<double>(burn_in) + static_cast<double>(window) > static_cast<double>(cap)) {
    w.capped = true;  // keep at least half of the run as window
    window = std::max(cap - burn_in, cap / 2);
    burn_in = cap - window;
  }
  // Whole logs (rounded up: the window never falls short of what was asked), and snapshots spread over the whole
  // window: more decorrelated than asked when there is room; closer than asked only when capped (flagged).
  w.window_logs = std::max<long long>(s.batches, window / s.log_stride + (window % s.log_stride != 0));
  window = checked_mul("window logs x log_stride", w.window_logs, s.log_stride);
  stride = w.capped ? std::max<long long>(1, window / n_snapshots) : std::max(stride, window / n_snapshots);
  w.iterations = checked_add("burn-in + window", burn_in, window);
  w.batches = s.batches;
  w.queue_size = n_snapshots;
  w.queue_stride = stride;
  w.entropy_stride = n_snapshots * stride;
  w.entropy_estimates = 1;
  w.se_blocks = s.se_blocks;
  return w;
}

}  // namespace idealgas
