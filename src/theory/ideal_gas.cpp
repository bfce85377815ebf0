#include "idealgas/theory/ideal_gas.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <boost/math/tools/roots.hpp>
#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/theory/vmf.hpp"

namespace idealgas::theory {
namespace {

// The fixed-LR discrete radius solves r^4 = c (Tr Sigma + G(T(r))); TOMS 748 on u = r^4 stops when the bracket
// is this many bits wide (two ulps short of double: the root is then as good as its inputs).
constexpr int kRootBits = std::numeric_limits<double>::digits - 2;
// TOMS 748 needs ~10 evaluations here (G is smooth and monotone in practice); more means a bug.
constexpr std::uintmax_t kRootMaxIterations = 200;

bool given(double v) { return !std::isnan(v); }

double require_given(double value, const char* flag, const char* what, Protocol p) {
  if (!given(value))
    throw InputError(fmt::format("protocol {} needs {} ({})", protocol_name(p), flag, what));
  return require_positive(flag, value);
}

void require_absent(double value, const char* flag, Protocol p, const char* instead) {
  if (given(value))
    throw InputError(fmt::format("{} is not used by protocol {} (it takes {}), got {}", flag, protocol_name(p),
                                 instead, value));
}

/// G = E||grad L(w_hat)||^2: the measured value if given, else the isotropic VMF value at temperature T.
double grad_norm_sq_at(const StationaryInputs& in, double T) {
  return given(in.grad_norm_sq) ? in.grad_norm_sq : vmf_stats(in.d, T).grad_norm_sq;
}

/// Fixed LR, discrete: r^4 = c (Tr Sigma + G(T(r))), c = eta/(2 lambda), T(r) = eta sigma2/(2 r^2).
/// With a measured G the formula is explicit. With the VMF G, 0 < G < 1 brackets u = r^4 in
/// [c Tr Sigma, c (Tr Sigma + 1)], where the residual changes sign; TOMS 748 finds the root (a plain
/// fixed-point iteration need not contract when sigma2 is small).
struct RadiusAndGrad {
  double r, grad_norm_sq;
};

RadiusAndGrad fixed_lr_discrete_radius(const StationaryInputs& in, double c, double tr_sigma) {
  if (given(in.grad_norm_sq)) return {std::sqrt(std::sqrt(c * (tr_sigma + in.grad_norm_sq))), in.grad_norm_sq};
  const auto vmf_grad = [&](double u) {  // G at T(r) = eta sigma2 / (2 r^2), r^2 = sqrt(u)
    return vmf_stats(in.d, in.eta * in.sigma2 / (2.0 * std::sqrt(u))).grad_norm_sq;
  };
  const auto residual = [&](double u) { return u - c * (tr_sigma + vmf_grad(u)); };
  const double lo = c * tr_sigma, hi = c * (tr_sigma + 1.0);
  const double f_lo = residual(lo), f_hi = residual(hi);
  double u = lo;
  if (!(f_lo < 0.0)) {
    u = lo;  // G is below the rounding of Tr Sigma: the SDE radius
  } else if (!(f_hi > 0.0)) {
    u = hi;
  } else {
    std::uintmax_t iterations = kRootMaxIterations;
    const auto bracket = boost::math::tools::toms748_solve(
        residual, lo, hi, f_lo, f_hi, boost::math::tools::eps_tolerance<double>(kRootBits), iterations);
    // The bracket shrinks every step; when the iteration budget runs out first (extreme inputs whose residual is
    // flat to rounding), its midpoint is still within the bracket's width of the root.
    u = 0.5 * (bracket.first + bracket.second);
  }
  return {std::sqrt(std::sqrt(u)), vmf_grad(u)};
}

/// Potentials of the isotropic VMF gas at (T, P, r), filled into `s` (whose T, P, r, d are set).
void fill_potentials(StationaryState& s) {
  const VmfStats v = vmf_stats(s.d, s.T);
  s.V = 0.5 * s.r * s.r;
  s.U = v.U;
  s.S_sphere = v.S_sphere;
  s.S = v.S_sphere + static_cast<double>(s.d - 1) * std::log(s.r);
  s.F = s.U - s.T * s.S;
  s.G = s.F + s.P * s.V;
  s.C_V = v.C_V;
  s.C_P = s.C_V + s.R;
  s.gamma = s.C_P / s.C_V;
  s.Z = s.P * s.V / (s.R * s.T);
}

}  // namespace

RelaxationTimes relaxation_times(const ProtocolParams& p, double tr_sigma) {
  RelaxationTimes t;
  switch (p.kind) {
    case Protocol::fixed_lr:
      t.r_sde = std::sqrt(std::sqrt(p.eta * tr_sigma / (2.0 * p.lambda)));
      t.angular = t.r_sde * t.r_sde / p.eta;
      t.radial = 1.0 / (4.0 * p.eta * p.lambda);  // d/dr of the radius SDE's drift at r*: -4 eta lambda
      break;
    case Protocol::fixed_elr:
      t.r_sde = std::sqrt(p.eta_eff * tr_sigma / (2.0 * p.lambda));
      t.angular = 1.0 / p.eta_eff;
      t.radial = 1.0 / (p.eta_eff * p.eta_eff * tr_sigma);  // drift slope -2 lambda eta_eff r*^2
      break;
    case Protocol::fixed_sphere:
      t.r_sde = p.radius;
      t.angular = 1.0 / p.eta_eff;
      t.radial = 0.0;
      break;
  }
  return t;
}

double measured_temperature(const ProtocolParams& protocol, double mean_r_sq, double sigma2) {
  return 0.5 * protocol.eta_eff_at(mean_r_sq) * sigma2;
}

double compressibility_factor(const ProtocolParams& protocol, double r_sq, double pressure, double tr_sigma) {
  return 2.0 * pressure * r_sq / (protocol.eta_eff_at(r_sq) * tr_sigma);
}

double gas_constant(long long d) { return 0.5 * static_cast<double>(require_dimension("--d", d) - 1); }

StationaryInputs stationary_inputs(const ProtocolParams& protocol, long long d, double sigma2) {
  StationaryInputs in;
  in.sigma2 = sigma2;
  in.d = d;
  switch (protocol.kind) {
    case Protocol::fixed_lr:
      in.eta = protocol.eta;
      in.lambda = protocol.lambda;
      break;
    case Protocol::fixed_elr:
      in.eta_eff = protocol.eta_eff;
      in.lambda = protocol.lambda;
      break;
    case Protocol::fixed_sphere:
      in.eta_eff = protocol.eta_eff;
      in.radius = protocol.radius;
      break;
  }
  return in;
}

StationaryState stationary_state(Protocol p, const StationaryInputs& in) {
  StationaryState s;
  s.protocol = p;
  s.d = require_dimension("--d", in.d);
  s.R = gas_constant(in.d);
  require_positive("--sigma2", in.sigma2);
  if (given(in.grad_norm_sq)) require_non_negative("--grad-norm-sq", in.grad_norm_sq);
  const double dm1 = static_cast<double>(in.d - 1);
  const double tr_sigma = in.sigma2 * dm1;  // Tr Sigma(w_hat), isotropic model

  switch (p) {
    case Protocol::fixed_lr: {
      const double eta = require_given(in.eta, "--eta", "the learning rate", p);
      const double lambda = require_given(in.lambda, "--lambda", "the weight decay", p);
      require_absent(in.eta_eff, "--eta-eff", p, "--eta, the learning rate");
      require_absent(in.radius, "--radius", p, "--eta and --lambda");
      const double c = eta / (2.0 * lambda);
      if (!(std::isfinite(c) && c > 0.0 && std::isfinite(c * tr_sigma) && c * tr_sigma > 0.0))
        throw InputError(fmt::format("--eta {} and --lambda {} put eta sigma2 (d-1)/(2 lambda) outside the range of "
                                     "double precision; choose values whose ratio is within 1e-300..1e300",
                                     eta, lambda));
      s.T = std::sqrt(eta * lambda * in.sigma2 / (2.0 * dm1));  // = eta sigma2 / (2 r*^2)
      s.P = lambda;
      s.r = std::sqrt(std::sqrt(c * tr_sigma));  // Eq. 18
      const RadiusAndGrad discrete = fixed_lr_discrete_radius(in, c, tr_sigma);
      s.r_discrete = discrete.r;
      s.grad_norm_sq = discrete.grad_norm_sq;
      const double eta_lambda = eta * lambda;
      if (eta_lambda < 2.0) s.r_one_step = fixed_lr_discrete_radius(in, eta / (lambda * (2.0 - eta_lambda)), tr_sigma).r;
      break;
    }
    case Protocol::fixed_elr: {
      const double eta_eff = require_given(in.eta_eff, "--eta-eff", "the effective learning rate", p);
      const double lambda = require_given(in.lambda, "--lambda", "the weight decay", p);
      require_absent(in.eta, "--eta", p, "--eta-eff, the effective learning rate");
      require_absent(in.radius, "--radius", p, "--eta-eff and --lambda");
      s.T = 0.5 * eta_eff * in.sigma2;
      s.P = lambda;
      s.r = std::sqrt(eta_eff * tr_sigma / (2.0 * lambda));  // Eq. 12
      s.grad_norm_sq = grad_norm_sq_at(in, s.T);
      s.r_discrete = std::sqrt(eta_eff * (tr_sigma + s.grad_norm_sq) / (2.0 * lambda));
      // 2a - a^2 = eta_eff^2 X with a = eta_eff lambda r^2; the root a < 1 written without cancellation.
      const double x = eta_eff * eta_eff * (tr_sigma + s.grad_norm_sq);
      if (x < 1.0) s.r_one_step = std::sqrt(x / (1.0 + std::sqrt(1.0 - x)) / (eta_eff * lambda));
      break;
    }
    case Protocol::fixed_sphere: {
      const double eta_eff = require_given(in.eta_eff, "--eta-eff", "the effective learning rate", p);
      const double radius = require_given(in.radius, "--radius", "the fixed radius", p);
      require_absent(in.eta, "--eta", p, "--eta-eff, the effective learning rate");
      require_absent(in.lambda, "--lambda", p, "--eta-eff and --radius; its pressure is lambda_eff");
      s.T = 0.5 * eta_eff * in.sigma2;
      s.r = radius;
      s.lambda_eff = dm1 * s.T / (radius * radius);  // Eq. 81, 83
      s.P = s.lambda_eff;
      s.grad_norm_sq = grad_norm_sq_at(in, s.T);
      s.lambda_eff_discrete = eta_eff * (tr_sigma + s.grad_norm_sq) / (2.0 * radius * radius);
      const double x = eta_eff * eta_eff * (tr_sigma + s.grad_norm_sq);
      s.lambda_eff_one_step = x / (std::sqrt(1.0 + x) + 1.0) / (eta_eff * radius * radius);
      break;
    }
  }
  fill_potentials(s);
  return s;
}

}  // namespace idealgas::theory
