#include "idealgas/analyse/iso_stationary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "idealgas/analyse/compressibility.hpp"
#include "idealgas/analyse/kl_reference.hpp"
#include "idealgas/core/rng.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/batch_means.hpp"
#include "idealgas/theory/discrete_direction.hpp"
#include "idealgas/theory/ideal_gas.hpp"

namespace idealgas {

namespace {

// A batch-means SE is trusted when the batches are long against the integrated autocorrelation time tau_int
// (measured from the same batches, W / (2 ESS)): for an exponentially correlated series, batches of length L
// understate the SE by sqrt(1 - (tau/L)(1 - exp(-L/tau))): 14 % at L = 4 tau, 25 % at L = 2 tau. Below 2 tau_int
// the row is flagged.
constexpr double kMinBatchOverTau = 2.0;
// The dynamics schedule asks for these many relaxation times (iso_schedule.hpp); rows with less are flagged.
constexpr double kMinBurnInRelaxations = 5.0;
constexpr double kMinWindowRelaxations = 50.0;

/// Integrated autocorrelation time in iterations from a batch-means series logged every `stride` iterations:
/// Var(mean) = var(x) 2 tau / W over a window of W iterations.
double integrated_time(const BatchMeans& b, long long stride) {
  const double ess = b.effective_sample_size();
  return ess > 0.0 ? static_cast<double>(b.count()) * static_cast<double>(stride) / (2.0 * ess) : kNaN;
}

void add_flag(std::string& flags, const std::string& flag) { flags += (flags.empty() ? "" : ";") + flag; }

void flag_short_batches(std::string& flags, const char* name, const BatchMeans& b, long long stride) {
  const double tau = integrated_time(b, stride);
  const double batch = static_cast<double>(b.count()) * static_cast<double>(stride) / b.batches();
  if (std::isfinite(tau) && batch < kMinBatchOverTau * tau)
    add_flag(flags, fmt::format("{}_batches_under_2_tau_int", name));
}

// The estimator's bias on exact VMF samples (analyse/kl_reference.hpp), on the lattice T = 10^(k/2) around each
// row's T_discrete, kKlReplicates estimates per node, for every queue size in the grid: the paper grids need 5-6
// nodes (~5 s at d = 10, N = 2000 on one core), one configuration 2. The Monte Carlo SE at a node, ~0.057/sqrt(48) =
// 0.008 nats at d = 10, is an eighth of a row's SE and enters the distance in quadrature. Rows of one grid (and
// configurations of one sweep with the same seed) share nodes, so their Monte Carlo errors are correlated.
constexpr int kKlReplicates = 48;

void add_estimator_reference(const IsoGrid& grid, GridTable& t) {
  std::map<long long, std::vector<double>> temperatures;  // queue size -> the rows' T_discrete
  for (std::size_t k = 0; k < t.rows.size(); ++k) {
    const StationaryRow& r = t.rows[k];
    if (std::isfinite(r.S_sphere) && std::isfinite(r.T_discrete))
      temperatures[grid.walkers()[k].schedule.queue_size].push_back(r.T_discrete);
  }
  // The stationary law's mean direction, -mu, with the simulator's estimator options.
  std::vector<double> mean_direction = grid.model().mu;
  for (double& x : mean_direction) x = -x;
  SphericalEntropyOptions options;
  options.rotate_mean_off_singularities = grid.config().schedule.rotate_entropy;
  for (const auto& [queue_size, ts] : temperatures) {
    // Not the protocol: the same (seed, d, N) gives the same curve in every protocol, grid and sweep.
    const std::uint64_t seed =
        derive_stream_key(grid.config().seed, {static_cast<std::uint64_t>(StreamPurpose::kl_reference),
                                               static_cast<std::uint64_t>(grid.config().d),
                                               static_cast<std::uint64_t>(queue_size)});
    const KlBiasCurve curve =
        kl_bias_curve(mean_direction, ts, static_cast<std::size_t>(queue_size), kKlReplicates, seed, options);
    for (std::size_t k = 0; k < t.rows.size(); ++k) {
      StationaryRow& r = t.rows[k];
      if (grid.walkers()[k].schedule.queue_size != queue_size || !std::isfinite(r.S_sphere)) continue;
      double bias = kNaN, se = kNaN;
      curve.at(r.T_discrete, bias, se);
      r.S_sphere_expected = r.S_sphere_discrete + bias;
      r.S_sphere_expected_se = se;
    }
  }
}

}  // namespace

IsoStationaryTable iso_stationary_table(const IsoGrid& grid, EstimatorReference reference) {
  if (!grid.finished())
    throw InputError(fmt::format("the {} grid is at iteration {} of {}; stationary averages need the full run",
                                 protocol_name(grid.protocol()), grid.iteration(), grid.max_iterations()));
  const IsoConfig& config = grid.config();
  IsoStationaryTable out;
  GridTable& t = out.table;
  t.protocol = grid.protocol();
  t.d = config.d;
  t.n_first = static_cast<int>(grid.first_axis().size());
  t.n_second = static_cast<int>(grid.second_axis().size());
  const bool sphere = t.protocol == Protocol::fixed_sphere;

  for (const IsoWalker& w : grid.walkers()) {
    const WalkerSchedule& ws = w.schedule;
    StationaryRow row;
    row.i = w.i;
    row.j = w.j;
    row.sigma2 = config.sigma2;  // the isotropic model's, exact
    row.sigma2_se = 0.0;
    const theory::StationaryInputs in = theory::stationary_inputs(w.protocol, config.d, config.sigma2);
    row.eta = w.protocol.first();  // eta (lr) or eta_eff (elr, sphere)
    if (sphere)
      row.radius = w.protocol.radius;
    else
      row.lambda = w.protocol.lambda;
    row.iterations = static_cast<double>(ws.iterations);
    row.burn_in = static_cast<double>(ws.window_start());
    row.window = static_cast<double>(ws.window());
    row.snapshot_stride = static_cast<double>(ws.queue_stride);
    row.tau_model = ws.tau();
    // Predictions without measured input: SDE radius, exact VMF at the protocol's T.
    const theory::StationaryState sde = theory::stationary_state(t.protocol, in);
    row.T = sde.T;
    row.T_se = 0.0;  // sigma2 is the model's
    row.U_vmf = sde.U;
    row.S_sphere_vmf = sde.S_sphere;
    row.S_pred = sde.S;
    row.r_sde = sphere ? kNaN : sde.r;
    row.lambda_eff_sde = sde.lambda_eff;

    // Why this row's SEs may not be trusted, from the schedule (before any measurement).
    std::string& flags = row.flags;
    const double tau = ws.tau();
    if (ws.capped) add_flag(flags, "capped_by_max_iterations");
    // Weight decay factor 1 - eta lambda <= 0: the closed forms (eta lambda << 1) do not describe this dynamics.
    if (t.protocol == Protocol::fixed_lr && w.protocol.eta * w.protocol.lambda >= 1.0)
      add_flag(flags, "eta_lambda_at_least_1");
    if (static_cast<double>(ws.window_start()) < kMinBurnInRelaxations * tau) add_flag(flags, "burn_in_under_5_tau");
    if (static_cast<double>(ws.window()) < kMinWindowRelaxations * tau) add_flag(flags, "window_under_50_tau");
    if (static_cast<double>(ws.queue_stride) < ws.tau_angular) add_flag(flags, "snapshots_closer_than_tau_angular");
    if (ws.estimates_per_independent() > 1) add_flag(flags, "entropy_queues_overlap");

    if (!w.divergence.empty()) {
      row.P = sphere ? kNaN : w.protocol.lambda;
      out.status.push_back(w.divergence);
      t.rows.push_back(row);
      continue;
    }
    row.U = w.loss.mean();
    row.U_se = w.loss.standard_error();
    row.U_ess = w.loss.effective_sample_size();
    row.tau_U = integrated_time(w.loss, ws.log_stride);
    row.r_mean = w.radius.mean();
    row.r_se = w.radius.standard_error();
    if (!sphere) {  // on the sphere r is set, not measured: no ESS, no autocorrelation
      row.r_ess = w.radius.effective_sample_size();
      row.tau_r = integrated_time(w.radius, ws.log_stride);
    }
    row.grad_norm_sq = w.grad_norm_sq.mean();
    flag_short_batches(flags, "U", w.loss, ws.log_stride);
    if (!sphere) flag_short_batches(flags, "r", w.radius, ws.log_stride);

    // Entropy. Dynamics: one estimate over all the window's snapshots; its SE from K disjoint sub-blocks: the
    // variance of a KL estimate falls as 1/N (measured, docs/numerics.md), so SE = sd(sub-block estimates)/sqrt(K).
    // Paper: the mean of the overlapping estimates; only estimates that share no snapshot enter the SE (the
    // overlapping queues thinned to every k-th, counted back from the last).
    row.S_sphere = mean_and_se(w.entropy_sphere).mean;
    row.S = mean_and_se(w.entropy_total).mean;
    if (ws.se_blocks > 0) {
      row.S_sphere_se = mean_and_se(w.entropy_sub_sphere).se;
      row.S_se = mean_and_se(w.entropy_sub_total).se;
      row.S_estimates = static_cast<double>(w.entropy_sub_sphere.size());
    } else {
      const std::size_t n_est = w.entropy_sphere.size();
      const std::size_t step = static_cast<std::size_t>(ws.estimates_per_independent());
      std::vector<double> s_sphere, s_total;
      for (std::size_t k = n_est; k >= step && k > 0; k -= step) {
        s_sphere.push_back(w.entropy_sphere[k - 1]);
        s_total.push_back(w.entropy_total[k - 1]);
      }
      row.S_sphere_se = mean_and_se(s_sphere).se;
      row.S_se = mean_and_se(s_total).se;
      row.S_estimates = static_cast<double>(s_sphere.size());
    }
    row.adjacent_nn_fraction = mean_and_se(w.adjacent_nn_fraction).mean;
    row.duplicates = w.duplicates;
    if (!w.entropy_error.empty()) add_flag(flags, "entropy_failed");

    if (sphere) {
      row.V = 0.5 * w.protocol.radius * w.protocol.radius;
      row.V_se = 0.0;
      row.lambda_eff = w.lambda_eff.mean();
      row.lambda_eff_se = w.lambda_eff.standard_error();
      row.lambda_eff_ess = w.lambda_eff.effective_sample_size();
      row.P = row.lambda_eff;
      flag_short_batches(flags, "lambda_eff", w.lambda_eff, 1);
    } else {
      row.V = 0.5 * w.radius_sq.mean();
      row.V_se = 0.5 * w.radius_sq.standard_error();
      row.P = w.protocol.lambda;
    }
    // The one T of a measured state (theory::measured_temperature): fixed LR at the measured E[r^2] (the closed form
    // sqrt(eta lambda sigma2 / (2(d-1))) above assumes the SDE radius), exact for ELR and the sphere.
    if (t.protocol == Protocol::fixed_lr) {
      row.T = theory::measured_temperature(w.protocol, 2.0 * row.V, config.sigma2);
      row.T_se = row.T * row.V_se / row.V;
    }
    const Compressibility z = compressibility(t, row);
    row.Z = z.Z;
    row.Z_se = z.Z_se;
    // Discrete-time corrections (App. H and the one-step identity) with the measured mean squared full gradient.
    theory::StationaryInputs measured = in;
    measured.grad_norm_sq = row.grad_norm_sq;
    const theory::StationaryState discrete = theory::stationary_state(t.protocol, measured);
    row.r_discrete = sphere ? kNaN : discrete.r_discrete;
    row.r_one_step = sphere ? kNaN : discrete.r_one_step;
    row.lambda_eff_discrete = discrete.lambda_eff_discrete;
    row.lambda_eff_one_step = discrete.lambda_eff_one_step;
    const double tr_sigma = config.sigma2 * static_cast<double>(config.d - 1);
    row.grad_share = row.grad_norm_sq / tr_sigma;
    row.Z_one_step = sphere ? theory::compressibility_factor(w.protocol, 2.0 * row.V, row.lambda_eff_one_step, tr_sigma)
                            : theory::compressibility_factor(w.protocol, row.r_one_step * row.r_one_step,
                                                             w.protocol.lambda, tr_sigma);
    row.Z_one_step_se = 0.0;  // G's SE enters at O(G/Tr Sigma) of a small correction
    // The direction law of the discrete update: hotter than VMF(T) by O(eta_eff) (numerics.md).
    const theory::DiscreteDirectionLaw direction =
        theory::discrete_direction_law(t.protocol, in, 2.0 * row.V);
    row.T_discrete = direction.T;
    // No reference for this row's entropy and energy: say so rather than leave it out of the verdict silently.
    if (!std::isfinite(direction.T)) add_flag(flags, "direction_law_beyond_first_order");
    row.U_discrete = direction.U;
    row.S_sphere_discrete = direction.S_sphere;
    out.status.push_back(w.entropy_error.empty() ? "ok" : w.entropy_error);
    t.rows.push_back(row);
  }
  if (reference == EstimatorReference::measure) add_estimator_reference(grid, t);
  return out;
}

}  // namespace idealgas
