// idealgas theory {vmf,stationary,uniform}: closed-form predictions of docs/theory.md §2-4, one JSON object
// each. Entropies in nats, gradients in unit-sphere units, time in iterations.
#include <cmath>
#include <limits>
#include <memory>
#include <initializer_list>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "commands.hpp"
#include "parse_args.hpp"
#include "idealgas/protocol/protocol.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/theory/ideal_gas.hpp"
#include "idealgas/theory/vmf.hpp"

namespace idealgas::cli {
namespace {

/// --d as written: an integer >= 2 (the sphere S^(d-1) needs d >= 2); "1e6" works, a value a double would round
/// does not.
long long dimension_from(const std::string& d) {
  return static_cast<long long>(parse_count("--d", d, 2, std::numeric_limits<long long>::max(), true));
}

/// An option that was given on the command line must carry a number: NaN would read as "not given".
void reject_nan_if_given(const CLI::Option* opt, double value) {
  if (opt->count() > 0 && std::isnan(value))
    throw InputError(fmt::format("{} must be a positive finite number, got {}", opt->get_name(), value));
}

// ---- theory vmf -------------------------------------------------------------------------------------------

struct VmfOptions {
  std::string d;
  double T = 0;
};

void run_vmf(const VmfOptions& opt) {
  const long long d = dimension_from(opt.d);
  require_positive("--T", opt.T);
  const theory::VmfStats s = theory::vmf_stats(d, opt.T);
  nlohmann::json out;
  out["d"] = d;
  out["T"] = opt.T;
  out["kappa"] = 1.0 / opt.T;
  out["U"] = s.U;
  out["S_sphere"] = s.S_sphere;
  out["U_asymptotic"] = s.U_asymptotic;
  out["S_sphere_asymptotic"] = s.S_sphere_asymptotic;
  out["A"] = s.A;
  out["C_V"] = s.C_V;
  out["C_V_asymptotic"] = s.C_V_asymptotic;
  out["grad_norm_sq"] = s.grad_norm_sq;
  out["S_uniform"] = theory::uniform_sphere_entropy(d);
  print_json(out);
}

// ---- theory stationary ------------------------------------------------------------------------------------

struct StationaryOptions {
  std::string protocol;
  double eta = kNaN, eta_eff = kNaN, lambda = kNaN, radius = kNaN, grad_norm_sq = kNaN;
  double sigma2 = 1.0;
  std::string d;
  const CLI::Option *eta_opt = nullptr, *eta_eff_opt = nullptr, *lambda_opt = nullptr, *radius_opt = nullptr,
                    *grad_opt = nullptr;
};

void run_stationary(const StationaryOptions& opt) {
  const Protocol p = parse_protocol(opt.protocol);
  for (const auto& [o, v] : {std::pair{opt.eta_opt, opt.eta}, std::pair{opt.eta_eff_opt, opt.eta_eff},
                             std::pair{opt.lambda_opt, opt.lambda}, std::pair{opt.radius_opt, opt.radius},
                             std::pair{opt.grad_opt, opt.grad_norm_sq}})
    reject_nan_if_given(o, v);

  theory::StationaryInputs in;
  in.d = dimension_from(opt.d);
  in.sigma2 = opt.sigma2;
  in.lambda = opt.lambda;
  in.radius = opt.radius;
  in.grad_norm_sq = opt.grad_norm_sq;
  if (p == Protocol::fixed_lr) {
    in.eta = opt.eta;
    in.eta_eff = opt.eta_eff;  // rejected by the library with a message naming --eta
  } else {
    // elr, sphere: the only learning rate is the effective one, so --eta is accepted as its alias.
    if (opt.eta_opt->count() > 0 && opt.eta_eff_opt->count() > 0)
      throw InputError(fmt::format("protocol {}: give --eta-eff or its alias --eta, not both", opt.protocol));
    in.eta_eff = opt.eta_eff_opt->count() > 0 ? opt.eta_eff : opt.eta;
  }
  const theory::StationaryState s = theory::stationary_state(p, in);

  nlohmann::json out;
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
    out["F"] = s.F;  // natural variables T, V
  else
    out["G"] = s.G;  // natural variables T, P
  out["C_V"] = s.C_V;
  out["C_P"] = s.C_P;
  out["gamma"] = s.gamma;
  out["Z"] = s.Z;
  print_json(out);
}

// ---- theory uniform ---------------------------------------------------------------------------------------

struct UniformOptions {
  std::string d;
};

void run_uniform(const UniformOptions& opt) {
  const long long d = dimension_from(opt.d);
  nlohmann::json out;
  out["d"] = d;
  out["S_uniform"] = theory::uniform_sphere_entropy(d);
  print_json(out);
}

}  // namespace

void setup_theory(CLI::App& app) {
  CLI::App* theory = app.add_subcommand(
      "theory",
      "Closed-form predictions (docs/theory.md §2-4): exact VMF statistics, stationary states, uniform sphere");
  theory->require_subcommand(1);

  auto vmf = std::make_shared<VmfOptions>();
  CLI::App* vmf_cmd = theory->add_subcommand(
      "vmf", "Exact von Mises-Fisher statistics on S^(d-1) at temperature T (kappa = 1/T): U, S_sphere (nats), "
             "C_V, A, E||grad L||^2, with their small-T asymptotics");
  vmf_cmd->add_option("--d", vmf->d, "number of parameters, integer >= 2 (1e6 accepted)")->required();
  vmf_cmd->add_option("--T", vmf->T, "temperature T > 0")->required();
  vmf_cmd->callback([vmf] { run_vmf(*vmf); });

  auto st = std::make_shared<StationaryOptions>();
  CLI::App* st_cmd = theory->add_subcommand(
      "stationary",
      "SDE stationary state (T, P, V, r or lambda_eff; PV = RT), its discrete-time correction (App. H) and the "
      "isotropic VMF gas potentials. lr needs --eta --lambda; elr needs --eta-eff --lambda; sphere needs "
      "--eta-eff --radius (for elr and sphere, --eta is accepted as an alias of --eta-eff)");
  st_cmd
      ->add_option("--protocol", st->protocol, "lr (fixed LR), elr (fixed effective LR) or sphere (fixed sphere)")
      ->required();
  st->eta_opt = st_cmd->add_option("--eta", st->eta,
                                   "learning rate (lr); for elr and sphere an alias of --eta-eff");
  st->eta_eff_opt =
      st_cmd->add_option("--eta-eff", st->eta_eff, "effective learning rate eta/r^2 (elr, sphere)");
  st->lambda_opt = st_cmd->add_option("--lambda", st->lambda, "weight decay (lr, elr)");
  st->radius_opt = st_cmd->add_option("--radius", st->radius, "fixed radius r (sphere)");
  st_cmd->add_option("--sigma2", st->sigma2, "isotropic noise variance, Tr Sigma(w_hat)/(d-1)")
      ->capture_default_str();
  st_cmd->add_option("--d", st->d, "number of parameters, integer >= 2 (1e6 accepted)")->required();
  st->grad_opt = st_cmd->add_option(
      "--grad-norm-sq", st->grad_norm_sq,
      "measured E||grad L(w_hat)||^2 (unit-sphere units) for the discrete correction; default: the VMF value");
  st_cmd->callback([st] { run_stationary(*st); });

  auto un = std::make_shared<UniformOptions>();
  CLI::App* un_cmd = theory->add_subcommand(
      "uniform", "Entropy (nats) of the uniform law on S^(d-1): log(2 pi^(d/2) / Gamma(d/2))");
  un_cmd->add_option("--d", un->d, "number of parameters, integer >= 2 (1e6 accepted)")->required();
  un_cmd->callback([un] { run_uniform(*un); });
}

}  // namespace idealgas::cli
