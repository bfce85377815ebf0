#include "idealgas/sweep/slurm_sweep.hpp"

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/checked.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/sweep/sbatch_submit.hpp"
#include "idealgas/sweep/slurm_script.hpp"
#include "idealgas/sweep/sweep_folder.hpp"

namespace idealgas {

namespace fs = std::filesystem;

SlurmSweepPlan plan_slurm_sweep(const SlurmSweepOptions& o) {
  if (!o.out.is_absolute() || o.program.empty() || !fs::path(o.program).is_absolute())
    throw InputError("the Slurm scripts need the sweep folder and the program as absolute paths");
  if (o.n_configurations < 1) throw InputError("the grid has no configuration to submit");
  if (o.models_per_task < 1 || o.models_per_task > kSlurmMaxPerTaskCount)
    throw InputError(fmt::format("--models-per-task must be a whole number in [1, {}], got {}", kSlurmMaxPerTaskCount,
                                 o.models_per_task));
  if (o.threads_per_model < 1) throw InputError(fmt::format("threads per model must be >= 1, got {}", o.threads_per_model));
  SlurmSweepPlan plan;
  plan.array_size = o.n_configurations / o.models_per_task + (o.n_configurations % o.models_per_task != 0);
  plan.cpus_per_task = checked_mul<long long>("--cpus-per-task (models per task x threads per model)",
                                              o.models_per_task, o.threads_per_model);
  plan.log_dir = o.out / "slurm" / "logs";
  plan.array_script_path = o.out / "slurm" / "array.sh";
  plan.merge_script_path = o.out / "slurm" / "merge.sh";

  SlurmArrayJob array;
  SlurmJob& task = array.job;
  task.job_name = o.job_name;
  task.partition = o.partition;
  task.time_limit = o.time_limit;
  task.cpus_per_task = plan.cpus_per_task;
  task.gpus_per_task = o.gpus_per_task;
  task.log_dir = plan.log_dir;
  task.command = {o.program,
                  "sweep",
                  (o.out / kSweepGridFile).string(),
                  "--out",
                  o.out.string(),
                  "--shard",
                  fmt::format("{}/{}", kSlurmTaskIdPlaceholder, kSlurmTaskCountPlaceholder),
                  "--jobs",
                  std::to_string(o.models_per_task)};
  // A configuration that asks for "all cores" gets its share of the task, not the node's.
  task.environment = {{"OMP_NUM_THREADS", std::to_string(o.threads_per_model)}};
  array.array_size = plan.array_size;
  array.array_limit = o.array_limit;
  plan.array_script = slurm_array_script(array);

  SlurmJob merge;
  merge.job_name = o.job_name + "-merge";
  merge.partition = o.partition;
  merge.time_limit = o.time_limit;
  merge.log_dir = plan.log_dir;
  merge.command = {o.program, "sweep", "merge", o.out.string()};
  plan.merge_script = slurm_merge_script(merge);
  return plan;
}

SlurmSweepSubmission submit_slurm_sweep(const SlurmSweepPlan& plan) {
  std::error_code ec;
  fs::create_directories(plan.log_dir, ec);
  if (ec) throw IoError(fmt::format("cannot create {}: {}", plan.log_dir.string(), ec.message()));
  write_file_atomically(plan.array_script_path, plan.array_script);
  write_file_atomically(plan.merge_script_path, plan.merge_script);
  SlurmSweepSubmission s;
  s.array_job = sbatch_submit(plan.array_script_path);
  s.merge_job = sbatch_submit(plan.merge_script_path, s.array_job);
  return s;
}

}  // namespace idealgas
