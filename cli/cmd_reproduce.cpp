// idealgas reproduce iso: the isotropic-noise reproduction of the paper's Figures 1, 3, 4. Parses the flags into an
// IsoConfig and hands it to the library's run_iso_reproduction (run/iso_reproduction.hpp), which owns the folder
// rules, checkpoints and verdict; this file only prints.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>

#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/report/html_report_iso.hpp"
#include "idealgas/run/iso_reproduction.hpp"
#include "parse_args.hpp"

namespace idealgas::cli {

namespace {

struct ReproduceIsoOptions {
  std::string out = "runs/iso";
  std::string config_file;
  std::string iters, d, queue_stride, grid, threads, seed, sigma2, schedule;  // as written; parsed strictly
  std::vector<std::string> protocols;
  bool restart = false;
  bool quiet = false;
  std::string command_line;
};

IsoConfig effective_config(const ReproduceIsoOptions& o) {
  IsoConfig c = o.config_file.empty() ? IsoConfig{} : IsoConfig::from_toml_file(o.config_file);
  constexpr std::uint64_t kMax = std::numeric_limits<long long>::max();
  if (!o.schedule.empty()) c.schedule.kind = parse_schedule(o.schedule);
  if (!o.iters.empty()) c.schedule = c.schedule.scaled_to(static_cast<long long>(parse_count("--iters", o.iters, 1, kMax)));
  if (!o.d.empty()) c.d = static_cast<long long>(parse_count("--d", o.d, 2, kMax, true));
  if (!o.grid.empty()) c.grid = static_cast<int>(parse_count("--grid", o.grid, 1, IsoConfig::kMaxGrid));
  if (!o.threads.empty()) c.threads = static_cast<int>(parse_count("--threads", o.threads, 0, 4096));
  if (!o.seed.empty()) c.seed = parse_count("--seed", o.seed, 0, std::numeric_limits<std::uint64_t>::max());
  if (!o.sigma2.empty()) c.sigma2 = parse_decimal("--sigma2", o.sigma2, 0.0, true);
  if (!o.protocols.empty()) {
    c.protocols.clear();
    for (const std::string& p : o.protocols) {
      const Protocol proto = parse_protocol(p);
      if (std::find(c.protocols.begin(), c.protocols.end(), proto) != c.protocols.end())
        throw InputError(fmt::format("--protocols lists {} twice", p));
      c.protocols.push_back(proto);
    }
  }
  if (!o.queue_stride.empty()) {
    if (c.schedule.kind != ScheduleKind::paper)
      throw InputError("--queue-stride applies to --schedule paper (the dynamics schedule spaces snapshots by the "
                       "relaxation time)");
    c.schedule.queue_stride = static_cast<long long>(parse_count("--queue-stride", o.queue_stride, 1, kMax));
  }
  c.validate();
  return c;
}

void run_reproduce_iso(const ReproduceIsoOptions& o) {
  IsoReproductionOptions run;
  run.out = require_output_folder("--out", o.out);
  run.config = effective_config(o);
  run.restart = o.restart;
  run.command_line = o.command_line;
  const IsoConfig& config = run.config;
  const bool interactive = ::isatty(::fileno(stderr)) != 0;
  if (!o.quiet) {
    std::fprintf(stderr, "reproduce iso: d = %lld, sigma2 = %g, %dx%d grids, %s schedule (%lld iterations%s), seed %llu -> %s\n",
                 config.d, config.sigma2, config.grid, config.grid, schedule_name(config.schedule.kind),
                 config.schedule.iterations, config.schedule.kind == ScheduleKind::dynamics ? " or more" : "",
                 static_cast<unsigned long long>(config.seed), run.out.c_str());
    // On a terminal one line is rewritten in place; in a log file a line every 10 %.
    auto last_decile = std::make_shared<int>(-1);
    run.progress = [interactive, last_decile](const IsoProgress& p) {
      const int decile = static_cast<int>(p.fraction * 10.0);
      if (!interactive && decile == *last_decile && !p.finished) return;
      *last_decile = decile;
      std::fprintf(stderr, "%s[%s] %3.0f%%  %.1f s elapsed, ~%.0f s left%s   %s", interactive ? "\r" : "",
                   protocol_name(p.protocol), 100.0 * p.fraction, p.elapsed_seconds, p.eta_seconds,
                   p.resumed_from > 0 ? fmt::format(" (resumed at iteration {})", p.resumed_from).c_str() : "",
                   interactive && !p.finished ? "" : "\n");
      if (p.finished) *last_decile = -1;
    };
  }
  const IsoReproductionResult r = run_iso_reproduction(run);
  std::printf("%s", r.verdict_text.c_str());
  std::printf("results: %s/{%s}/summary.csv, %s/checks.json (%.1f s)\n", run.out.c_str(), "lr,elr,sphere",
              run.out.c_str(), r.wall_seconds);
  try {  // the report only views the results above: if it cannot be drawn they stand, and it can be redrawn later
    std::printf("report: %s\n", report::write_iso_report(run.out, {}).page.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "report not written (%s); redraw: idealgas report %s\n", e.what(), run.out.c_str());
  }
  if (!r.incomplete.empty())
    throw DivergenceError(fmt::format("{} configuration(s) have no complete measurement, e.g. {}", r.incomplete.size(),
                                      r.incomplete.front()));
}

}  // namespace

void setup_reproduce(CLI::App& app) {
  CLI::App* reproduce = app.add_subcommand("reproduce", "Reproduce the paper's experiments");
  reproduce->require_subcommand(1);
  auto opts = std::make_shared<ReproduceIsoOptions>();
  CLI::App* iso = reproduce->add_subcommand(
      "iso", "Isotropic-noise model, three protocol grids (paper Figs. 1, 3, 4); resumes from checkpoints");
  iso->add_option("--out", opts->out, "Output folder")->capture_default_str();
  iso->add_option("--config", opts->config_file, "TOML file of settings (flags below override it)")
      ->check(CLI::ExistingFile);
  iso->add_option("--schedule", opts->schedule,
                  "dynamics (default: burn-in, windows and snapshot spacing from each configuration's relaxation "
                  "times) or paper (the paper's fixed schedule, for comparison)");
  iso->add_option("--iters", opts->iters,
                  "Iterations per configuration [2000000]: paper schedule: the run length (window and entropy stride "
                  "scale with it); dynamics: the least run length");
  iso->add_option("--grid", opts->grid, "Log-spaced values per hyperparameter axis [17]");
  iso->add_option("--d", opts->d, "Number of parameters [3]");
  iso->add_option("--seed", opts->seed, "Master seed, 0..2^64-1 [42]");
  iso->add_option("--sigma2", opts->sigma2, "Noise variance sigma^2 > 0 [1]");
  iso->add_option("--queue-stride", opts->queue_stride, "Paper schedule: iterations between entropy snapshots [50]");
  iso->add_option("--threads", opts->threads, "Threads (0 = all cores; results do not depend on it) [0]");
  iso->add_option("--protocols", opts->protocols, "Subset of lr elr sphere [all]; results merge into the folder")
      ->delimiter(',');
  iso->add_flag("--restart", opts->restart, "Remove this job's results in --out and start over");
  iso->add_flag("--quiet", opts->quiet, "No progress on stderr");
  iso->callback([opts] {
    opts->command_line = invocation();
    run_reproduce_iso(*opts);
  });
}

}  // namespace idealgas::cli
