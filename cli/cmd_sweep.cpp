// idealgas sweep CONFIG | --preset NAME [--jobs N] [--out DIR] [--shard I/N] [--restart] [--slurm ...]: a grid of
// configurations, one subprocess each (docs/sweep.md); idealgas sweep merge DIR [MORE...]; idealgas sweep status DIR.
// The library runs everything (sweep/sweep_run.hpp, sweep_table.hpp, slurm_sweep.hpp); this file parses and prints.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

#include "commands.hpp"
#include "own_program.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/sweep/grid_presets.hpp"
#include "idealgas/sweep/slurm_script.hpp"
#include "idealgas/sweep/slurm_sweep.hpp"
#include "idealgas/sweep/sweep_run.hpp"
#include "parse_args.hpp"

namespace idealgas::cli {

namespace {

namespace fs = std::filesystem;

struct SweepCliOptions {
  std::string config;
  std::string preset;
  bool list_presets = false;
  std::string jobs = "1";  // as written; parsed strictly
  std::string out;
  bool out_given = false;  // --out '' is an error, not the default
  std::string shard;
  bool quiet = false;
  bool restart = false;
  // --slurm and its options (as written; parsed strictly)
  bool slurm = false;
  bool dry_run = false;
  std::string partition, array_limit, time_limit, gpus_per_task, models_per_task;
};

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  if (seconds < 5400) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

GridConfig load_grid(const SweepCliOptions& o) {
  if (!o.preset.empty() && !o.config.empty())
    throw InputError("give a grid CONFIG or --preset NAME, not both");
  if (!o.preset.empty()) {
    const GridPreset& p = find_grid_preset(o.preset);
    return GridConfig::from_toml_string(p.toml, "preset " + p.name);
  }
  if (o.config.empty())
    throw InputError("idealgas sweep needs a grid CONFIG.toml or --preset NAME (idealgas sweep --list-presets lists them)");
  return GridConfig::from_toml_file(o.config);
}

fs::path out_folder(const SweepCliOptions& o) {
  const std::string stem = o.preset.empty() ? fs::path(o.config).stem().string() : o.preset;
  return require_output_folder("--out", o.out_given ? o.out : "runs/sweep/" + stem);
}

void print_progress(const SweepProgress& p, bool interactive) {
  const SweepCounts& n = p.counts;
  const std::string line =
      fmt::format("[sweep] {}/{} done, {} diverged, {} failed, {} running; {} elapsed, ~{} left", n.done, p.total,
                  n.diverged, n.failed, n.running, duration_text(p.elapsed_seconds), duration_text(p.eta_seconds));
  if (interactive) {
    if (!p.event.empty()) std::fprintf(stderr, "\r\033[K%s\n", p.event.c_str());
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else if (!p.event.empty()) {
    std::fprintf(stderr, "%s  [%s]\n", line.c_str(), p.event.c_str());
  }
  std::fflush(stderr);
}

void run_slurm_cli(const SweepCliOptions& o, const GridConfig& grid, const fs::path& out_given) {
  if (!o.shard.empty()) throw InputError("--shard and --slurm: the job array runs every shard; drop --shard");
  if (o.jobs != "1") throw InputError("--jobs and --slurm: give the configurations per task with --models-per-task");
  const JobKinds kinds = job_kinds();
  const JobKind& kind = kinds.find(grid.kind, grid.source);
  const std::vector<SweepConfiguration> configurations = expand_grid(grid, kind);
  constexpr std::uint64_t kMaxCount = static_cast<std::uint64_t>(kSlurmMaxPerTaskCount);
  SlurmSweepOptions s;
  s.out = fs::absolute(out_given);
  s.program = own_program().string();  // the jobs run this very executable
  s.n_configurations = static_cast<long long>(configurations.size());
  if (!o.models_per_task.empty())
    s.models_per_task = static_cast<long long>(parse_count("--models-per-task", o.models_per_task, 1, kMaxCount));
  s.threads_per_model = kind.threads_of(configurations.front().job, 1);
  if (!o.partition.empty()) s.partition = o.partition;
  if (!o.time_limit.empty()) s.time_limit = o.time_limit;
  if (!o.array_limit.empty())
    s.array_limit = static_cast<long long>(
        parse_count("--array-limit", o.array_limit, 1, static_cast<std::uint64_t>(kSlurmMaxArraySize)));
  if (!o.gpus_per_task.empty())
    s.gpus_per_task = static_cast<long long>(parse_count("--gpus-per-task", o.gpus_per_task, 1, kMaxCount));
  const SlurmSweepPlan plan = plan_slurm_sweep(s);
  if (o.dry_run) {
    std::printf("# %s: %lld configurations in %lld array tasks of %lld, %lld CPU(s) each (dry run: nothing written "
                "or submitted)\n# ---- %s\n%s# ---- %s\n%s",
                grid.source.c_str(), s.n_configurations, plan.array_size, s.models_per_task, plan.cpus_per_task,
                plan.array_script_path.c_str(), plan.array_script.c_str(), plan.merge_script_path.c_str(),
                plan.merge_script.c_str());
    return;
  }
  SlurmSweepSubmission submitted;
  {
    RunFolderLock lock(s.out);  // refused while tasks of an earlier submission still run
    if (o.restart) restart_sweep_folder(s.out, kinds);
    adopt_sweep_grid(s.out, grid, configurations, kinds);
    submitted = submit_slurm_sweep(plan);
  }
  std::printf("submitted: array job %u (%lld tasks; scripts and logs in %s/slurm/), merge job %u after it\n"
              "watch: idealgas sweep status %s   |   squeue -j %u,%u\n"
              "a failed task: sbatch --array=I %s, then idealgas sweep merge %s\n",
              submitted.array_job, plan.array_size, s.out.c_str(), submitted.merge_job, s.out.c_str(),
              submitted.array_job, submitted.merge_job, plan.array_script_path.c_str(), s.out.c_str());
}

void run_sweep_cli(const SweepCliOptions& o) {
  if (o.list_presets) {
    for (const GridPreset& p : grid_presets()) std::printf("%-24s %s\n", p.name.c_str(), p.description.c_str());
    return;
  }
  if (!o.slurm) {
    for (const auto& [flag, value] : {std::pair{"--partition", o.partition}, std::pair{"--array-limit", o.array_limit},
                                      std::pair{"--time", o.time_limit}, std::pair{"--gpus-per-task", o.gpus_per_task},
                                      std::pair{"--models-per-task", o.models_per_task}})
      if (!value.empty()) throw InputError(fmt::format("{} applies to --slurm submissions; add --slurm", flag));
    if (o.dry_run) throw InputError("--dry-run applies to --slurm submissions; add --slurm");
  }
  if (o.slurm) {
    const GridConfig grid = load_grid(o);
    run_slurm_cli(o, grid, out_folder(o));
    return;
  }
  SweepOptions run;
  run.grid = load_grid(o);
  run.kinds = job_kinds();
  run.jobs = static_cast<int>(parse_count("--jobs", o.jobs, 1, kMaxSweepJobs));
  if (!o.shard.empty()) run.shard = parse_shard("--shard", o.shard);
  run.out = out_folder(o);
  run.program = own_program().string();
  run.restart = o.restart;
  const bool interactive = ::isatty(::fileno(stderr)) != 0;
  if (!o.quiet) {
    std::fprintf(stderr, "sweep: %s (%s), %lld configurations%s, %d worker%s -> %s\n", run.grid.source.c_str(),
                 run.grid.kind.c_str(), run.grid.size(),
                 run.shard.whole() ? "" : fmt::format(", shard {}", run.shard.text()).c_str(), run.jobs,
                 run.jobs == 1 ? "" : "s", run.out.c_str());
    run.progress = [interactive](const SweepProgress& p) { print_progress(p, interactive); };
  }
  const SweepResult r = run_sweep(run);
  if (!o.quiet && interactive) std::fprintf(stderr, "\n");
  std::printf("sweep: %lld configurations%s: %lld done, %lld diverged, %lld failed, %lld pending (%lld finished now, "
              "%lld were done before; %.1f s)\n",
              r.total, run.shard.whole() ? "" : fmt::format(" in shard {}", run.shard.text()).c_str(), r.counts.done,
              r.counts.diverged, r.counts.failed, r.counts.pending, r.finished_now, r.skipped, r.wall_seconds);
  for (const std::string& f : r.failures) std::printf("  failed: %s\n", f.c_str());
  if (r.views_written)
    std::printf("results: %s/summary.csv, %s/sweep.json; analysis: idealgas analyze %s\n", run.out.c_str(),
                run.out.c_str(), run.out.c_str());
  else
    std::printf("results: %s/runs/; when every shard has finished: idealgas sweep merge %s\n", run.out.c_str(),
                run.out.c_str());
  // Diverged configurations have a result (their divergence); failed and pending ones have none yet.
  if (r.counts.failed > 0 || r.counts.pending > 0)
    throw DivergenceError(fmt::format("{} configuration(s) failed (reasons above and in {}/runs/<id>/failure.json); "
                                      "rerunning the command retries them",
                                      r.counts.failed + r.counts.pending, run.out.c_str()));
}

void print_table_counts(const SweepTable& t) {
  const SweepCounts& n = t.counts;
  std::printf("%s: %s, %zu configurations: %lld done, %lld diverged, %lld failed, %lld running, %lld pending\n",
              t.dir.c_str(), t.grid.kind.c_str(), t.rows.size(), n.done, n.diverged, n.failed, n.running, n.pending);
}

void run_merge_cli(const std::vector<std::string>& dirs) {
  std::vector<fs::path> others;
  for (std::size_t k = 1; k < dirs.size(); ++k) others.emplace_back(require_output_folder("DIR", dirs[k]));
  const SweepTable t = merge_sweep_folders(require_output_folder("DIR", dirs.front()), others, job_kinds());
  print_table_counts(t);
  std::printf("results: %s/summary.csv, %s/sweep.json\n", t.dir.c_str(), t.dir.c_str());
  if (t.counts.done + t.counts.diverged < static_cast<long long>(t.rows.size()))
    throw DivergenceError(fmt::format("{} of {} configurations have no result yet (idealgas sweep status {})",
                                      t.rows.size() - t.counts.done - t.counts.diverged, t.rows.size(), t.dir.string()));
}

void run_status_cli(const std::string& dir_text, bool json) {
  const fs::path dir = require_output_folder("DIR", dir_text);
  const GridConfig grid = read_sweep_grid(dir);
  const SweepTable t = collect_sweep(dir, grid, expand_grid(grid, job_kinds().find(grid.kind, grid.source)));
  if (json) {
    print_json(sweep_status_json(t));
    return;
  }
  for (const SweepRow& r : t.rows)
    std::printf("%6lld  %s  %-8s  %s%s\n", r.configuration.index, r.configuration.id.c_str(),
                run_state_name(r.status.state), r.configuration.label.c_str(),
                r.status.reason.empty() ? "" : ("  -- " + r.status.reason).c_str());
  print_table_counts(t);
}

}  // namespace

void setup_sweep(CLI::App& app) {
  auto opts = std::make_shared<SweepCliOptions>();
  CLI::App* sweep = app.add_subcommand(
      "sweep", "Run a grid of configurations, one subprocess each (resumable; --shard, --slurm); merge, status");
  sweep->add_option("CONFIG", opts->config, "Grid config (TOML): kind, [base], [[axis]], replicas (docs/sweep.md)")
      ->check(CLI::ExistingFile);
  sweep->add_option("--preset", opts->preset, "A named grid (--list-presets)");
  sweep->add_flag("--list-presets", opts->list_presets, "List the grid presets");
  sweep->add_option("--jobs", opts->jobs, "Configurations run at once, each its own process [1]");
  sweep->add_option("--out", opts->out, "Sweep folder [runs/sweep/<config or preset name>]")
      ->each([opts](const std::string&) { opts->out_given = true; });
  sweep->add_option("--shard", opts->shard, "Run only shard I of N (configuration k when k mod N = I)");
  sweep->add_flag("--quiet", opts->quiet, "No progress on stderr");
  sweep->add_flag("--restart", opts->restart,
                  "Remove the sweep results in --out (only files idealgas wrote; refused otherwise) and start over");
  sweep->add_flag("--slurm", opts->slurm,
                  "Submit the grid as a Slurm job array (one shard per task) and a dependent merge job");
  sweep->add_option("--partition", opts->partition, "--slurm: partition (or a comma-separated list)");
  sweep->add_option("--array-limit", opts->array_limit, "--slurm: array tasks running at once");
  sweep->add_option("--time", opts->time_limit, "--slurm: time limit per task (MINUTES, H:MM:SS, D-HH, ...)");
  sweep->add_option("--gpus-per-task", opts->gpus_per_task, "--slurm: GPUs per array task");
  sweep->add_option("--models-per-task", opts->models_per_task,
                    "--slurm: configurations each task runs at once (array size = configurations / this) [1]");
  sweep->add_flag("--dry-run", opts->dry_run, "--slurm: print the job scripts; write and submit nothing");
  sweep->callback([opts, sweep] {
    if (sweep->get_subcommands().empty()) run_sweep_cli(*opts);
  });

  auto dirs = std::make_shared<std::vector<std::string>>();
  CLI::App* merge = sweep->add_subcommand(
      "merge", "Assemble a sweep's summary.csv and sweep.json from its run folders (and from other shard folders)");
  merge->add_option("DIR", *dirs, "The sweep folder, then any other folders holding shards of the same grid")
      ->required();
  merge->callback([dirs] { run_merge_cli(*dirs); });

  auto status_dir = std::make_shared<std::string>();
  auto status_json = std::make_shared<bool>(false);
  CLI::App* status = sweep->add_subcommand("status", "Each configuration: done, diverged, failed, running or pending");
  status->add_option("DIR", *status_dir, "The sweep folder")->required();
  status->add_flag("--json", *status_json, "Print sweep.json's content instead of the table");
  status->callback([status_dir, status_json] { run_status_cli(*status_dir, *status_json); });
}

}  // namespace idealgas::cli
