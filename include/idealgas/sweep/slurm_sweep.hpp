// `idealgas sweep CONFIG --slurm`: the grid as a Slurm job array (issue 10). Task i of N runs shard i/N of the grid
// (`idealgas sweep DIR/grid.toml --out DIR --shard i/N --jobs M`: M configurations at a time, each its own process),
// with N = ceil(configurations / M) written into the script (never read from SLURM_ARRAY_TASK_COUNT, which a rerun
// of some tasks changes); per-task logs in DIR/slurm/logs/; `idealgas sweep merge DIR` as a job that starts once
// every task succeeded (afterok; cancelled if one failed). A task that failed is rerun with
// `sbatch --array=I DIR/slurm/array.sh`, or the whole submission again: each shard skips what it completed.
// Scripts come from sweep/slurm_script.hpp (options validated there), submission from sweep/sbatch_submit.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace idealgas {

struct SlurmSweepOptions {
  std::filesystem::path out;         // the sweep folder; absolute
  std::string program;               // the idealgas executable on the cluster's nodes; absolute
  long long n_configurations = 0;    // of the grid
  long long models_per_task = 1;     // configurations a task runs at once (its --jobs), >= 1
  int threads_per_model = 1;         // threads each configuration uses (OMP_NUM_THREADS of the tasks), >= 1
  std::optional<std::string> partition, time_limit;
  std::optional<long long> array_limit;    // tasks running at once
  std::optional<long long> gpus_per_task;
  std::string job_name = "idealgas-sweep";
};

struct SlurmSweepPlan {
  long long array_size = 0;  // N
  long long cpus_per_task = 1;
  std::filesystem::path array_script_path, merge_script_path, log_dir;
  std::string array_script, merge_script;
};

/// The scripts, validated (InputError naming the option); writes nothing.
SlurmSweepPlan plan_slurm_sweep(const SlurmSweepOptions& options);

struct SlurmSweepSubmission {
  std::uint32_t array_job = 0, merge_job = 0;
};

/// Writes the scripts and creates the log folder, submits the array, then the merge after it.
SlurmSweepSubmission submit_slurm_sweep(const SlurmSweepPlan& plan);

}  // namespace idealgas
