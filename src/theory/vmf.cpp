// Exact VMF statistics from positive series; the derivation of the series is summarised in vmf.hpp.
// Internally everything is written for a real Bessel order nu >= 0 (d = 2 nu + 2), so log_bessel_i and the
// VMF statistics share one implementation: alpha = nu + 1/2 = (d-1)/2, beta = 2 alpha = d - 1.
#include "idealgas/theory/vmf.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::theory {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log sqrt(2 pi)

// Series are summed outward from their largest term until a geometric bound on everything left is below this
// fraction of the running sum: a tenth of double's half-ulp, so truncation never shows in the result.
constexpr double kSeriesTailTolerance = 1e-17;
// Refuse arguments whose series would need more terms than this (~1 s); the VMF needs at most ~10 d terms,
// so this only bites for d beyond ~1e7 or for log_bessel_i at extreme orders.
constexpr double kMaxSeriesTerms = 2e8;
// Width of the summed window in standard deviations of the term distribution, used only for the estimate
// of the number of terms checked against kMaxSeriesTerms (a 1e-17 Gaussian tail is ~9 sigma each side).
constexpr double kSeriesWindowSigmas = 20.0;
// A peak at or below this index: the peak term's logarithm is built by multiplying exact term ratios from
// k = 0 (at most this many roundings, and the largest term stays below e^130: no overflow). Above it, from
// Stirling's series, grouped so that no large logarithms cancel.
constexpr double kDirectPeakMax = 64.0;
// Stirling's series with the 8 terms below has truncation error < 2e-18 for arguments >= 10; below 10 the
// remainder comes from std::lgamma, whose absolute error there is ~1e-15 at worst.
constexpr double kStirlingMinArg = 10.0;
// Hankel's large-argument expansion is used when x >= 50 (its neglected exponentially small part is
// e^{-2x} < 1e-43 relative) and |nu^2 - 1/4| / (2x) <= 1/2: then its terms fall at least like 0.5^j / j!
// (for j up to nu) and alternate with a sum >= e^{-1/2} of the largest term, so it converges to full double
// precision in < 30 terms with no cancellation. Outside that window the Kummer series is used.
constexpr double kHankelMinArg = 50.0;
constexpr double kHankelMaxParam = 0.5;
constexpr int kHankelMaxTerms = 100;
// A = 1 - U is exact to an ulp while U <= 1/2 (then A >= 1/2, Sterbenz); above, A comes from its own series.
constexpr double kMaxUForAFromU = 0.5;

/// Neumaier's compensated sum: the series have up to ~1e7 positive terms.
struct CompensatedSum {
  double sum = 0, carry = 0;
  void add(double v) {
    const double t = sum + v;
    carry += (std::fabs(sum) >= std::fabs(v)) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  double value() const { return sum + carry; }
};

/// lgamma(z) - [(z - 1/2) log z - z + log sqrt(2 pi)], z > 0: small (<= 0.16 for z >= 1/2) and smooth.
double stirling_remainder(double z) {
  if (z < kStirlingMinArg) return std::lgamma(z) - ((z - 0.5) * std::log(z) - z + kHalfLog2Pi);
  // B_{2n} / (2n (2n-1)), n = 1..8, times z^{1-2n}.
  static constexpr double kCoef[] = {1.0 / 12.0,      -1.0 / 360.0,       1.0 / 1260.0, -1.0 / 1680.0,
                                     1.0 / 1188.0,    -691.0 / 360360.0,  1.0 / 156.0,  -3617.0 / 122400.0};
  const double inv = 1.0 / z, inv2 = inv * inv;
  double acc = 0;
  for (int n = 7; n >= 0; --n) acc = acc * inv2 + kCoef[n];
  return acc * inv;
}

/// log|S^{d-1}| = log(2 pi^{d/2} / Gamma(d/2)) for real d > 0.
double log_sphere_area(double d) { return std::log(2.0) + 0.5 * d * std::log(kPi) - std::lgamma(0.5 * d); }

/// Sums a unimodal positive series outward from index k_peak (whose term is taken as 1). ratio(k) is
/// term_{k+1}/term_k and must decrease in k; visit(k, w) receives each relative term. Returns the sum.
/// Stopping rule: with decreasing ratios the terms left on a side are bounded by a geometric series.
template <class Ratio, class Visit>
double sum_outward(double k_peak, Ratio ratio, Visit visit) {
  CompensatedSum total;
  total.add(1.0);
  visit(k_peak, 1.0);
  double w = 1.0;
  for (double k = k_peak;; k += 1.0) {  // upward; the sum of terms past k+1 is <= w r/(1 - r)
    const double r = ratio(k);
    w *= r;
    total.add(w);
    visit(k + 1.0, w);
    if (r < 1.0 && w * r <= kSeriesTailTolerance * (1.0 - r) * total.value()) break;
  }
  w = 1.0;
  for (double k = k_peak; k > 0.0; k -= 1.0) {  // downward to k = 0
    const double r = 1.0 / ratio(k - 1.0);
    w *= r;
    total.add(w);
    visit(k - 1.0, w);
    if (r < 1.0 && w * r <= kSeriesTailTolerance * (1.0 - r) * total.value()) break;
  }
  return total.value();
}

void check_series_length(double k_peak, double inv_var_k, double nu, double x) {
  // Variance of the term distribution ~ 1 / (-d log ratio/dk) at the peak; window ~ 20 sigma.
  const double terms = kSeriesWindowSigmas * std::sqrt(1.0 / inv_var_k) + 1.0;
  if (!(terms <= kMaxSeriesTerms) || !(k_peak < 0x1p52))
    throw InputError(fmt::format("Bessel order {} at argument {} is out of the supported range (the series "
                                 "would need ~{:.3g} terms; VMF statistics are supported up to d ~ 1e7)",
                                 nu, x, terms));
}

/// Results shared by both branches, for order nu >= 0 and argument x > 0 (for the VMF: x = kappa, d = 2nu+2).
struct BesselMoments {
  double one_minus_ratio;  // 1 - I_{nu+1}(x)/I_nu(x) = E[s] = U
  double x2_var;           // x^2 Var(s) = x^2 d/dx [I_{nu+1}/I_nu] = C_V
  double log_scaled;       // log(e^{-x} I_nu(x))
  double sphere_entropy;   // S_sphere of VMF(x) on S^{2nu+1}
};

bool use_hankel(double nu, double x) {
  return x >= kHankelMinArg && std::fabs(nu * nu - 0.25) <= kHankelMaxParam * 2.0 * x;
}

/// Hankel: e^{-x} I_nu(x) sqrt(2 pi x) = Sigma(y) + O(e^{-2x}), Sigma(y) = sum_j (-a)_j (a+1)_j / j! y^j,
/// y = 1/(2x), a = nu - 1/2 (Watson's lemma on the s-density; terminates for half-integer nu, i.e. odd d).
/// With q = y Sigma'/Sigma and D2 = sum j^2 c_j y^j: U = (alpha + q)/x, C_V = alpha + q + D2/Sigma - q^2.
BesselMoments hankel(double nu, double x) {
  const double a = nu - 0.5, alpha = nu + 0.5, y = 0.5 / x;
  CompensatedSum sigma, d1, d2;
  double term = 1.0;
  sigma.add(1.0);
  int j = 0;
  for (; j < kHankelMaxTerms; ++j) {
    term *= (j - a) * (a + 1.0 + j) * y / (j + 1.0);
    const double jj = j + 1.0;
    sigma.add(term);
    d1.add(jj * term);
    d2.add(jj * jj * term);
    if (std::fabs(term) * jj * jj <= kSeriesTailTolerance * std::fabs(sigma.value())) break;
  }
  IDEALGAS_ASSERT(j < kHankelMaxTerms, fmt::format("Hankel expansion did not converge, nu={}, x={}", nu, x));
  const double s = sigma.value();
  const double q = d1.value() / s;
  BesselMoments out{};
  out.one_minus_ratio = (alpha + q) / x;
  out.x2_var = alpha + q + d2.value() / s - q * q;
  out.log_scaled = std::log(s) - 0.5 * std::log(2.0 * kPi * x);
  out.sphere_entropy = alpha * (std::log(2.0 * kPi / x) + 1.0) + q + std::log(s);
  return out;
}

/// Kummer series M(alpha, 2 alpha, 2x) = sum_k m_k, summed around its largest term m_{k0} (see vmf.hpp).
/// Returns log M(alpha, 2 alpha, -2x) = log(sum m_k) - 2x and the moments of s.
BesselMoments kummer(double nu, double x) {
  const double alpha = nu + 0.5, beta = 2.0 * nu + 1.0, two_x = 2.0 * x;
  // m_{k+1}/m_k = 2x (alpha+k) / ((beta+k)(k+1)) = 1 at the positive root of
  // k^2 + (beta+1-2x) k + beta - 2x alpha = 0 (none when x <= 1: the peak is k = 0).
  double k_root = 0.0;
  const double b = beta + 1.0 - two_x, c = beta - two_x * alpha;
  if (c < 0.0) {
    const double sq = std::sqrt(b * b - 4.0 * c);
    k_root = (b < 0.0) ? 0.5 * (sq - b) : -2.0 * c / (b + sq);  // the form without cancellation
  }
  const double k_peak = std::ceil(k_root);
  // Above kDirectPeakMax, -d log(ratio)/dk = 1/(k+1) + 1/(beta+k) - 1/(alpha+k) > 0 (alpha >= 1/2) is 1/Var(k).
  if (k_peak > kDirectPeakMax)
    check_series_length(k_peak, 1.0 / (k_peak + 1.0) + 1.0 / (beta + k_peak) - 1.0 / (alpha + k_peak), nu, x);

  // Summation starts at k0 (the peak, or 0 for a low peak); log m_{k0} - 2x is needed for the entropy.
  double k0 = k_peak;
  double log_peak_minus_2x;
  if (k_peak <= kDirectPeakMax) {
    k0 = 0.0;  // m_0 = 1; the sum below then climbs to the peak itself
    log_peak_minus_2x = -two_x;
  } else {
    // log m_k = [lgamma(alpha+k) - lgamma(alpha)] - [lgamma(beta+k) - lgamma(beta)] + k log 2x - lgamma(k+1).
    // With lgamma(z) = (z-1/2) log z - z + log sqrt(2 pi) + rho(z), the "-z" parts add to k+1 and the
    // (z-1/2) log z parts are regrouped around log(k+1) and log(2x), leaving only terms of size ~alpha log k:
    const double k = k0;
    const double log_terms = (alpha - 1.0) * std::log(k + 1.0) +
                             (alpha + k - 0.5) * std::log1p((alpha - 1.0) / (k + 1.0)) -
                             (beta - 0.5) * std::log(two_x) -
                             (beta + k - 0.5) * std::log1p((beta + k - two_x) / two_x) -
                             (alpha - 0.5) * std::log(alpha) + (beta - 0.5) * std::log(beta);
    const double remainders = stirling_remainder(alpha + k) - stirling_remainder(alpha) -
                              stirling_remainder(beta + k) + stirling_remainder(beta) -
                              stirling_remainder(k + 1.0);
    log_peak_minus_2x = log_terms + ((k + 1.0) - two_x) - kHalfLog2Pi + remainders;
  }

  // p_k ~ m_k; g(k) = beta/(beta+k) has E_p[g] = U. delta_k = g(k) - g(k_peak), written without cancellation,
  // is centred near the mean (so Var_p(delta) = E[delta^2] - E[delta]^2 does not cancel);
  // h_k = E[s^2 | k] - g(k)^2 > 0, so Var(s) = E_p[h] + Var_p(delta).
  const double g0 = beta / (beta + k_peak);
  CompensatedSum sum_delta, sum_delta_sq, sum_h;
  const double total = sum_outward(
      k0, [&](double k) { return two_x * (alpha + k) / ((beta + k) * (k + 1.0)); },
      [&](double k, double w) {
        const double delta = beta * (k_peak - k) / ((beta + k) * (beta + k_peak));
        const double h = beta * (beta + 2.0 * k) / ((beta + k) * (beta + k) * (beta + 1.0 + k));
        sum_delta.add(w * delta);
        sum_delta_sq.add(w * delta * delta);
        sum_h.add(w * h);
      });
  const double mean_delta = sum_delta.value() / total;
  const double var_delta = sum_delta_sq.value() / total - mean_delta * mean_delta;  // E[delta]^2 << E[delta^2]
  const double log_m = log_peak_minus_2x + std::log(total);

  BesselMoments out{};
  out.one_minus_ratio = g0 + mean_delta;
  out.x2_var = x * x * (sum_h.value() / total + var_delta);
  // Kummer: I_nu(x) = (x/2)^nu e^x M(nu+1/2, 2nu+1, -2x) / Gamma(nu+1).
  out.log_scaled = nu * std::log(0.5 * x) - std::lgamma(nu + 1.0) + log_m;
  out.sphere_entropy = log_sphere_area(2.0 * nu + 2.0) + log_m + x * out.one_minus_ratio;
  return out;
}

BesselMoments bessel_moments(double nu, double x) { return use_hankel(nu, x) ? hankel(nu, x) : kummer(nu, x); }

/// I_{nu+1}(x)/I_nu(x) from the power series of I: terms t_k = (x/2)^{2k} / (k! Gamma(nu+k+1)) (positive),
/// ratio = E_t[(x/2)/(nu+k+1)]. Exact where the ratio is small (x << nu), where 1 - U would cancel.
double bessel_ratio_power_series(double nu, double x) {
  const double half_x = 0.5 * x, q = half_x * half_x;
  // t_{k+1}/t_k = q/((k+1)(nu+k+1)) = 1 at k = (sqrt(nu^2+x^2) - nu - 2)/2, written without cancellation.
  const double k_root = (q - nu - 1.0) / (0.5 * (std::hypot(nu, x) + nu + 2.0));
  const double k0 = std::max(0.0, std::ceil(k_root));
  check_series_length(k0, 1.0 / (k0 + 1.0) + 1.0 / (nu + k0 + 1.0), nu, x);
  CompensatedSum weighted;
  const double total = sum_outward(
      k0, [&](double k) { return q / ((k + 1.0) * (nu + k + 1.0)); },
      [&](double k, double w) { weighted.add(w * half_x / (nu + k + 1.0)); });
  return weighted.value() / total;
}

/// A and U = 1 - A, each to full relative precision.
struct MeanResultant {
  double A, U;
};

MeanResultant mean_resultant(double nu, double x, const BesselMoments& m) {
  // Where U > 1/2, A = 1 - U would lose the digits of a small A; take A from its own positive series.
  if (m.one_minus_ratio > kMaxUForAFromU) return {bessel_ratio_power_series(nu, x), m.one_minus_ratio};
  return {1.0 - m.one_minus_ratio, m.one_minus_ratio};
}

double order_of(long long d) { return 0.5 * static_cast<double>(d) - 1.0; }

}  // namespace

double log_bessel_i(double nu, double x) {
  if (!(std::isfinite(nu) && nu >= 0.0))
    throw InputError(fmt::format("Bessel order nu must be a finite number >= 0, got {}", nu));
  require_non_negative("Bessel argument x", x);
  if (x == 0.0) return nu == 0.0 ? 0.0 : -std::numeric_limits<double>::infinity();
  return bessel_moments(nu, x).log_scaled + x;
}

double vmf_mean_resultant(long long d, double kappa) {
  require_dimension("d", d);
  require_non_negative("kappa", kappa);
  if (kappa == 0.0) return 0.0;
  const double nu = order_of(d);
  return mean_resultant(nu, kappa, bessel_moments(nu, kappa)).A;
}

double vmf_one_minus_mean_resultant(long long d, double kappa) {
  require_dimension("d", d);
  require_non_negative("kappa", kappa);
  if (kappa == 0.0) return 1.0;
  return bessel_moments(order_of(d), kappa).one_minus_ratio;
}

double uniform_sphere_entropy(long long d) {
  require_dimension("d", d);
  return log_sphere_area(static_cast<double>(d));
}

VmfStats vmf_stats(long long d, double T) {
  require_dimension("d", d);
  require_positive("T", T);
  const double kappa = 1.0 / T;
  if (!std::isfinite(kappa))
    throw InputError(fmt::format("T must be at least {} so that kappa = 1/T is finite, got {}",
                                 1.0 / std::numeric_limits<double>::max(), T));
  const double nu = order_of(d), dm1 = static_cast<double>(d - 1);
  const BesselMoments m = bessel_moments(nu, kappa);
  const MeanResultant ar = mean_resultant(nu, kappa, m);

  VmfStats s;
  s.U = ar.U;
  s.A = ar.A;
  s.S_sphere = m.sphere_entropy;
  s.C_V = m.x2_var;
  s.U_asymptotic = 0.5 * dm1 * T;
  s.S_sphere_asymptotic = 0.5 * dm1 * (std::log(2.0 * kPi) + std::log(T) + 1.0);  // no overflow of 2 pi e T
  s.C_V_asymptotic = 0.5 * dm1;
  s.grad_norm_sq = dm1 * ar.A * T;  // (d-1) A / kappa
  return s;
}

}  // namespace idealgas::theory
