// idealgas reproduce iso: the isotropic-noise reproduction of the paper's Figures 1, 3, 4. Runs the three
// protocol grids (resumable from checkpoints), writes summary.csv per protocol, checks.json and the effective
// configuration, and prints a verdict table.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/analyse/iso_stationary.hpp"
#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/build_info.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/report/html_report_iso.hpp"
#include "idealgas/report/iso_report.hpp"
#include "idealgas/report/summary_csv.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas::cli {

namespace {

namespace fs = std::filesystem;

struct ReproduceIsoOptions {
  std::string out = "runs/iso";
  std::string config_file;
  std::optional<long long> iters, d, queue_stride;
  std::optional<int> grid, threads;
  std::optional<std::uint64_t> seed;
  std::optional<double> sigma2;
  std::vector<std::string> protocols;
  bool restart = false;
  bool quiet = false;
};

// Slopes over R must hit their targets within this (the issue's ±0.03 at d = 3; at d = 10 the entropy
// estimator's bias allowance is 5 % of R).
double slope_tolerance_for(long long d) { return d == 3 ? 0.03 : 0.05; }

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

IsoConfig effective_config(const ReproduceIsoOptions& o) {
  IsoConfig c = o.config_file.empty() ? IsoConfig{} : IsoConfig::from_toml_file(o.config_file);
  if (o.iters) c.schedule = c.schedule.scaled_to(*o.iters);
  if (o.d) c.d = *o.d;
  if (o.grid) c.grid = *o.grid;
  if (o.threads) c.threads = *o.threads;
  if (o.seed) c.seed = *o.seed;
  if (o.sigma2) c.sigma2 = *o.sigma2;
  if (!o.protocols.empty()) {
    c.protocols.clear();
    for (const std::string& p : o.protocols) c.protocols.push_back(parse_protocol(p));
  }
  if (o.queue_stride) c.schedule.queue_stride = *o.queue_stride;
  c.validate();
  return c.resolved();
}

// Records the effective config, versions, git revision and seed. A folder that holds a run of another
// configuration is never silently mixed with this one.
void write_run_record(const fs::path& out, const IsoConfig& config, bool restart) {
  const fs::path record = out / "run.json";
  nlohmann::json run = {{"job", "reproduce iso"}, {"config", config.to_json()}, {"build", build_info()},
                        {"seed", config.seed}, {"started", now_iso8601()}};
  if (fs::exists(record) && !restart) {
    const nlohmann::json old = nlohmann::json::parse(read_file(record), nullptr, false);
    if (old.is_discarded())
      throw IoError(fmt::format("{} is not valid JSON; delete it or pass --restart", record.string()));
    // What must match is IsoConfig's rule: compare the old config on exactly those keys.
    const nlohmann::json now = config.result_relevant_json();
    const nlohmann::json old_config = old.value("config", nlohmann::json::object());
    nlohmann::json before = nlohmann::json::object();
    for (auto it = now.begin(); it != now.end(); ++it)
      if (old_config.contains(it.key())) before[it.key()] = old_config[it.key()];
    if (before != now)
      throw InputError(fmt::format("{} holds a run with another configuration ({} vs now {}); choose another "
                                   "--out folder or pass --restart to start over",
                                   out.string(), before.dump(), now.dump()));
    run["first_started"] = old.value("first_started", old.value("started", ""));
  }
  write_file_atomically(record, run.dump(2) + "\n");
}

IsoGrid run_protocol(const IsoConfig& config, Protocol p, const fs::path& dir, const ReproduceIsoOptions& o) {
  const fs::path ckpt = dir / "checkpoint.bin";
  if (o.restart && fs::exists(ckpt)) fs::remove(ckpt);
  IsoGrid grid = fs::exists(ckpt) ? IsoGrid::load_checkpoint(ckpt.string(), config, p) : IsoGrid(config, p);
  const long long total = config.schedule.iterations;
  if (grid.iteration() > 0 && !o.quiet)
    std::fprintf(stderr, "[%s] resuming from %s at iteration %lld\n", protocol_name(p), ckpt.c_str(),
                 grid.iteration());
  const long long chunk = std::max<long long>(1000, total / 50);
  const auto start = std::chrono::steady_clock::now();
  auto last_save = start;
  const long long start_iteration = grid.iteration();
  const bool interactive = ::isatty(::fileno(stderr)) != 0;
  long long last_percent = 100 * start_iteration / total;
  while (!grid.finished()) {
    grid.advance_to(std::min(total, grid.iteration() + chunk));
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (std::chrono::duration<double>(now - last_save).count() >= config.checkpoint_seconds || grid.finished()) {
      grid.save_checkpoint(ckpt.string());
      last_save = now;
    }
    // On a terminal one line is rewritten in place; in a log file a line every 10 %.
    const long long percent = 100 * grid.iteration() / total;
    if (!o.quiet && (interactive || percent / 10 != last_percent / 10 || grid.finished())) {
      const double done = static_cast<double>(grid.iteration() - start_iteration);
      const double left = elapsed / std::max(1.0, done) * static_cast<double>(total - grid.iteration());
      std::fprintf(stderr, "%s[%s] %3lld%%  iteration %lld/%lld  %.1f s elapsed, ~%.0f s left   %s",
                   interactive ? "\r" : "", protocol_name(p), percent, grid.iteration(), total, elapsed, left,
                   interactive && !grid.finished() ? "" : "\n");
    }
    last_percent = percent;
  }
  return grid;
}

void run_reproduce_iso(const ReproduceIsoOptions& o) {
  const IsoConfig config = effective_config(o);
  const fs::path out(o.out);
  write_run_record(out, config, o.restart);
  if (!o.quiet)
    std::fprintf(stderr, "reproduce iso: d = %lld, sigma2 = %g, %dx%d grids, %lld iterations, seed %llu -> %s\n",
                 config.d, config.sigma2, config.grid, config.grid, config.schedule.iterations,
                 static_cast<unsigned long long>(config.seed), out.c_str());
  nlohmann::json checks = nlohmann::json::object();
  std::vector<std::string> diverged;
  const auto start = std::chrono::steady_clock::now();
  for (Protocol p : config.protocols) {
    const fs::path dir = out / protocol_name(p);
    const IsoGrid grid = run_protocol(config, p, dir, o);
    const IsoStationaryTable t = iso_stationary_table(grid);
    write_file_atomically(dir / "summary.csv", summary_csv(t.table, t.status));
    write_file_atomically(dir / "checks.json", validation_report(t.table).dump(2) + "\n");
    checks[protocol_name(p)] = iso_headline_checks(t.table);
    for (const std::string& s : t.status)
      if (s != "ok") diverged.push_back(s);
  }
  checks["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_file_atomically(out / "checks.json", checks.dump(2) + "\n");
  std::printf("%s", format_verdict(iso_verdict(checks, slope_tolerance_for(config.d))).c_str());
  std::printf("results: %s/{%s}/summary.csv, %s/checks.json\n", out.c_str(), "lr,elr,sphere", out.c_str());
  try {  // the report only views the results above: if it cannot be drawn they stand, and it can be redrawn later
    std::printf("report: %s\n", report::write_iso_report(out, {}).page.c_str());
  } catch (const Error& e) { std::fprintf(stderr, "report not written (%s); redraw: idealgas report %s\n", e.what(), out.c_str()); }
  if (!diverged.empty())
    throw DivergenceError(fmt::format("{} configuration(s) diverged and have no measurement, e.g. {}",
                                      diverged.size(), diverged.front()));
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
  iso->add_option("--iters", opts->iters,
                  "Iterations per configuration [2000000]; the stationary window and the entropy stride scale "
                  "with it, the log and snapshot strides do not");
  iso->add_option("--grid", opts->grid, "Log-spaced values per hyperparameter axis [17]");
  iso->add_option("--d", opts->d, "Number of parameters [3]");
  iso->add_option("--seed", opts->seed, "Master seed [42]");
  iso->add_option("--sigma2", opts->sigma2, "Noise variance sigma^2 [1]");
  iso->add_option("--queue-stride", opts->queue_stride,
                  "Iterations between entropy snapshots [0 = auto: 50 at d = 3 (the paper's), else the queue "
                  "spread over half the run]");
  iso->add_option("--threads", opts->threads, "Threads (0 = all cores; results do not depend on it) [0]");
  iso->add_option("--protocols", opts->protocols, "Subset of lr elr sphere [all]")->delimiter(',');
  iso->add_flag("--restart", opts->restart, "Discard checkpoints and results in --out and start over");
  iso->add_flag("--quiet", opts->quiet, "No progress on stderr");
  iso->callback([opts] { run_reproduce_iso(*opts); });
}

}  // namespace idealgas::cli
