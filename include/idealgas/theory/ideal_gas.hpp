// The thermodynamic dictionary of docs/theory.md §2-3 for the three protocols, with the discrete-time
// corrections of App. H (§5) and the potentials of the isotropic VMF gas (§4). Units: time in iterations,
// entropies in nats, gradients in unit-sphere units (||grad L(w_hat)||^2), radii in weight-space units.
// Conventions: R = (d-1)/2; T from the protocol's closed form; P = lambda (lr, elr) or lambda_eff (sphere);
// V = r^2/2 with r the SDE stationary radius (lr, elr) or the fixed radius (sphere).
#pragma once

#include "idealgas/protocol/protocol.hpp"  // Protocol, kNaN

namespace idealgas::theory {

/// Hyperparameters of one stationary state. NaN means "not given"; each protocol needs exactly its own:
///   fixed_lr: eta, lambda;   fixed_elr: eta_eff, lambda;   fixed_sphere: eta_eff, radius.
struct StationaryInputs {
  double eta = kNaN;           // learning rate, per iteration (fixed LR)
  double eta_eff = kNaN;       // effective learning rate eta/r^2 (fixed ELR, fixed sphere)
  double lambda = kNaN;        // weight decay (fixed LR, fixed ELR)
  double radius = kNaN;        // fixed radius r (fixed sphere)
  double sigma2 = 1.0;         // Tr Sigma(w_hat)/(d-1), unit-sphere units (isotropic: Sigma = sigma2 P_w_hat)
  long long d = 3;             // number of scale-invariant parameters
  double grad_norm_sq = kNaN;  // measured E||grad L(w_hat)||^2, unit-sphere units, for the discrete corrections;
                               // NaN: the isotropic VMF value (d-1) A_d(1/T) T (self-consistent in r for fixed LR)
};

/// Theory predictions for one stationary state. SDE quantities (T, P, V, r, lambda_eff) satisfy PV = RT;
/// the "_discrete" ones add E||grad L(w_hat)||^2 to Tr Sigma (App. H, Eq. 120-123). NaN where not applicable.
struct StationaryState {
  Protocol protocol = Protocol::fixed_lr;
  long long d = 3;
  double T = kNaN;           // temperature
  double P = kNaN;           // pressure: lambda (lr, elr), lambda_eff (sphere)
  double V = kNaN;           // volume r^2/2
  double r = kNaN;           // lr, elr: SDE stationary radius r* (Eq. 18, 12); sphere: the given radius
  double lambda_eff = kNaN;  // sphere: effective weight decay (d-1) T / r^2 (Eq. 81, 83); NaN otherwise
  double R = kNaN;           // gas constant (d-1)/2
  double r_discrete = kNaN;           // lr, elr: stationary radius with the discrete-time correction (App. H)
  double lambda_eff_discrete = kNaN;  // sphere: eta_eff (Tr Sigma + G) / (2 r^2) (App. H)
  // From the exact one-step norm identity |w_{t+1}|^2 = (1 - eta lambda)^2 |w_t|^2 + eta^2 |g_B|^2 (App. H keeps
  // only its first order in eta lambda; docs/numerics.md): with X = Tr Sigma + G,
  //   lr  r^4 = eta X / (lambda (2 - eta lambda));   elr  r^2 = (1 - sqrt(1 - eta_eff^2 X)) / (eta_eff lambda);
  //   sphere lambda_eff = (sqrt(1 + eta_eff^2 X) - 1) / (eta_eff r^2).
  // Left out: the radius fluctuation (E[r^2] E[1/r^2] - 1 = O(eta lambda / (d-1))) and, on the sphere, the spread
  // of |g_B|^2 (O(eta_eff^3)). NaN where no stationary state exists (elr: eta_eff^2 X >= 1).
  double r_one_step = kNaN;           // lr, elr
  double lambda_eff_one_step = kNaN;  // sphere
  double grad_norm_sq = kNaN;         // G = E||grad L(w_hat)||^2 used by the correction (measured or VMF)

  // Isotropic VMF gas at (T, P, r): potentials in nats (S) and loss units (U, F, G).
  double U = kNaN;         // internal energy E[L], exact VMF
  double S_sphere = kNaN;  // S(rho_w_hat), exact VMF
  double S = kNaN;         // S_sphere + (d-1) log r (Lemma 1, Eq. 20)
  double F = kNaN;         // Helmholtz U - T S (natural for the sphere: T, V fixed)
  double G = kNaN;         // Gibbs U - T S + P V (natural for lr and elr: T, P fixed)
  double C_V = kNaN;       // dU/dT, exact VMF
  double C_P = kNaN;       // C_V + R
  double gamma = kNaN;     // C_P / C_V
  double Z = kNaN;         // compressibility P V / (R T): 1 up to rounding for these SDE predictions
};

/// Relaxation times of the linearised dynamics around the stationary state, in iterations (docs/numerics.md):
/// angular 1/eta_eff (eta_eff = eta / r*^2 for fixed LR, r* the SDE radius); radial 1/(4 eta lambda) (fixed LR),
/// 1/(eta_eff^2 Tr Sigma) (fixed ELR), 0 (sphere: the radius is fixed). `tr_sigma` = Tr Sigma(w_hat), unit-sphere
/// units. Values are doubles: tiny hyperparameters give huge (possibly infinite) times, never an overflow.
struct RelaxationTimes {
  double angular = kNaN;
  double radial = kNaN;
  double r_sde = kNaN;  // the SDE stationary radius (sphere: the fixed radius)
  double longest() const { return angular > radial ? angular : radial; }
};
RelaxationTimes relaxation_times(const ProtocolParams& protocol, double tr_sigma);

/// The temperature of a measured state (docs/theory.md §3): T = eta_eff sigma2 / 2 at the state's own effective
/// learning rate, eta_eff = protocol.eta_eff_at(mean_r_sq) (fixed LR: eta / E[r^2]; it equals the closed form
/// sqrt(eta lambda sigma2 / (2(d-1))) when E[r^2] is the SDE radius r*^2; otherwise the closed form exceeds it by
/// E[r^2] / r*^2 = sqrt(Z)). The one definition of T for measured rows: trace.csv, summary.json and the grid tables use it.
double measured_temperature(const ProtocolParams& protocol, double mean_r_sq, double sigma2);

/// Compressibility Z = P V / (R T) of a state of squared radius r_sq (V = r_sq / 2) under pressure P (lambda; the
/// sphere's lambda_eff) with Tr Sigma(w_hat) = tr_sigma and T = measured_temperature: Z = 2 P r_sq / (eta_eff Tr Sigma).
/// With the App. H radius (Tr Sigma -> Tr Sigma + G) Z = 1 + G / Tr Sigma to first order: the full gradient's share.
double compressibility_factor(const ProtocolParams& protocol, double r_sq, double pressure, double tr_sigma);

/// Gas constant R = (d-1)/2 (d >= 2).
double gas_constant(long long d);

/// Predictions of docs/theory.md §3 for protocol p. Throws InputError naming the flag (--eta, --eta-eff, --lambda,
/// --radius, --sigma2, --d, --grad-norm-sq) when a required value is missing or not positive and finite, or
/// when a value that the protocol does not use is given.
StationaryState stationary_state(Protocol p, const StationaryInputs& in);

/// The inputs of stationary_state for one isotropic-model configuration: the protocol's two hyperparameters, d and
/// sigma2 (no measured gradient norm: the VMF value).
StationaryInputs stationary_inputs(const ProtocolParams& protocol, long long d, double sigma2);

}  // namespace idealgas::theory
