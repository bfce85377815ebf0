// Test driver for tests/slurm/test_cluster.sh: writes job scripts with the library's generator
// (sweep/slurm_script.hpp) and submits them with its sbatch_submit, so the real cluster runs exactly what
// `idealgas sweep --slurm` will write. Not installed; the options mirror SlurmJob / SlurmArrayJob.
//
//   slurm_script_driver array --out FILE --name NAME --size N [--limit K] [job options] -- PROGRAM ARGS...
//   slurm_script_driver merge --out FILE --name NAME [job options] -- PROGRAM ARGS...
//   slurm_script_driver submit FILE [--after JOBID]        prints the new job id
// job options: --log-dir DIR (required) --partition P --time T --cpus C --gpus G --env NAME=VALUE --setup LINE
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/sweep/sbatch_submit.hpp"
#include "idealgas/sweep/slurm_script.hpp"

namespace {

struct JobFlags {
  std::string out;
  std::optional<std::string> partition, time_limit;
  long long cpus = 1;
  std::optional<long long> gpus;
  std::string log_dir;
  std::vector<std::string> env, setup;
};

void add_job_flags(CLI::App& app, JobFlags& f, std::string& name) {
  app.add_option("--out", f.out, "script file to write")->required();
  app.add_option("--name", name, "job name")->required();
  app.add_option("--log-dir", f.log_dir, "absolute log folder")->required();
  app.add_option("--partition", f.partition);
  app.add_option("--time", f.time_limit);
  app.add_option("--cpus", f.cpus);
  app.add_option("--gpus", f.gpus);
  app.add_option("--env", f.env, "NAME=VALUE, repeatable");
  app.add_option("--setup", f.setup, "shell line, repeatable");
}

idealgas::SlurmJob to_job(const JobFlags& f, const std::string& name, const std::vector<std::string>& command) {
  idealgas::SlurmJob job;
  job.job_name = name;
  job.partition = f.partition;
  job.time_limit = f.time_limit;
  job.cpus_per_task = f.cpus;
  job.gpus_per_task = f.gpus;
  job.log_dir = f.log_dir;
  job.command = command;
  job.setup_lines = f.setup;
  for (const std::string& kv : f.env) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string::npos) throw idealgas::InputError(fmt::format("--env {:?}: expected NAME=VALUE", kv));
    job.environment.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  return job;
}

}  // namespace

int main(int argc, char** argv) {
  // Everything after the first "--" is the job's command, verbatim (CLI11 would read its flags).
  int n_options = argc;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      n_options = i;
      command.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  CLI::App app{"writes and submits Slurm job scripts with idealgas' generator (test driver)"};
  app.require_subcommand(1);

  JobFlags array_flags, merge_flags;
  std::string array_name, merge_name;
  long long size = 0;
  std::optional<long long> limit;
  CLI::App* array = app.add_subcommand("array", "write an array job script");
  add_job_flags(*array, array_flags, array_name);
  array->add_option("--size", size, "number of tasks")->required();
  array->add_option("--limit", limit, "tasks at once");
  CLI::App* merge = app.add_subcommand("merge", "write a merge job script");
  add_job_flags(*merge, merge_flags, merge_name);

  std::string script;
  std::optional<std::uint32_t> after;
  CLI::App* submit = app.add_subcommand("submit", "sbatch --parsable a script; prints the job id");
  submit->add_option("script", script)->required();
  submit->add_option("--after", after, "job id that must succeed first (afterok)");

  try {
    app.parse(n_options, argv);
    if (array->parsed()) {
      idealgas::SlurmArrayJob a;
      a.job = to_job(array_flags, array_name, command);
      a.array_size = size;
      a.array_limit = limit;
      idealgas::write_file_atomically(array_flags.out, idealgas::slurm_array_script(a));
    } else if (merge->parsed()) {
      idealgas::write_file_atomically(merge_flags.out,
                                      idealgas::slurm_merge_script(to_job(merge_flags, merge_name, command)));
    } else {
      std::printf("%u\n", static_cast<unsigned>(idealgas::sbatch_submit(script, after)));
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const idealgas::Error& e) {
    std::fprintf(stderr, "slurm_script_driver: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
