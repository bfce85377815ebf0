// idealgas simulate iso CONFIG.toml --out DIR: one configuration of the isotropic-noise model (a protocol and its
// two hyperparameters, docs/config.md "One configuration") into its own folder, with checkpoints and resume; what a
// sweep runs for each iso configuration. The run is the library's run_iso_point (run/iso_point_run.hpp); this file
// parses and prints.
#include <cstdio>
#include <limits>
#include <memory>

#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/run/iso_point_run.hpp"
#include "parse_args.hpp"

namespace idealgas::cli {

namespace {

struct SimulateIsoOptions {
  std::string config_file;
  std::string out;
  std::string threads;  // as written; parsed strictly
  bool restart = false;
  bool quiet = false;
};

std::string value_se(const nlohmann::json& row, const char* key, const char* se_key) {
  const auto number = [&](const char* k) {
    return row.contains(k) && row[k].is_number() ? row[k].get<double>() : std::numeric_limits<double>::quiet_NaN();
  };
  return fmt::format("{:.6g} ± {:.2g}", number(key), number(se_key));
}

void run_simulate_iso(const SimulateIsoOptions& o) {
  IsoPointRunOptions run;
  run.out = require_output_folder("--out", o.out);
  run.config = IsoConfig::point_from_toml_file(o.config_file);
  if (!o.threads.empty()) run.config.threads = static_cast<int>(parse_count("--threads", o.threads, 0, 4096));
  run.config.validate();
  run.restart = o.restart;
  run.command_line = invocation();
  if (!o.quiet) {
    const bool interactive = ::isatty(::fileno(stderr)) != 0;
    auto last_decile = std::make_shared<int>(-1);
    run.progress = [interactive, last_decile](const IsoProgress& p) {
      const int decile = static_cast<int>(p.fraction * 10.0);
      if (!interactive && decile == *last_decile && !p.finished) return;
      *last_decile = decile;
      std::fprintf(stderr, "%s[%s] %3.0f%%  %.1f s elapsed, ~%.0f s left%s   %s", interactive ? "\r" : "",
                   protocol_name(p.protocol), 100.0 * p.fraction, p.elapsed_seconds, p.eta_seconds,
                   p.resumed_from > 0 ? fmt::format(" (resumed at iteration {})", p.resumed_from).c_str() : "",
                   interactive && !p.finished ? "" : "\n");
    };
  }
  const IsoPointRunResult r = run_iso_point(run);
  const nlohmann::json& row = r.summary["stationary"];
  std::printf("%s %s\n", r.summary["protocol"].get<std::string>().c_str(), r.summary["hyperparameters"].dump().c_str());
  std::printf("  U %s   r %s   S(rho_w_hat) %s   Z %s\n", value_se(row, "U", "U_se").c_str(),
              value_se(row, "r_mean", "r_se").c_str(), value_se(row, "S_sphere", "S_sphere_se").c_str(),
              value_se(row, "Z", "Z_se").c_str());
  std::printf("results: %s/summary.json, summary.csv (%.1f s)\n", run.out.c_str(), r.wall_seconds);
  if (r.diverged) throw DivergenceError("the run diverged: " + r.summary["divergence"].get<std::string>());
}

}  // namespace

void setup_simulate(CLI::App& app) {
  CLI::App* simulate = app.add_subcommand("simulate", "Simulate one configuration");
  simulate->require_subcommand(1);
  auto opts = std::make_shared<SimulateIsoOptions>();
  CLI::App* iso = simulate->add_subcommand(
      "iso", "One configuration of the isotropic-noise model into its own folder (a sweep's iso job); resumes");
  iso->add_option("CONFIG", opts->config_file, "TOML file: protocol, its two hyperparameters, model and schedule keys")
      ->required()
      ->check(CLI::ExistingFile);
  iso->add_option("--out", opts->out, "Output folder")->required();
  iso->add_option("--threads", opts->threads, "Threads (0 = all cores; results do not depend on it) [config's]");
  iso->add_flag("--restart", opts->restart, "Remove this job's results in --out and start over");
  iso->add_flag("--quiet", opts->quiet, "No progress on stderr");
  iso->callback([opts] { run_simulate_iso(*opts); });
}

}  // namespace idealgas::cli
