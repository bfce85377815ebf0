// idealgas check-si CONFIG.toml | --preset NAME | --model FILE.pt [--set section.key=value ...] [--factors LIST]
//                  [--rtol R] [--all-tracked] [--json]
// Measures whether a network is scale-invariant in its SI parameters (train/scale_invariance.hpp; the same
// definition, factors and tolerance as Python's idealgas.check_scale_invariance): the network is built as
// `idealgas train` builds it from the configuration and checked on the first batch of its training data. Exit 0
// when scale-invariant, 5 when not (the measured deviation is printed either way).
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/train/scale_invariance.hpp"
#include "idealgas/train/torch_failure.hpp"
#include "idealgas/train/trainer.hpp"
#include "idealgas/train/training_data.hpp"

namespace idealgas::cli {

namespace {

struct CheckSiOptions {
  std::string config;
  std::string preset;
  std::string model;
  std::vector<std::string> sets;
  std::vector<double> factors = train::scale_invariance_factors();
  double rtol = 0.0;
  bool rtol_given = false;  // otherwise model.si_rtol of the configuration
  bool all_tracked = false;
  bool json = false;
};

void run_check_si(const CheckSiOptions& o) {
  std::vector<std::string> sets;
  if (o.config.empty() && o.preset.empty()) {
    // The protocol does not enter the check (the SI weights start at norm 1 whatever it is), but a configuration
    // needs one: a placeholder that --set can replace.
    sets.insert(sets.end(), {"protocol.name=elr", "protocol.eta_eff=0.01", "protocol.lambda=0.001"});
  }
  if (!o.model.empty()) {  // before --set, so that those can refine it
    sets.push_back("model.arch=torchscript");
    sets.push_back("model.path=" + toml_quote(o.model));
  }
  sets.insert(sets.end(), o.sets.begin(), o.sets.end());
  const train::TrainConfig config = train::TrainConfig::load(o.preset, o.config, sets);
  for (const double c : o.factors)
    if (!(std::isfinite(c) && c > 0))
      throw InputError(fmt::format("--factors {}: every factor must be a positive finite number", c));
  if (o.rtol_given && !(std::isfinite(o.rtol) && o.rtol >= 0))
    throw InputError(fmt::format("--rtol {}: must be a finite number >= 0", o.rtol));
  const double rtol = o.rtol_given ? o.rtol : config.model.si_rtol;
  train::ScaleInvarianceReport report;
  try {
    const train::TrainingData data = train::prepare_training_data(config);
    train::Trainer trainer(config, data);
    report = trainer.check_scale_invariance(o.factors, rtol, o.all_tracked);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(train::torch_failure_message(e));
  }
  if (o.json) {
    print_json(report.to_json());
  } else {
    std::printf("%s\n", report.to_string().c_str());
    std::printf("parameters scaled: %s\n", fmt::format("{}", fmt::join(report.names, ", ")).c_str());
  }
  if (!report.scale_invariant) throw ExitWith{kExitNotScaleInvariant};
}

}  // namespace

void setup_check_si(CLI::App& app) {
  auto o = std::make_shared<CheckSiOptions>();
  CLI::App* cmd = app.add_subcommand("check-si", kCheckSiSummary);
  cmd->add_option("config", o->config, "TOML configuration as for idealgas train (its [model] and [data])");
  cmd->add_option("--preset", o->preset, "Start from a named configuration of idealgas train");
  cmd->add_option("--model", o->model, "A TorchScript module (torch.jit.script(model).save(path)); short for --set "
                                       "model.arch=torchscript --set model.path=FILE. A module is a program: loading "
                                       "it runs its code with your privileges, so load only modules you trust; one "
                                       "whose code reads or writes files is refused unless --set model.trust=true "
                                       "(docs/security.md)");
  cmd->add_option("--set", o->sets, "Override one setting: section.key=value (TOML value; repeatable)")
      ->allow_extra_args(false)
      ->take_all();
  cmd->add_option("--factors", o->factors, "Scaling factors [0.5,2,10, as Python's check_scale_invariance]")
      ->delimiter(',');
  cmd->add_option("--rtol", o->rtol, "Tolerance on the largest relative output change [model.si_rtol, 0.01]")
      ->each([o](const std::string&) { o->rtol_given = true; });
  cmd->add_flag("--all-tracked", o->all_tracked,
                "Scale every tracked parameter (the protocol's w; differs from the SI ones in practical mode)");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Security: a TorchScript module is a program. Loading it runs its code with your privileges, as "
              "torch.jit.load does in PyTorch: check only modules you trust. A module whose code reads or writes files "
              "or the network is refused unless --set model.trust=true (docs/security.md).");
  cmd->callback([o] { run_check_si(*o); });
}

}  // namespace idealgas::cli
