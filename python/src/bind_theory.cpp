// Closed forms of docs/theory.md §2-4 (include/idealgas/theory/): vmf, stationary and uniform return the dicts of
// `idealgas theory {vmf,stationary,uniform}` (same keys, same numbers), plus the scalar functions
// they are built from. Hyperparameters are keyword-only and named as the CLI flags with '_' for '-' (lambda_ for
// --lambda, a Python keyword); messages from the library name the CLI flag.
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "idealgas/analyse/grid_table.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/theory/ideal_gas.hpp"
#include "idealgas/theory/vmf.hpp"

namespace idealgas::python {
namespace {

/// d as the CLI accepts it: an integer >= 2.
long long dimension_argument(const py::handle& d) {
  const long long v = integer_argument("d", d);
  if (v < 2) throw InputError(fmt::format("d must be an integer >= 2 (the sphere S^(d-1) needs d >= 2), got {}", v));
  return v;
}

/// A hyperparameter that may be left out (None): NaN for the library, which reads NaN as "not given". A value
/// that is given must be a number; NaN itself is refused (it would read as "not given").
double optional_value(const char* name, const std::optional<double>& v) {
  if (!v) return kNaN;
  if (std::isnan(*v)) throw InputError(fmt::format("{} must be a positive finite number, got nan", name));
  return *v;
}

py::dict vmf_dict(const py::handle& d_arg, double T) {
  const long long d = dimension_argument(d_arg);
  require_positive("T", T);
  const theory::VmfStats s = theory::vmf_stats(d, T);
  py::dict out;
  out["d"] = d;
  out["T"] = T;
  out["kappa"] = 1.0 / T;
  out["U"] = s.U;
  out["S_sphere"] = s.S_sphere;
  out["U_asymptotic"] = s.U_asymptotic;
  out["S_sphere_asymptotic"] = s.S_sphere_asymptotic;
  out["A"] = s.A;
  out["C_V"] = s.C_V;
  out["C_V_asymptotic"] = s.C_V_asymptotic;
  out["grad_norm_sq"] = s.grad_norm_sq;
  out["S_uniform"] = theory::uniform_sphere_entropy(d);
  return out;
}

py::dict stationary_dict(const std::string& protocol, const py::handle& d_arg, std::optional<double> eta,
                         std::optional<double> eta_eff, std::optional<double> lambda, std::optional<double> radius,
                         double sigma2, std::optional<double> grad_norm_sq) {
  const Protocol p = parse_protocol(protocol);
  theory::StationaryInputs in;
  in.d = dimension_argument(d_arg);
  in.eta = optional_value("eta", eta);
  in.eta_eff = optional_value("eta_eff", eta_eff);
  in.lambda = optional_value("lambda_", lambda);
  in.radius = optional_value("radius", radius);
  in.grad_norm_sq = optional_value("grad_norm_sq", grad_norm_sq);
  in.sigma2 = sigma2;
  const theory::StationaryState s = theory::stationary_state(p, in);

  // The keys of cli/cmd_theory.cpp run_stationary(), in its order of assignment.
  py::dict out;
  out["protocol"] = protocol_name(p);
  out["d"] = in.d;
  out["sigma2"] = in.sigma2;
  if (p == Protocol::fixed_lr) out["eta"] = in.eta;
  if (p != Protocol::fixed_lr) out["eta_eff"] = in.eta_eff;
  if (p != Protocol::fixed_sphere) out["lambda"] = in.lambda;
  out["T"] = s.T;
  out["P"] = s.P;
  out["V"] = s.V;
  if (p == Protocol::fixed_sphere) {
    out["radius"] = s.r;
    out["lambda_eff"] = s.lambda_eff;
  } else {
    out["r"] = s.r;
  }
  out["R"] = s.R;
  if (p == Protocol::fixed_sphere)
    out["lambda_eff_discrete"] = s.lambda_eff_discrete;
  else
    out["r_discrete"] = s.r_discrete;
  out["grad_norm_sq"] = s.grad_norm_sq;
  out["grad_norm_sq_source"] = std::isnan(in.grad_norm_sq) ? "vmf" : "measured";
  out["U"] = s.U;
  out["S_sphere"] = s.S_sphere;
  out["S"] = s.S;
  if (p == Protocol::fixed_sphere)
    out["F"] = s.F;
  else
    out["G"] = s.G;
  out["C_V"] = s.C_V;
  out["C_P"] = s.C_P;
  out["gamma"] = s.gamma;
  out["Z"] = s.Z;
  return out;
}

}  // namespace

void bind_theory(py::module_& m) {
  using py::arg;
  m.def("vmf", &vmf_dict, arg("d"), arg("T"),
        R"doc(vmf(d: int, T: float) -> dict

Exact von Mises-Fisher statistics on S^(d-1) at temperature T (kappa = 1/T), as `idealgas theory vmf`.

Returns a dict: d, T, kappa, U (mean loss 1 - A_d), S_sphere (nats), their small-T asymptotics U_asymptotic and
S_sphere_asymptotic, A (mean resultant length), C_V and C_V_asymptotic, grad_norm_sq (E||grad L(w_hat)||^2,
unit-sphere units) and S_uniform. d: integer >= 2; T > 0 finite. Raises InputError (a ValueError).)doc");

  m.def("stationary", &stationary_dict, arg("protocol"), py::kw_only(), arg("d"), arg("eta") = py::none(),
        arg("eta_eff") = py::none(), arg("lambda_") = py::none(), arg("radius") = py::none(),
        arg("sigma2") = 1.0, arg("grad_norm_sq") = py::none(),
        R"doc(stationary(protocol: str, *, d: int, eta=None, eta_eff=None, lambda_=None, radius=None, sigma2=1.0,
           grad_norm_sq=None) -> dict

Stationary state of one protocol (docs/theory.md §2-3), as `idealgas theory stationary`.

protocol: 'lr' (needs eta, lambda_), 'elr' (eta_eff, lambda_) or 'sphere' (eta_eff, radius). sigma2 = Tr Sigma(w_hat)
/ (d-1) in unit-sphere units; grad_norm_sq: a measured E||grad L(w_hat)||^2 for the discrete-time correction
(App. H; default: the isotropic VMF value). Returns the SDE state T, P, V, r (or radius, lambda_eff) with PV = RT,
R, the discrete-time r_discrete (lr, elr) or lambda_eff_discrete (sphere), the VMF potentials U, S_sphere, S,
G (lr, elr) or F (sphere), C_V, C_P, gamma and Z. Raises InputError naming the missing or invalid value (the
message names the CLI flag: --lambda is lambda_ here).)doc");

  m.def(
      "uniform",
      [](const py::handle& d_arg) {
        const long long d = dimension_argument(d_arg);
        py::dict out;
        out["d"] = d;
        out["S_uniform"] = theory::uniform_sphere_entropy(d);
        return out;
      },
      arg("d"), "uniform(d: int) -> dict\n\nEntropy (nats) of the uniform law on S^(d-1), as `idealgas theory uniform`: {'d', 'S_uniform'}.");

  m.def(
      "gas_constant", [](const py::handle& d) { return theory::gas_constant(dimension_argument(d)); }, arg("d"),
      "gas_constant(d: int) -> float\n\nGas constant R = (d-1)/2.");
  m.def(
      "uniform_sphere_entropy", [](const py::handle& d) { return theory::uniform_sphere_entropy(dimension_argument(d)); },
      arg("d"), "uniform_sphere_entropy(d: int) -> float\n\nlog|S^(d-1)| = log(2 pi^(d/2) / Gamma(d/2)) in nats.");
  m.def(
      "vmf_mean_resultant",
      [](const py::handle& d, double kappa) {
        require_non_negative("kappa", kappa);
        return theory::vmf_mean_resultant(dimension_argument(d), kappa);
      },
      arg("d"), arg("kappa"), "vmf_mean_resultant(d: int, kappa: float) -> float\n\nA_d(kappa) = I_{d/2}(kappa) / I_{d/2-1}(kappa); d >= 2, kappa >= 0 finite.");
  m.def("log_bessel_i", &theory::log_bessel_i, arg("nu"), arg("x"),
        "log_bessel_i(nu: float, x: float) -> float\n\nlog I_nu(x) for nu >= 0, x >= 0 finite, without overflow (log I_nu(0) = -inf for nu > 0).");
}

}  // namespace idealgas::python
