// idealgas train CONFIG.toml | --preset NAME [--set section.key=value ...] [--out DIR] [--restart] [--quiet]
// idealgas train --list-presets
// Trains one scale-invariant network configuration and measures its stationary state (docs/train.md). The CLI
// parses and prints; the run itself is train/training_run.hpp.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/train/torch_failure.hpp"
#include "idealgas/train/train_presets.hpp"
#include "idealgas/train/training_run.hpp"

namespace idealgas::cli {

namespace {

struct TrainOptions {
  std::string config;
  std::string preset;
  std::vector<std::string> sets;
  std::string out;
  bool out_given = false;
  bool restart = false;
  bool quiet = false;
  bool list_presets = false;
};

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

std::string command_line(const TrainOptions& o, const std::string& out) {
  std::string cmd = "idealgas train";
  if (!o.config.empty()) cmd += " " + shell_quote(o.config);
  if (!o.preset.empty()) cmd += " --preset " + shell_quote(o.preset);
  for (const std::string& s : o.sets) cmd += " --set " + shell_quote(s);
  cmd += " --out " + shell_quote(out);
  return cmd;
}

std::string pm(const nlohmann::json& j, const char* key, const char* se_key) {
  const auto num = [&](const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : std::nan(""); };
  return fmt::format("{:.5g} ± {:.2g}", num(key), num(se_key));
}

void print_summary(const nlohmann::json& summary, const std::string& out) {
  const nlohmann::json& s = summary["stationary"];
  std::printf("stationary (last %lld iterations):\n", s["window"].get<long long>());
  std::printf("  U (mean batch loss)  %s   test accuracy %.4g\n", pm(s, "U", "U_se").c_str(),
              s["test_accuracy"].is_number() ? s["test_accuracy"].get<double>() : std::nan(""));
  std::printf("  Tr Sigma             %s   sigma2 %s   T %s\n", pm(s, "tr_sigma", "tr_sigma_se").c_str(),
              pm(s, "sigma2", "sigma2_se").c_str(), pm(s, "T", "T_se").c_str());
  if (s.contains("lambda_eff")) {
    std::printf("  lambda_eff           %s   discrete prediction %s   relative error %s\n",
                pm(s, "lambda_eff", "lambda_eff_se").c_str(),
                pm(s, "lambda_eff_discrete", "lambda_eff_discrete_se").c_str(),
                pm(s, "lambda_eff_rel_err_discrete", "lambda_eff_rel_err_discrete_se").c_str());
  } else {
    std::printf("  r                    %s   discrete prediction %s   relative error %s\n",
                pm(s, "r_mean", "r_se").c_str(), pm(s, "r_discrete", "r_discrete_se").c_str(),
                pm(s, "r_rel_err_discrete", "r_rel_err_discrete_se").c_str());
  }
  std::printf("  S(rho_w_hat)         %s (paper queue, adjacent-neighbour share %.2f)\n",
              pm(s, "S_sphere", "S_sphere_se").c_str(),
              s["adjacent_nn_fraction"].is_number() ? s["adjacent_nn_fraction"].get<double>() : std::nan(""));
  if (s.contains("entropy_decorrelated"))
    std::printf("                       %s (decorrelated queue, adjacent-neighbour share %.2f)\n",
                pm(s["entropy_decorrelated"], "S_sphere", "S_sphere_se").c_str(),
                s["entropy_decorrelated"]["adjacent_nn_fraction"].is_number()
                    ? s["entropy_decorrelated"]["adjacent_nn_fraction"].get<double>()
                    : std::nan(""));
  for (const auto& f : s["flags"]) std::printf("  flag: %s\n", f.get<std::string>().c_str());
  std::printf("timing: %.1f s training, %.1f s measuring (%.0f %%)\n",
              summary["timing"]["seconds_training"].get<double>(), summary["timing"]["seconds_measuring"].get<double>(),
              100.0 * summary["timing"]["measure_over_training"].get<double>());
  std::printf("results: %s/summary.json, trace.csv, running.csv\n", out.c_str());
}

void run_train(const TrainOptions& o) {
  if (o.list_presets) {
    for (const train::Preset& p : train::presets()) std::printf("%-34s %s\n", p.name.c_str(), p.description.c_str());
    return;
  }
  if (o.config.empty() && o.preset.empty())
    throw InputError("idealgas train needs a CONFIG.toml or --preset NAME (idealgas train --list-presets lists them)");
  const train::TrainConfig config = train::TrainConfig::load(o.preset, o.config, o.sets);
  std::string out = o.out;
  if (!o.out_given) {
    const std::string stem = o.preset.empty() ? std::filesystem::path(o.config).stem().string() : o.preset;
    out = "runs/train/" + stem;
  }
  train::RunOptions options;
  options.out = out;
  options.restart = o.restart;
  options.quiet = o.quiet;
  options.command_line = invocation();
  options.resume_command = command_line(o, out);
  train::RunOutcome outcome;
  try {
    outcome = train::run_training(config, options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // before the run wrote anything (training_run.cpp handles failures after)
    throw Error(train::torch_failure_message(e));
  }
  switch (outcome.status) {
    case train::RunStatus::finished: print_summary(outcome.summary, out); return;
    case train::RunStatus::diverged:
      throw DivergenceError(fmt::format("the run diverged: {}; outputs in {}", outcome.message, out));
  }
}

}  // namespace

void setup_train(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* train = app.add_subcommand("train", kTrainSummary);
  train->add_option("config", o->config, "TOML configuration (sections model, data, protocol, train, measure)");
  train->add_option("--preset", o->preset, "Start from a named configuration (--list-presets); CONFIG and --set "
                                           "override it");
  train->add_option("--set", o->sets, "Override one setting: section.key=value (TOML value; repeatable)")
      ->allow_extra_args(false)
      ->take_all();
  train->add_option("--out", o->out, "Results folder [runs/train/<preset or config name>]")
      ->each([o](const std::string&) { o->out_given = true; });
  train->add_flag("--restart", o->restart, "Discard the checkpoint and results in the folder and start over");
  train->add_flag("--quiet", o->quiet, "No progress on stderr");
  train->add_flag("--list-presets", o->list_presets, "List the presets and exit");
  train->footer("Security: a TorchScript module (model.arch = \"torchscript\") is a program. Loading it runs its code "
                "with your privileges, as torch.jit.load does in PyTorch: train only modules you trust. A module whose "
                "code reads or writes files or the network is refused unless model.trust = true (docs/security.md).");
  train->callback([o] { run_train(*o); });
}

}  // namespace idealgas::cli
