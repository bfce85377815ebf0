// The stationary direction law of the discrete isotropic update, to first order in the angular step
// (docs/numerics.md "The direction law of the discrete update").
//
// Every protocol moves the direction by the same chain: w_hat' = (w_hat - h v) / |w_hat - h v| with
// v = P_w_hat (mu + sigma eps), eps ~ N(0, I_d). Its angular step h per iteration is
//   sphere: eta_eff;   fixed ELR: eta_eff / (1 - eta_eff lambda r^2);   fixed LR: eta / ((1 - eta lambda) r^2),
// (the weight decay shrinks w before the step is added, which lengthens the step relative to |w|), and the
// chain's continuous-time temperature is T_chain = h sigma2 / 2 (the protocol's T of docs/theory.md §3 when r is the
// SDE radius and eta lambda -> 0). The discrete chain is hotter still: the stationarity of E[<-mu, w_hat>] under
// one step, expanded in h at fixed T (c = <-mu, w_hat>, A = E[c]), reads
//   E[1 - c^2] - (d-1) T A = h (d-1) T [1 - (2d+1) T A] / 2 + O(h^2),
// where the continuous law (VMF, E[1 - c^2] = (d-1) T A) has 0. A VMF law satisfies it at
//   T_discrete = T_chain (1 + h [1 - (2d+1) T_chain A] / (2 A)),
// which is 1 + h/2 at small T (the Euler-Maruyama Ornstein-Uhlenbeck result) and 1 + 0.35 h at d = 3, T = 0.05.
// Measured on the paper's grids (d = 3 and 10, 289 rows per protocol): U is then within its SE of the VMF value at
// T_discrete (the VMF value at T is up to 26 SE below it at eta_eff = 0.1, d = 10, fixed ELR).
#pragma once

#include "idealgas/theory/ideal_gas.hpp"  // Protocol, StationaryInputs

namespace idealgas::theory {

struct DiscreteDirectionLaw {
  double step = kNaN;        // h: angular step per iteration, unit-sphere units
  double T_chain = kNaN;     // h sigma2 / 2
  double T = kNaN;           // T_discrete: the VMF temperature the first-order stationarity asks for
  double U = kNaN;           // exact VMF mean loss at T_discrete
  double S_sphere = kNaN;    // exact VMF entropy of the direction at T_discrete, nats
};

/// The largest first-order correction |T_discrete / T_chain - 1| trusted; beyond it the O(h^2) terms of the
/// expansion are no longer small and every field but step and T_chain is NaN.
inline constexpr double kMaxDirectionCorrection = 0.25;

/// The direction law of one configuration of protocol p (in: its hyperparameters, d and sigma2, as for
/// stationary_state; grad_norm_sq is not used). mean_r_sq: the measured stationary E[r^2] (fixed LR and ELR; the
/// sphere's radius is in `in`). NaN fields where the chain has no stationary law this expansion describes
/// (a weight-decay factor 1 - eta lambda or 1 - eta_eff lambda r^2 not positive, a correction beyond
/// kMaxDirectionCorrection, a mean_r_sq not positive and finite). Throws InputError for inputs stationary_state
/// refuses.
DiscreteDirectionLaw discrete_direction_law(Protocol p, const StationaryInputs& in, double mean_r_sq);

}  // namespace idealgas::theory
