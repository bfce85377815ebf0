#include "idealgas/simulate/iso_grid.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <omp.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/checkpoint_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"
#include "idealgas/measure/spherical_entropy.hpp"

namespace idealgas {

namespace {

// A radius outside [kMinRadius, kMaxRadius] means the run left any sensible regime (collapse to the
// origin, where the scale-invariant gradient ~1/|w| blows up, or explosion); stop the walker and say so.
constexpr double kMinRadius = 1e-100;
constexpr double kMaxRadius = 1e100;

}  // namespace

std::uint64_t iso_noise_key(std::uint64_t master_seed, const ProtocolParams& p, long long d, double sigma2) {
  return derive_stream_key(master_seed, {static_cast<std::uint64_t>(StreamPurpose::gradient_noise),
                                         static_cast<std::uint64_t>(p.kind), double_bits(p.first()),
                                         double_bits(p.lambda), double_bits(p.radius),
                                         static_cast<std::uint64_t>(d), double_bits(sigma2)});
}

IsoGrid::IsoGrid(const IsoConfig& config, Protocol protocol) : config_(config), protocol_(protocol) {
  config_.validate();
  model_ = IsoModel::make(config_.d, config_.sigma2, config_.seed);
  const bool sphere = protocol == Protocol::fixed_sphere;
  first_ = log_spaced(protocol == Protocol::fixed_lr ? config_.eta : config_.eta_eff, config_.grid);
  second_ = log_spaced(sphere ? config_.radius : config_.lambda, config_.grid);
  const std::vector<double> w0 = iso_initial_direction(config_.d, config_.seed);
  const double tr_sigma = config_.sigma2 * static_cast<double>(config_.d - 1);
  for (int i = 0; i < config_.grid; ++i) {
    for (int j = 0; j < config_.grid; ++j) {
      IsoWalker w;
      w.i = i;
      w.j = j;
      w.protocol = ProtocolParams::make(protocol, first_[i], second_[j]);
      w.noise_key = iso_noise_key(config_.seed, w.protocol, config_.d, config_.sigma2);
      w.w = w0;
      if (sphere)
        for (double& x : w.w) x *= w.protocol.radius;  // LR and ELR start at norm 1
      w.schedule = resolve_schedule(config_.schedule, w.protocol, tr_sigma, sphere ? w.protocol.radius : 1.0);
      const int batches = static_cast<int>(w.schedule.batches);
      w.loss = w.radius = w.radius_sq = w.grad_norm_sq = BatchMeans(w.schedule.window_logs, batches);
      w.lambda_eff = BatchMeans(w.schedule.window(), batches);
      max_iterations_ = std::max(max_iterations_, w.schedule.iterations);
      walkers_.push_back(std::move(w));
    }
  }
}

double IsoGrid::work_done() const {
  double done = 0.0;
  for (const IsoWalker& w : walkers_) done += static_cast<double>(std::min(w.iteration, w.schedule.iterations));
  return done;
}

double IsoGrid::work_total() const {
  double total = 0.0;
  for (const IsoWalker& w : walkers_) total += static_cast<double>(w.schedule.iterations);
  return total;
}

void IsoGrid::advance_to(long long target) {
  IDEALGAS_ASSERT(target <= max_iterations_, "advance_to past the end of the run");
  if (target <= iteration_) return;
  const int threads = config_.threads > 0 ? config_.threads : omp_get_max_threads();
  const long long n = static_cast<long long>(walkers_.size());
  // Each walker is advanced by exactly one thread, from its own noise stream: the assignment of walkers
  // to threads cannot change any number. No exception may leave the parallel region (std::terminate).
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (long long k = 0; k < n; ++k) {
    try {
      IsoWalker& w = walkers_[k];
      advance_walker(w, std::min(target, w.schedule.iterations));
    } catch (...) {
#pragma omp critical(idealgas_iso_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  iteration_ = target;
}

void IsoGrid::advance_walker(IsoWalker& walker, long long target) const {
  // Small dimensions get loops unrolled at compile time (d = 3 runs ~30 % faster); same numbers either way.
  switch (model_.d) {
    case 2: return advance_walker_fixed<2>(walker, target);
    case 3: return advance_walker_fixed<3>(walker, target);
    case 4: return advance_walker_fixed<4>(walker, target);
    case 10: return advance_walker_fixed<10>(walker, target);
    default: return advance_walker_fixed<0>(walker, target);
  }
}

template <int D>
void IsoGrid::advance_walker_fixed(IsoWalker& walker, long long target) const {
  const WalkerSchedule& s = walker.schedule;
  const long long d = D > 0 ? D : model_.d;
  const long long end = s.iterations;
  const long long stationary_start = s.window_start();
  const long long first_entropy = s.first_entropy_iteration();
  const long long queue_start = first_entropy - s.queue_size * s.queue_stride;  // pushes after this fill it
  const bool sphere = walker.protocol.kind == Protocol::fixed_sphere;
  std::vector<double> eps(static_cast<std::size_t>(d));
  double* w = walker.w.data();

  for (long long t = walker.iteration + 1; t <= target && walker.divergence.empty(); ++t) {
    standard_normals(walker.noise_key, static_cast<std::uint64_t>(t), eps.data(), static_cast<std::size_t>(d));
    const IsoStepInfo info = iso_step_fixed<D>(model_, walker.protocol, w, eps.data());
    walker.iteration = t;

    if (t > stationary_start && sphere) {
      // lambda_eff = (E|w_tilde| - r)/(eta_eff r^3), Eq. 82. The growth is O(eta_eff^2) and noisy, so it
      // is averaged over every iteration of the window (docs/theory.md §5).
      const double r = std::sqrt(info.step.norm_sq_before);
      walker.lambda_eff.add(info.step.norm_growth / (walker.protocol.eta_eff * r * r * r));
    }
    if ((end - t) % s.log_stride == 0) {
      double norm_sq = 0.0, dot = 0.0;
      for (long long q = 0; q < d; ++q) {
        norm_sq += w[q] * w[q];
        dot += w[q] * model_.mu[q];
      }
      const double r = std::sqrt(norm_sq);
      if (!std::isfinite(r) || r < kMinRadius || r > kMaxRadius) {
        walker.divergence = fmt::format(
            "diverged: {}: radius {} at iteration {} (NaN, collapse or explosion); lower the learning rate or check sigma2",
            walker.protocol.settings().dump(), r, t);
        break;
      }
      if (t > stationary_start) {
        const double cos_mu = dot / r;
        walker.loss.add(1.0 + cos_mu);
        walker.radius.add(r);
        walker.radius_sq.add(norm_sq);
        walker.grad_norm_sq.add(1.0 - cos_mu * cos_mu);  // |P_w_hat mu|^2: unit-sphere units
      }
    }
    if (t > queue_start && (end - t) % s.queue_stride == 0) {  // aligned so that each estimate is a snapshot
      if (walker.queue.empty()) walker.queue.assign(static_cast<std::size_t>(s.queue_size * d), 0.0);
      const long long slot = walker.queue_pushes % s.queue_size;
      std::memcpy(walker.queue.data() + slot * d, w, sizeof(double) * static_cast<std::size_t>(d));
      ++walker.queue_pushes;
    }
    if (t >= first_entropy && (end - t) % s.entropy_stride == 0 && walker.entropy_error.empty())
      estimate_entropy(walker);
  }
}

void IsoGrid::estimate_entropy(IsoWalker& walker) const {
  const WalkerSchedule& s = walker.schedule;
  const std::size_t d = static_cast<std::size_t>(model_.d);
  const std::size_t n = static_cast<std::size_t>(s.queue_size);
  IDEALGAS_ASSERT(walker.queue_pushes >= s.queue_size, "entropy estimate before the queue is full");
  // The ring buffer in time order, oldest first, so that "adjacent rows" means "adjacent in time".
  std::vector<double> ordered(n * d);
  const std::size_t oldest = static_cast<std::size_t>(walker.queue_pushes % s.queue_size);
  for (std::size_t k = 0; k < n; ++k)
    std::memcpy(ordered.data() + k * d, walker.queue.data() + ((oldest + k) % n) * d, sizeof(double) * d);
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = config_.schedule.rotate_entropy;
  SphericalEntropyResult e;
  std::vector<double> sub_sphere, sub_total;
  try {
    e = spherical_entropy(ordered.data(), n, d, options);
    // The SE of this estimate from the spread of estimates of its contiguous sub-blocks (docs/numerics.md).
    const std::size_t blocks = static_cast<std::size_t>(s.se_blocks);
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t first = b * n / blocks, last = (b + 1) * n / blocks;
      const SphericalEntropyResult part = spherical_entropy(ordered.data() + first * d, last - first, d, options);
      sub_sphere.push_back(part.spherical_entropy);
      sub_total.push_back(part.total_entropy);
    }
  } catch (const Error& error) {
    // Bad numbers of this configuration (e.g. a learning rate so small that every snapshot is the same point):
    // its entropy is undefined; the rest of the grid goes on.
    walker.entropy_error = fmt::format("no entropy: estimate at iteration {} failed: {}", walker.iteration, error.what());
    return;
  }
  walker.entropy_sub_sphere.insert(walker.entropy_sub_sphere.end(), sub_sphere.begin(), sub_sphere.end());
  walker.entropy_sub_total.insert(walker.entropy_sub_total.end(), sub_total.begin(), sub_total.end());
  walker.entropy_sphere.push_back(e.spherical_entropy);
  walker.entropy_total.push_back(e.total_entropy);
  walker.adjacent_nn_fraction.push_back(e.adjacent_nn_fraction);
  walker.duplicates += e.duplicates;
}

// ---- checkpoints ---------------------------------------------------------------------------------------

namespace {

void write_batch(CheckpointWriter& out, const BatchMeans& b) {
  const BatchMeans::State& s = b.state();
  out.pod(s.expected);
  out.pod(s.count);
  out.pod(s.batches);
  out.pod(s.sum_sq);
  out.vec(s.fine_sums);
  out.vec(s.fine_counts);
}

/// Restores into `b`, which was built for this walker's schedule: the saved state must match it.
void read_batch(CheckpointReader& in, BatchMeans& b) {
  BatchMeans::State s;
  s.expected = in.pod<long long>();
  s.count = in.pod<long long>();
  s.batches = in.pod<long long>();
  s.sum_sq = in.pod<double>();
  s.fine_sums = in.vec<double>();
  s.fine_counts = in.vec<long long>();
  if (s.expected != b.expected() || s.batches != b.batches() || !b.restore(s)) in.corrupt("batch means");
}

}  // namespace

void IsoGrid::save_checkpoint(const std::string& path) const {
  CheckpointWriter out;
  out.str(config_.result_relevant_json().dump());
  out.pod(static_cast<int>(protocol_));
  out.pod(iteration_);
  out.pod<std::uint64_t>(walkers_.size());
  for (const IsoWalker& w : walkers_) {
    out.pod(w.iteration);
    out.str(w.divergence);
    out.str(w.entropy_error);
    out.vec(w.w);
    for (const BatchMeans* b : {&w.loss, &w.radius, &w.radius_sq, &w.grad_norm_sq, &w.lambda_eff}) write_batch(out, *b);
    out.vec(w.queue);
    out.pod(w.queue_pushes);
    out.vec(w.entropy_sphere);
    out.vec(w.entropy_total);
    out.vec(w.adjacent_nn_fraction);
    out.vec(w.entropy_sub_sphere);
    out.vec(w.entropy_sub_total);
    out.pod(w.duplicates);
  }
  out.write(path, kIsoCheckpointMagic);
}

IsoGrid IsoGrid::load_checkpoint(const std::string& path, const IsoConfig& config, Protocol protocol) {
  CheckpointReader in(path, kIsoCheckpointMagic, "iso", "delete it to restart this protocol from iteration 0");

  IsoGrid grid(config, protocol);
  const nlohmann::json saved = nlohmann::json::parse(in.str(), nullptr, false);
  const nlohmann::json wanted = grid.config_.result_relevant_json();
  if (saved != wanted) {
    std::string diff;
    for (auto it = wanted.begin(); it != wanted.end(); ++it)
      if (!saved.contains(it.key()) || saved[it.key()] != it.value())
        diff += fmt::format(" {}: checkpoint has {}, now {};", it.key(),
                            saved.contains(it.key()) ? saved[it.key()].dump() : "nothing", it.value().dump());
    throw InputError(fmt::format("checkpoint {} was written for another configuration ({}); resume with the "
                                 "same settings, choose another --out folder, or pass --restart",
                                 path, diff));
  }
  if (in.pod<int>() != static_cast<int>(protocol)) in.corrupt();
  grid.iteration_ = in.pod<long long>();
  if (in.pod<std::uint64_t>() != grid.walkers_.size()) in.corrupt();
  // Every number is checked against what this configuration's schedule allows, so that a crafted checkpoint
  // with a valid CRC (iteration -5, 10^15, a queue of the wrong size) is refused, not trusted.
  if (grid.iteration_ < 0 || grid.iteration_ > grid.max_iterations_) in.corrupt();
  for (IsoWalker& w : grid.walkers_) {
    const WalkerSchedule& s = w.schedule;
    w.iteration = in.pod<long long>();
    if (w.iteration < 0 || w.iteration > s.iterations || w.iteration > std::max(grid.iteration_, 0LL)) in.corrupt();
    w.divergence = in.str();
    w.entropy_error = in.str();
    w.w = in.vec<double>();
    if (w.w.size() != static_cast<std::size_t>(config.d)) in.corrupt();
    for (BatchMeans* b : {&w.loss, &w.radius, &w.radius_sq, &w.grad_norm_sq, &w.lambda_eff}) read_batch(in, *b);
    w.queue = in.vec<double>();
    if (!w.queue.empty() && w.queue.size() != static_cast<std::size_t>(s.queue_size * config.d)) in.corrupt();
    w.queue_pushes = in.pod<long long>();
    if (w.queue_pushes < 0 || w.queue_pushes > w.iteration || (w.queue_pushes > 0 && w.queue.empty())) in.corrupt();
    w.entropy_sphere = in.vec<double>();
    w.entropy_total = in.vec<double>();
    w.adjacent_nn_fraction = in.vec<double>();
    const std::size_t estimates = w.entropy_sphere.size();
    if (estimates > static_cast<std::size_t>(s.entropy_estimates) || w.entropy_total.size() != estimates ||
        w.adjacent_nn_fraction.size() != estimates)
      in.corrupt();
    w.entropy_sub_sphere = in.vec<double>();
    w.entropy_sub_total = in.vec<double>();
    if (w.entropy_sub_sphere.size() != estimates * static_cast<std::size_t>(s.se_blocks) ||
        w.entropy_sub_total.size() != w.entropy_sub_sphere.size())
      in.corrupt();
    w.duplicates = in.pod<long long>();
    if (w.duplicates < 0) in.corrupt();
  }
  if (!in.at_end()) in.corrupt();
  return grid;
}

}  // namespace idealgas
