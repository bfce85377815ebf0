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
// The paper's stationary entropy: the mean over the last 30 log points (docs/paper-setup.md §2).
constexpr std::size_t kPaperEntropyLogPoints = 30;

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
  double fresh_se_sq_sum = 0.0;  // the log points' own SEs of the fresh estimator, squared
  for (const LogRecord& l : s.logs) {
    if (l.iteration <= window_start) continue;
    g_at_logs.push_back(l.grad_norm_sq_unit);
    full_loss.push_back(l.train_loss);
    if (std::isfinite(l.train_accuracy)) train_acc.push_back(l.train_accuracy);  // none for the isotropic model
    if (std::isfinite(l.test_loss)) {
      test_loss.push_back(l.test_loss);
      test_acc.push_back(l.test_accuracy);
    }
    if (std::isfinite(l.tr_sigma_fresh)) {
      fresh.push_back(l.tr_sigma_fresh);
      fresh_se_sq_sum += l.tr_sigma_fresh_se * l.tr_sigma_fresh_se;
    }
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
  out["train_accuracy"] = train_acc.empty() ? kNaN : series_stats(train_acc).mean;
  out["test_loss"] = test_loss.empty() ? kNaN : series_stats(test_loss).mean;
  out["test_accuracy"] = test_acc.empty() ? kNaN : series_stats(test_acc).mean;
  out["r_mean"] = r.mean;
  out["r_se"] = r.se;
  out["r_sq_mean"] = r_sq.mean;
  out["r_sq_se"] = r_sq.se;
  out["grad_sq_unit_mean"] = x.mean;  // X = Tr Sigma + G
  out["grad_sq_unit_se"] = x.se;
  out["grad_norm_sq"] = g.mean;
  out["grad_norm_sq_se"] = g.se;

  // Two estimates of Tr Sigma(w_hat). The steps' own: X - G (the same steps that set the radius, so a radius
  // predicted from it agrees with the measured one by the norm identity, whatever the physics). The fresh batches':
  // an independent measurement at the log points. The physics (T, Z, the noise-only radius) uses the fresh one where
  // the run measured it (measure.fresh_batches > 0), else the steps'.
  const double tr_steps = x.mean - (g_at_logs.empty() ? kNaN : g.mean);
  const double tr_steps_se = std::hypot(x.se, g_at_logs.size() >= 2 ? g.se : kNaN);
  out["tr_sigma_steps"] = tr_steps;
  out["tr_sigma_steps_se"] = tr_steps_se;
  double tr_sigma = tr_steps, tr_sigma_se = tr_steps_se;
  std::string tr_source = "steps";
  if (!fresh.empty()) {
    const SeriesStats f = series_stats(fresh);
    // The spread of a handful of log points' means misjudges its own SE (10 points gave 0.0035 where the points' own
    // SEs imply 0.045): the SE is the larger of it and the points' SEs propagated to their mean.
    const double propagated = std::sqrt(fresh_se_sq_sum) / static_cast<double>(fresh.size());
    out["tr_sigma_fresh"] = f.mean;
    out["tr_sigma_fresh_se"] = std::isfinite(f.se) ? std::max(f.se, propagated) : propagated;
    out["tr_sigma_fresh_log_points"] = fresh.size();
    tr_sigma = f.mean;
    tr_sigma_se = out["tr_sigma_fresh_se"].get<double>();
    tr_source = "fresh_batches";
    // BatchNorm normalises with the batch's own statistics, so a batch gradient and a fresh batch's differ by a
    // batch-size term the isotropic model does not have: the two estimators' ratio measures it.
    const auto [ratio_m1, ratio_se] = relative_error(tr_steps, tr_steps_se, f.mean, tr_sigma_se);
    out["tr_sigma_steps_over_fresh"] = 1.0 + ratio_m1;
    out["tr_sigma_steps_over_fresh_se"] = ratio_se;
  }
  const double dm1 = static_cast<double>(d - 1);
  out["tr_sigma"] = tr_sigma;
  out["tr_sigma_se"] = tr_sigma_se;
  out["tr_sigma_source"] = tr_source;
  out["sigma2"] = tr_sigma / dm1;
  out["sigma2_se"] = tr_sigma_se / dm1;
  const bool noise_ok = tr_sigma > 0.0 && std::isfinite(tr_sigma);
  if (!noise_ok)
    flags.push_back(fmt::format("Tr Sigma = {} ({}) is not a positive number: no temperature, Z or predictions",
                                tr_sigma, tr_source));
  const bool sphere = p.kind == Protocol::fixed_sphere;
  // The state variables (docs/theory.md §3): V = E[r^2]/2 (sphere: r^2/2), P = lambda (sphere: the measured
  // lambda_eff), T = eta_eff sigma2 / 2 at the state's own eta_eff (theory::measured_temperature: one T).
  const SeriesStats le = sphere ? series_stats(s.lambda_eff.means) : SeriesStats{};
  const double r_sq_state = sphere ? p.radius * p.radius : r_sq.mean;
  const double r_sq_rel_se = sphere ? 0.0 : r_sq.se / r_sq.mean;
  const double P = sphere ? le.mean : p.lambda, P_rel_se = sphere ? le.se / le.mean : 0.0;
  const double tr_rel_se = tr_sigma_se / tr_sigma;
  double T = kNaN, T_se = kNaN, Z = kNaN, Z_se = kNaN;
  if (noise_ok) {
    T = theory::measured_temperature(p, r_sq_state, tr_sigma / dm1);
    // Fixed LR: T ~ sigma2 / E[r^2]; ELR and sphere: T ~ sigma2.
    T_se = T * std::hypot(tr_rel_se, p.kind == Protocol::fixed_lr ? r_sq_rel_se : 0.0);
    Z = theory::compressibility_factor(p, r_sq_state, P, tr_sigma);
    // Z ~ P r^2 / (eta_eff Tr Sigma): fixed LR r^4 (eta_eff = eta / r^2), ELR r^2, sphere lambda_eff.
    Z_se = Z * std::hypot(p.kind == Protocol::fixed_lr ? 2.0 * r_sq_rel_se : r_sq_rel_se, P_rel_se, tr_rel_se);
  }
  out["T"] = T;
  out["T_se"] = T_se;
  out["P"] = P;
  out["V"] = 0.5 * r_sq_state;
  out["V_se"] = 0.5 * (sphere ? 0.0 : r_sq.se);
  out["Z"] = Z;
  out["Z_se"] = Z_se;
  const double G = g_at_logs.empty() ? kNaN : g.mean;
  out["grad_share"] = G / tr_sigma;  // G / Tr Sigma: Z - 1 to first order (App. H)
  out["grad_share_se"] = std::abs(G / tr_sigma) * std::hypot(g.se / G, tr_rel_se);

  // Predictions: from the noise alone (SDE, the ideal gas: Z = 1), with the full gradient (App. H and the exact
  // one-step identity, Z = Z_one_step), and, for the stationarity check, from the steps' own X.
  double T_sde = kNaN, r_sde = kNaN, r_discrete = kNaN, r_one_step = kNaN, lambda_eff_sde = kNaN,
         lambda_eff_discrete = kNaN, lambda_eff_one_step = kNaN, Z_one_step = kNaN;
  double identity = kNaN;  // one-step prediction from the steps' X: r^2 (lr, elr) or lambda_eff (sphere)
  double identity_slope = kNaN;  // its derivative in X, for the paired standard error
  if (noise_ok && std::isfinite(G)) {
    theory::StationaryInputs in = theory::stationary_inputs(p, d, tr_sigma / dm1);
    in.grad_norm_sq = G;
    // Hyperparameters that are valid but outside what the closed forms represent (a temperature below the
    // smallest normal double) leave the run's measurements standing: no predictions, and a flag saying why.
    try {
      const theory::StationaryState th = theory::stationary_state(p.kind, in);
      T_sde = th.T;
      r_sde = th.r;
      r_discrete = th.r_discrete;
      r_one_step = th.r_one_step;
      lambda_eff_sde = th.lambda_eff;
      lambda_eff_discrete = th.lambda_eff_discrete;
      lambda_eff_one_step = th.lambda_eff_one_step;
      Z_one_step = sphere ? theory::compressibility_factor(p, r_sq_state, lambda_eff_one_step, tr_sigma)
                          : theory::compressibility_factor(p, r_one_step * r_one_step, p.lambda, tr_sigma);
      // The stationarity check's prediction: the one-step identity at the steps' X = (Tr Sigma_steps + G).
      const auto one_step_at = [&](double x_value) {
        theory::StationaryInputs at = theory::stationary_inputs(p, d, (x_value - G) / dm1);
        at.grad_norm_sq = G;
        const theory::StationaryState t = theory::stationary_state(p.kind, at);
        return sphere ? t.lambda_eff_one_step : t.r_one_step * t.r_one_step;
      };
      if (tr_steps > 0.0 && !sphere) {
        constexpr double kStep = 1e-4;  // relative step of the numerical derivative (smooth in X)
        identity = one_step_at(x.mean);
        identity_slope = (one_step_at(x.mean * (1 + kStep)) - one_step_at(x.mean * (1 - kStep))) / (2 * kStep * x.mean);
      }
    } catch (const InputError& e) {
      flags.push_back(fmt::format("no predictions: {}", e.what()));
    }
  }
  if (p.kind == Protocol::fixed_lr && p.eta * p.lambda >= 1.0)
    flags.push_back(fmt::format("eta * lambda = {:.4g} >= 1: each step's weight decay factor 1 - eta lambda zeroes or "
                                "flips the weights; the closed forms assume eta lambda << 1",
                                p.eta * p.lambda));
  out["T_sde"] = T_sde;  // the closed form at the SDE radius (fixed LR: sqrt(eta lambda sigma2 / (2(d-1))))
  out["Z_one_step"] = Z_one_step;
  // Z_one_step ~ (Tr Sigma + G) / Tr Sigma: its SE from G's and Tr Sigma's.
  out["Z_one_step_se"] = std::abs(Z_one_step - 1.0) * std::hypot(g.se / G, tr_rel_se);

  // V1 as two checks (docs/train.md): the stationarity of the radius (measured against the one-step identity at the
  // same steps' X: true in any stationary window, so it can only fail while the radius still relaxes) and the
  // physics (measured against the prediction from the noise alone, i.e. Z = 1). The first's SE pairs measurement
  // and prediction block by block (they share the steps' noise).
  std::vector<double> paired;
  for (std::size_t b = 0; b < s.radius_sq.means.size() && b < s.grad_sq_unit.means.size(); ++b)
    paired.push_back(s.radius_sq.means[b] - identity_slope * s.grad_sq_unit.means[b]);
  const double paired_se = std::isfinite(identity_slope) ? series_stats(paired).se : kNaN;
  // The App. H predictions scale with X_pred = Tr Sigma + G of the physics' noise estimate: their relative SE.
  const double x_pred_rel_se = std::hypot(tr_sigma_se, g.se) / (tr_sigma + G);
  if (!sphere) {
    const double r_discrete_se = r_discrete * (p.kind == Protocol::fixed_lr ? 0.25 : 0.5) * x_pred_rel_se;
    out["r_sde"] = r_sde;
    out["r_discrete"] = r_discrete;
    out["r_discrete_se"] = r_discrete_se;
    out["r_one_step"] = r_one_step;
    const auto [err, err_se] = relative_error(r.mean, r.se, r_discrete, r_discrete_se);
    out["r_rel_err_discrete"] = err;
    out["r_rel_err_discrete_se"] = err_se;
    // Stationarity: E[r^2] against the identity's r^2 (relative error on r: half of r^2's).
    out["stationarity_rel_err"] = 0.5 * (r_sq.mean / identity - 1.0);
    out["stationarity_rel_err_se"] = 0.5 * paired_se / identity;
    // Physics: r against the SDE radius from the noise alone (Z = 1 <=> r = r_sde).
    const double r_sde_se = r_sde * (p.kind == Protocol::fixed_lr ? 0.25 : 0.5) * tr_rel_se;
    const auto [phys, phys_se] = relative_error(r.mean, r.se, r_sde, r_sde_se);
    out["physics_rel_err"] = phys;
    out["physics_rel_err_se"] = phys_se;
    // Radial relaxation time of the linearised radius dynamics (theory::relaxation_times, the one definition).
    const double tau_r = theory::relaxation_times(p, noise_ok ? tr_sigma : tr_steps).radial;
    out["radial_relaxation_iterations"] = tau_r;
    const double window = static_cast<double>(c.run.iterations - window_start);
    out["window_over_radial_relaxation"] = window / tau_r;
    if (!(window >= kWindowRelaxations * tau_r))
      flags.push_back(fmt::format("the window ({} iterations) is shorter than {} radial relaxation times ({:.3g} "
                                  "iterations each): r and its SE are not reliable",
                                  window, kWindowRelaxations, tau_r));
    if (!(static_cast<double>(window_start) >= kStartRelaxations * tau_r))
      flags.push_back(fmt::format("the window starts at iteration {}, before {} radial relaxation times ({:.3g} "
                                  "iterations each): the radius may still be relaxing",
                                  window_start, kStartRelaxations, tau_r));
  } else {
    out["r_sde"] = out["r_discrete"] = out["r_one_step"] = p.radius;  // the sphere keeps its radius
    out["lambda_eff"] = le.mean;
    out["lambda_eff_se"] = le.se;
    out["lambda_eff_sde"] = lambda_eff_sde;
    out["lambda_eff_discrete"] = lambda_eff_discrete;
    out["lambda_eff_one_step"] = lambda_eff_one_step;
    const double pred_se = lambda_eff_discrete * x_pred_rel_se;  // lambda_eff_discrete ~ Tr Sigma + G
    out["lambda_eff_discrete_se"] = pred_se;
    const auto [disc, disc_se] = relative_error(le.mean, le.se, lambda_eff_discrete, pred_se);
    out["lambda_eff_rel_err_discrete"] = disc;
    out["lambda_eff_rel_err_discrete_se"] = disc_se;
    // No stationarity check on the sphere: the radius is set, and each step's lambda_eff is an exact function of
    // that step's X, so "measured against the identity" would only measure the curvature of that function.
    out["stationarity_rel_err"] = kNaN;
    out["stationarity_rel_err_se"] = kNaN;
    const auto [phys, phys_se] = relative_error(le.mean, le.se, lambda_eff_sde, lambda_eff_sde * tr_rel_se);
    out["physics_rel_err"] = phys;
    out["physics_rel_err_se"] = phys_se;
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
  // S_sphere, S: the final paper-convention queue. S_sphere_logs, S_logs: the paper's own convention, the mean of the
  // estimates at the last kPaperEntropyLogPoints log points (their queues overlap, so the SE over them is a floor).
  out["S_sphere"] = kNaN;
  out["S_sphere_se"] = kNaN;
  out["S"] = kNaN;
  out["S_se"] = kNaN;
  out["adjacent_nn_fraction"] = kNaN;
  std::vector<double> s_sphere_logs, s_total_logs;
  for (auto l = s.logs.rbegin(); l != s.logs.rend() && s_sphere_logs.size() < kPaperEntropyLogPoints; ++l)
    if (std::isfinite(l->entropy_sphere) && std::isfinite(l->entropy_total)) {
      s_sphere_logs.push_back(l->entropy_sphere);
      s_total_logs.push_back(l->entropy_total);
    }
  const SeriesStats s_sphere_logs_stats = series_stats(s_sphere_logs), s_total_logs_stats = series_stats(s_total_logs);
  out["S_sphere_logs"] = s_sphere_logs.empty() ? kNaN : s_sphere_logs_stats.mean;
  out["S_sphere_logs_se"] = s_sphere_logs_stats.se;
  out["S_logs"] = s_total_logs.empty() ? kNaN : s_total_logs_stats.mean;
  out["S_logs_se"] = s_total_logs_stats.se;
  out["S_logs_points"] = s_sphere_logs.size();
  if (entropy.paper) {
    const EntropyEstimate& e = *entropy.paper;
    out["S_sphere"] = e.spherical_entropy;
    out["S_sphere_se"] = e.se;
    out["S"] = e.total_entropy;
    out["S_se"] = e.total_se;
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
