#include "idealgas/train/stationary_summary.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/time_series.hpp"
#include "idealgas/theory/ideal_gas.hpp"

namespace idealgas::train {

namespace {

// Below this share of nearest neighbours that are adjacent snapshots the queue spreads over the stationary law;
// above it the estimate mostly measures the step size of the dynamics (docs/theory.md §5).
constexpr double kAdjacentWarning = 0.5;
// The window should be at least this many radial relaxation times long, and start after this many.
constexpr double kWindowRelaxations = 5.0, kStartRelaxations = 3.0;

nlohmann::json series_json(const SeriesStats& s, long long block) {
  return {{"mean", s.mean},
          {"se", s.se},
          {"tau_iterations", s.tau * static_cast<double>(block)},
          {"ess", s.ess},
          {"samples", s.n},
          {"batches", s.batches},
          {"batch_iterations", s.batch_length * static_cast<std::size_t>(block)},
          {"drift_z", s.drift_z},
          {"reliable", s.reliable},
          {"reason", s.reason}};
}

nlohmann::json entropy_json(const EntropyEstimate& e) {
  return {{"S_sphere", e.spherical_entropy}, {"S_sphere_se", e.se},       {"S", e.total_entropy},
          {"S_se", e.total_se},             {"r_mean", e.mean_radius},  {"adjacent_nn_fraction", e.adjacent_nn_fraction},
          {"duplicates", e.duplicates},     {"snapshots", e.n_distinct}};
}

// (a/b - 1) and its SE from the relative SEs of a and b.
std::pair<double, double> relative_error(double a, double a_se, double b, double b_se) {
  const double ratio = a / b;
  return {ratio - 1.0, ratio * std::hypot(a_se / a, b_se / b)};
}

}  // namespace

nlohmann::json stationary_summary(const TrainConfig& c, long long d, const RunState& s, long long window_start,
                                  const EntropyResults& entropy) {
  const long long block = c.measure.running_stride;
  const ProtocolParams p = c.protocol_params();
  nlohmann::json out;
  std::vector<std::string> flags;
  // As the simulator's rows: the window's length in iterations, and where it starts.
  out["window"] = c.run.iterations - window_start;
  out["window_start"] = window_start;
  out["iterations"] = c.run.iterations;

  const SeriesStats loss = series_stats(s.loss.means), r = series_stats(s.radius.means),
                    r_sq = series_stats(s.radius_sq.means), x = series_stats(s.grad_sq_unit.means);
  std::vector<double> g_at_logs, full_loss, train_acc, test_loss, test_acc, fresh;
  for (const LogRecord& l : s.logs) {
    if (l.iteration <= window_start) continue;
    g_at_logs.push_back(l.grad_norm_sq_unit);
    full_loss.push_back(l.train_loss);
    train_acc.push_back(l.train_accuracy);
    if (std::isfinite(l.test_loss)) {
      test_loss.push_back(l.test_loss);
      test_acc.push_back(l.test_accuracy);
    }
    if (std::isfinite(l.tr_sigma_fresh)) fresh.push_back(l.tr_sigma_fresh);
  }
  const SeriesStats g = series_stats(g_at_logs);
  const SeriesStats u_full = series_stats(full_loss);
  out["log_points_in_window"] = g_at_logs.size();
  if (g_at_logs.size() < 2)
    flags.push_back(fmt::format("only {} log point(s) in the window: the full-gradient norm G has no standard error",
                                g_at_logs.size()));

  out["U"] = loss.mean;
  out["U_se"] = loss.se;
  out["U_full_batch"] = u_full.mean;
  out["U_full_batch_se"] = u_full.se;
  out["train_accuracy"] = series_stats(train_acc).mean;
  out["test_loss"] = test_loss.empty() ? kNaN : series_stats(test_loss).mean;
  out["test_accuracy"] = test_acc.empty() ? kNaN : series_stats(test_acc).mean;
  out["r_mean"] = r.mean;
  out["r_se"] = r.se;
  out["r_sq_mean"] = r_sq.mean;
  out["grad_sq_unit_mean"] = x.mean;  // X = Tr Sigma + G
  out["grad_sq_unit_se"] = x.se;
  out["grad_norm_sq"] = g.mean;
  out["grad_norm_sq_se"] = g.se;
  const double tr_sigma = x.mean - (g_at_logs.empty() ? kNaN : g.mean);
  const double tr_sigma_se = std::hypot(x.se, g_at_logs.size() >= 2 ? g.se : kNaN);
  const double dm1 = static_cast<double>(d - 1);
  out["tr_sigma"] = tr_sigma;
  out["tr_sigma_se"] = tr_sigma_se;
  out["sigma2"] = tr_sigma / dm1;
  out["sigma2_se"] = tr_sigma_se / dm1;
  if (!fresh.empty()) {
    const SeriesStats f = series_stats(fresh);
    out["tr_sigma_fresh"] = f.mean;
    out["tr_sigma_fresh_se"] = f.se;
  }

  // Predictions from the measured noise (NaN when it is not a positive number).
  double T = kNaN, r_sde = kNaN, r_discrete = kNaN, lambda_eff_sde = kNaN, lambda_eff_discrete = kNaN;
  if (tr_sigma > 0.0 && std::isfinite(tr_sigma) && std::isfinite(g.mean)) {
    theory::StationaryInputs in = theory::stationary_inputs(p, d, tr_sigma / dm1);
    in.grad_norm_sq = g.mean;
    // Hyperparameters that are valid but outside what the closed forms represent (a temperature below the
    // smallest normal double) leave the run's measurements standing: no predictions, and a flag saying why.
    try {
      const theory::StationaryState th = theory::stationary_state(p.kind, in);
      T = th.T;
      r_sde = th.r;
      r_discrete = th.r_discrete;
      lambda_eff_sde = th.lambda_eff;
      lambda_eff_discrete = th.lambda_eff_discrete;
    } catch (const InputError& e) {
      flags.push_back(fmt::format("no temperature or predictions: {}", e.what()));
    }
  } else {
    flags.push_back(fmt::format("Tr Sigma = {} is not a positive number: no temperature or predictions", tr_sigma));
  }
  if (p.kind == Protocol::fixed_lr && p.eta * p.lambda >= 1.0)
    flags.push_back(fmt::format("eta * lambda = {:.4g} >= 1: each step's weight decay factor 1 - eta lambda zeroes or "
                                "flips the weights; the closed forms assume eta lambda << 1",
                                p.eta * p.lambda));
  out["T"] = T;
  out["T_se"] = std::isfinite(T) ? T * tr_sigma_se / tr_sigma * (p.kind == Protocol::fixed_lr ? 0.5 : 1.0) : kNaN;
  if (p.kind != Protocol::fixed_sphere) {
    // r_discrete ~ X^(1/4) (fixed LR) or X^(1/2) (fixed ELR): its SE from X's.
    const double power = p.kind == Protocol::fixed_lr ? 0.25 : 0.5;
    const double r_discrete_se = r_discrete * power * x.se / x.mean;
    out["r_sde"] = r_sde;
    out["r_discrete"] = r_discrete;
    out["r_discrete_se"] = r_discrete_se;
    const auto [err, err_se] = relative_error(r.mean, r.se, r_discrete, r_discrete_se);
    out["r_rel_err_discrete"] = err;
    out["r_rel_err_discrete_se"] = err_se;
    // Radial relaxation time (linearised radius SDE, docs/theory.md §2): 1/(4 eta lambda) or 1/(2 eta_eff^2 X).
    const double tau_r = p.kind == Protocol::fixed_lr ? 1.0 / (4.0 * p.eta * p.lambda)
                                                      : 1.0 / (2.0 * p.eta_eff * p.eta_eff * x.mean);
    out["radial_relaxation_iterations"] = tau_r;
    const double window = static_cast<double>(c.run.iterations - window_start);
    if (window < kWindowRelaxations * tau_r)
      flags.push_back(fmt::format("the window ({} iterations) is shorter than {} radial relaxation times ({:.3g} "
                                  "iterations each): r and its SE are not reliable",
                                  window, kWindowRelaxations, tau_r));
    if (static_cast<double>(window_start) < kStartRelaxations * tau_r)
      flags.push_back(fmt::format("the window starts at iteration {}, before {} radial relaxation times ({:.3g} "
                                  "iterations each): the radius may still be relaxing",
                                  window_start, kStartRelaxations, tau_r));
  } else {
    out["r_sde"] = out["r_discrete"] = p.radius;  // the sphere keeps its radius
    const SeriesStats le = series_stats(s.lambda_eff.means);
    out["lambda_eff"] = le.mean;
    out["lambda_eff_se"] = le.se;
    out["lambda_eff_sde"] = lambda_eff_sde;
    out["lambda_eff_discrete"] = lambda_eff_discrete;
    const double pred_se = lambda_eff_discrete * x.se / x.mean;  // lambda_eff_discrete ~ X
    out["lambda_eff_discrete_se"] = pred_se;
    // Measurement and prediction come from the same steps (per step, lambda_eff ~ eta_eff X_t / (2 r^2) to first
    // order), so their noise is shared: the SE of the relative error is that of the paired per-block difference
    // lambda_eff_b - eta_eff X_b / (2 r^2), not the two SEs combined as if independent.
    std::vector<double> diff;
    const double per_x = p.eta_eff / (2.0 * p.radius * p.radius);
    for (std::size_t b = 0; b < s.lambda_eff.means.size() && b < s.grad_sq_unit.means.size(); ++b)
      diff.push_back(s.lambda_eff.means[b] - per_x * s.grad_sq_unit.means[b]);
    const SeriesStats paired = series_stats(diff);
    const double scale = per_x * x.mean;  // = the discrete prediction with G + Tr Sigma = X
    out["lambda_eff_rel_err_discrete"] = le.mean / lambda_eff_discrete - 1.0;
    out["lambda_eff_rel_err_discrete_se"] = paired.se / scale;
    out["series_lambda_eff"] = series_json(le, block);
    if (!le.reliable) flags.push_back("lambda_eff: " + le.reason);
  }

  out["series"] = {{"loss", series_json(loss, block)},
                   {"radius", series_json(r, block)},
                   {"grad_sq_unit", series_json(x, block)}};
  if (!loss.reliable) flags.push_back("loss: " + loss.reason);
  if (!r.reliable && p.kind != Protocol::fixed_sphere) flags.push_back("radius: " + r.reason);
  if (!x.reliable) flags.push_back("|w|^2 |g|^2: " + x.reason);

  // Entropy: the paper's queue and the decorrelated one, side by side.
  out["S_sphere"] = kNaN;
  out["S_sphere_se"] = kNaN;
  out["S"] = kNaN;
  out["adjacent_nn_fraction"] = kNaN;
  if (entropy.paper) {
    const EntropyEstimate& e = *entropy.paper;
    out["S_sphere"] = e.spherical_entropy;
    out["S_sphere_se"] = e.se;
    out["S"] = e.total_entropy;
    out["adjacent_nn_fraction"] = e.adjacent_nn_fraction;
    out["entropy_paper"] = entropy_json(e);
    out["entropy_paper"]["stride"] = c.measure.queue_stride;
    if (e.adjacent_nn_fraction > kAdjacentWarning)
      flags.push_back(fmt::format("paper-convention entropy: {:.0f} % of nearest neighbours are adjacent snapshots; it "
                                  "measures the step size more than the stationary spread (see entropy_decorrelated)",
                                  100.0 * e.adjacent_nn_fraction));
  }
  if (entropy.decorrelated) {
    const EntropyEstimate& e = *entropy.decorrelated;
    nlohmann::json j = entropy_json(e);
    const double tau_loss = loss.tau * static_cast<double>(block);
    j["stride"] = entropy.decorrelated_stride;
    j["stride_over_tau_loss"] = static_cast<double>(entropy.decorrelated_stride) / tau_loss;
    out["entropy_decorrelated"] = j;
    if (static_cast<double>(entropy.decorrelated_stride) < tau_loss)
      flags.push_back(fmt::format("decorrelated entropy: snapshots {} iterations apart, less than the loss's "
                                  "autocorrelation time {:.3g}",
                                  entropy.decorrelated_stride, tau_loss));
  }
  if (!s.entropy_error.empty()) flags.push_back("entropy: " + s.entropy_error);
  out["flags"] = flags;
  out["reliable"] = flags.empty();
  return out;
}

}  // namespace idealgas::train
