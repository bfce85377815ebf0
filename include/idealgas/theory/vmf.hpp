// Exact von Mises-Fisher statistics on the unit sphere S^{d-1} for the isotropic model's loss
// L(w_hat) = 1 + <mu, w_hat> at temperature T: the stationary law is VMF with mean -mu and concentration
// kappa = 1/T (docs/theory.md §4). Entropies in nats, losses and gradients in unit-sphere units.
//
// Numerics (why not plain Bessel functions): I_nu(kappa) over/underflows for large d or kappa, and U = 1 - A
// and C_V = kappa^2 (1 - A^2 - (d-1) A/kappa) cancel catastrophically at small T. Here every quantity is a
// sum of positive terms. With t = <-mu, w_hat>, s = 1 - t and alpha = (d-1)/2, the law of s on [0, 2] has
// density proportional to exp(-kappa s) (s(2-s))^(alpha-1); Kummer's transformation turns its moments into
// the series M(alpha, 2 alpha, 2 kappa) = sum_k m_k, m_k = (alpha)_k/(2 alpha)_k (2 kappa)^k/k! > 0; with
// p_k = m_k / sum m_k and h_k = (d-1)(d-1+2k)/((d-1+k)^2 (d+k)) > 0:
//   U = E[s] = E_p[(d-1)/(d-1+k)],   C_V = kappa^2 Var(s) = kappa^2 (E_p[h_k] + Var_p((d-1)/(d-1+k))),
//   S_sphere = log|S^{d-1}| + log M(alpha, 2 alpha, -2 kappa) + kappa U.
// The series is summed outward from its largest term (located in closed form), whose logarithm comes from
// Stirling's series grouped so that no large logarithms cancel. Where kappa >= 50 and |nu^2 - 1/4| <= kappa
// (nu = d/2 - 1; small d or very cold) Hankel's expansion in 1/(2 kappa) is used: < 30 terms, where the
// series would need ~20 sqrt(2 kappa). A = 1 - U, except where U > 1/2: there A comes from the positive
// power series of I_{nu+1}/I_nu, so it stays exact when it is tiny.
// Accuracy against 50-digit mpmath (tests/reference/vmf_mpmath.py) on d = 2..1e6 x T = 1e-6..1e3 plus both
// sides of every internal switch: U, A, C_V within 4e-16 relative; S_sphere within 4e-15 + 1e-15 |S|
// (a few ulps; at d = 1e6, |S| ~ 5e6, one ulp is 9e-10 and the worst error 1.9e-9).
// Cost: ~20 sqrt(Var k) terms: 0.3 ms at d = 1e6, T = 1e-6; at most ~10 d terms for any T (worst ~0.12 s at
// d = 1e6, T ~ 4e-12, just before Hankel takes over); microseconds elsewhere.
#pragma once

namespace idealgas::theory {

/// log I_nu(x) for order nu >= 0 and x >= 0 (finite), without overflow or underflow: log I_0(0) = 0,
/// log I_nu(0) = -inf for nu > 0. Throws InputError for other arguments.
double log_bessel_i(double nu, double x);

/// A_d(kappa) = I_{d/2}(kappa) / I_{d/2-1}(kappa) = E[<-mu, w_hat>] under VMF(kappa) on S^{d-1};
/// d >= 2, kappa >= 0 finite. Relative accuracy ~1e-14 also where A is tiny (kappa << d).
double vmf_mean_resultant(long long d, double kappa);

/// 1 - A_d(kappa), the internal energy U at T = 1/kappa, with no cancellation where A -> 1 (large kappa).
double vmf_one_minus_mean_resultant(long long d, double kappa);

/// Entropy of the uniform law on S^{d-1}, log|S^{d-1}| = log(2 pi^{d/2} / Gamma(d/2)), nats (via lgamma: no
/// overflow at large d). It is the T -> infinity limit of S_sphere.
double uniform_sphere_entropy(long long d);

/// Stationary statistics of the isotropic model on the unit sphere at temperature T (kappa = 1/T).
struct VmfStats {
  double U = 0;                    // E[L] = 1 - A_d(kappa), mean loss (internal energy)
  double S_sphere = 0;             // S(rho_w_hat) = -log C_d(kappa) - kappa A_d(kappa), nats (Eq. 105)
  double U_asymptotic = 0;         // (d-1) T / 2, small-T limit (Eq. 107)
  double S_sphere_asymptotic = 0;  // ((d-1)/2) log(2 pi e T), small-T limit (Eq. 108), nats
  double A = 0;                    // A_d(kappa) = E[<-mu, w_hat>], mean resultant length
  double C_V = 0;                  // dU/dT = kappa^2 (1 - A^2 - (d-1) A/kappa) = kappa^2 Var(<mu, w_hat>)
  double C_V_asymptotic = 0;       // (d-1)/2 = R, small-T limit
  double grad_norm_sq = 0;         // E||P_w_hat mu||^2 = (d-1) A / kappa, mean squared full-batch gradient
                                   // in unit-sphere units (feeds the discrete-time corrections, App. H)
};

/// Exact VMF statistics for d >= 2 and T > 0 finite (1/T must be finite too); throws InputError otherwise.
VmfStats vmf_stats(long long d, double T);

}  // namespace idealgas::theory
