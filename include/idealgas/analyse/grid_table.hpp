// One protocol grid's stationary measurements, one row per configuration, theory beside measurement.
// This is the hand-over between simulate/measure (which fill it) and analyse/report (which read it).
// Units: iterations for time, nats for entropy, unit-sphere units for gradients; "_se" = standard error.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

struct StationaryRow {
  // Grid position: i indexes the first hyperparameter (eta for lr, eta_eff for elr and sphere),
  // j the second (lambda for lr and elr, radius for sphere). Both run 0..n-1 in increasing value.
  int i = 0, j = 0;
  double eta = kNaN;     // lr: learning rate; elr, sphere: effective learning rate eta_eff (per iteration)
  double lambda = kNaN;  // lr, elr: weight decay; sphere: NaN
  double radius = kNaN;  // sphere: the fixed radius r; lr, elr: NaN

  // Thermodynamic state. sigma2 = Tr Sigma(w_hat)/(d-1) of this configuration (isotropic model: the model's,
  // exact, SE 0; networks: measured). T from the protocol's closed form (docs/theory.md §3) with that sigma2 (T_se from
  // sigma2's); P = lambda (lr, elr) or the measured lambda_eff (sphere); V = measured mean of r^2/2 (sphere: r^2/2).
  double sigma2 = kNaN, sigma2_se = kNaN;
  double T = kNaN, T_se = kNaN, P = kNaN, V = kNaN, V_se = kNaN;
  double Z = kNaN, Z_se = kNaN;  // compressibility P V / (R T): 1 for the ideal gas (docs/theory.md §3, §7)
  // Z of the exact one-step radius (sphere: lambda_eff) with the measured full gradient G: 1 + G / Tr Sigma to first
  // order, the discrete-time ("real gas") term the ideal gas leaves out; grad_share = G / Tr Sigma.
  double Z_one_step = kNaN, Z_one_step_se = kNaN, grad_share = kNaN;

  // Measured stationary averages (means over the stationary window) and their standard errors.
  double U = kNaN, U_se = kNaN;                  // mean loss (networks: of the training batches, every step)
  double U_full_batch = kNaN, U_full_batch_se = kNaN;  // networks: full training loss at the log points (the paper's)
  double S_sphere = kNaN, S_sphere_se = kNaN;    // S(rho_w_hat), spherical KL entropy, nats
  double S = kNaN, S_se = kNaN;                  // total entropy S(rho_w_hat) + (d-1) log r_bar, nats
  double r_mean = kNaN, r_se = kNaN;             // mean radius
  double grad_norm_sq = kNaN;                    // E ||grad L(w_hat)||^2, unit-sphere units
  double lambda_eff = kNaN, lambda_eff_se = kNaN;  // sphere only: (E||w_tilde|| - r)/(eta_eff r^3)
  double adjacent_nn_fraction = kNaN;            // share of queue samples whose nearest neighbour is adjacent in time
  long long duplicates = 0;                      // duplicate snapshots seen by the entropy estimator

  // How much the numbers are worth (docs/numerics.md). ESS = var(x)/SE^2; tau_* = integrated autocorrelation time
  // measured from the batch means, in iterations; tau_model = the model's longest relaxation time.
  double U_ess = kNaN, r_ess = kNaN, lambda_eff_ess = kNaN;
  double S_estimates = kNaN;                     // independent estimates (dynamics: sub-blocks) behind S_se
  double tau_U = kNaN, tau_r = kNaN, tau_model = kNaN;
  double iterations = kNaN, burn_in = kNaN, window = kNaN, snapshot_stride = kNaN;  // iterations
  std::string flags;                             // ';'-separated reasons not to trust this row's SEs; "" = none

  // Predictions.
  double U_vmf = kNaN, S_sphere_vmf = kNaN;      // exact von Mises-Fisher at this T
  // The direction law of the discrete update (theory/discrete_direction.hpp): exact VMF at T_discrete, the
  // temperature its first-order stationarity asks for, from the measured E[r^2] (lr, elr). Isotropic model only.
  double T_discrete = kNaN, U_discrete = kNaN, S_sphere_discrete = kNaN;
  // What the KL estimator returns on average for exact VMF(T_discrete) samples of this row's size: S_sphere_discrete
  // plus the estimator's bias measured on such samples (analyse/kl_reference.hpp), with its Monte Carlo SE.
  double S_sphere_expected = kNaN, S_sphere_expected_se = kNaN;
  double S_pred = kNaN;                          // S_sphere_vmf + (d-1) log r_pred_sde
  double r_sde = kNaN, r_discrete = kNaN;        // lr, elr: stationary radius, SDE and discrete-time (App. H)
  double r_one_step = kNaN;                      // lr, elr: from the exact one-step norm identity (ideal_gas.hpp)
  double lambda_eff_sde = kNaN, lambda_eff_discrete = kNaN;  // sphere: (d-1)T/r^2 and the discrete form (App. H)
  double lambda_eff_one_step = kNaN;             // sphere: from the one-step norm identity
};

/// One numeric field of StationaryRow and its name: the columns of summary.csv and the keys of summary.json
/// (report/summary_csv.hpp, summary_json.hpp) and every per-field operation (e.g. combining replicas).
struct StationaryColumn {
  const char* name;
  double StationaryRow::*field;
};
/// Every numeric field, in summary.csv's column order.
const std::vector<StationaryColumn>& stationary_row_columns();

struct GridTable {
  Protocol protocol = Protocol::fixed_lr;
  long long d = 3;        // number of parameters
  int n_first = 0;        // number of values of the first hyperparameter (index i)
  int n_second = 0;       // number of values of the second hyperparameter (index j)
  std::vector<StationaryRow> rows;  // n_first * n_second rows, row index = i * n_second + j
  /// A network's grid (job kind train, the isotropic model through the trainer included): sigma2 is measured and the
  /// loss's stationary law, hence the potential, is unknown (V2, V4 not testable; V1's physics is Z). Set by the
  /// folder analysis from the sweep's job kind.
  bool network = false;

  /// Gas constant R = (d-1)/2.
  double gas_constant() const { return 0.5 * static_cast<double>(d - 1); }
  const StationaryRow& at(int i, int j) const { return rows[static_cast<size_t>(i) * n_second + j]; }

};

}  // namespace idealgas
