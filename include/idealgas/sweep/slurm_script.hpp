// Slurm job-array scripts for sweeps: the sbatch script of an N-task array (task i runs shard i of N) and
// the script of the merge job that runs once every task succeeded (submission: sweep/sbatch_submit.hpp).
// Plain text: no Slurm library, no LibTorch. Every option is validated here, so a bad value never reaches
// a #SBATCH line (where sbatch would reinterpret it or silently wrap it).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace idealgas {

/// In SlurmJob::command of an array job, replaced by this task's index, $SLURM_ARRAY_TASK_ID (0..N-1).
inline constexpr std::string_view kSlurmTaskIdPlaceholder = "{task_id}";
/// In SlurmJob::command of an array job, replaced by the array size N as written into the script. Not
/// $SLURM_ARRAY_TASK_COUNT: a rerun of some tasks (`sbatch --array=2,5 SCRIPT`) sees a count of 2 there,
/// yet must run shards 2 and 5 of the same N.
inline constexpr std::string_view kSlurmTaskCountPlaceholder = "{task_count}";

/// Slurm's ceiling on MaxArraySize (slurm.conf(5)): task indices run from 0 to at most 4,000,000.
inline constexpr long long kSlurmMaxArraySize = 4'000'001;
/// Slurm keeps per-task CPU counts in 16 bits with the top two values reserved (NO_VAL16, INFINITE16);
/// sbatch wraps larger values silently. The same cap applies to GPUs per task.
inline constexpr long long kSlurmMaxPerTaskCount = 65'533;

/// An environment variable exported by the job script before its command.
struct SlurmEnvVar {
  std::string name;   // [A-Za-z_][A-Za-z0-9_]*, not SLURM_* (Slurm's own)
  std::string value;  // any text without NUL; single-quoted in the script
};

/// What one job (each array task, or the merge job) asks of Slurm and runs.
struct SlurmJob {
  std::string job_name;                    // --job-name: [A-Za-z0-9._-]+; also the log files' prefix (%x)
  std::optional<std::string> partition;    // --partition: NAME[,NAME...]; none = the cluster's default
  std::optional<std::string> time_limit;   // --time, as written: see slurm_time_limit_seconds
  long long cpus_per_task = 1;             // --cpus-per-task, in [1, kSlurmMaxPerTaskCount]
  std::optional<long long> gpus_per_task;  // --gpus-per-task, in [1, kSlurmMaxPerTaskCount]; none = no GPU
  /// Absolute folder of the per-task logs. Slurm does not create it: it must exist when the job starts.
  std::filesystem::path log_dir;
  std::vector<std::string> command;        // argv of the program each task runs (exec'd; quoted safely)
  std::vector<SlurmEnvVar> environment;    // exported before the command
  /// Shell lines run before the command, as written (e.g. "module load cuda/12.1"); one line each.
  std::vector<std::string> setup_lines;
};

/// An array of `array_size` tasks, at most `array_limit` running at once.
struct SlurmArrayJob {
  SlurmJob job;
  long long array_size = 0;               // N: task indices 0..N-1, N in [1, kSlurmMaxArraySize]
  std::optional<long long> array_limit;   // --array=0-(N-1)%K with K >= 1; none = as many as fit
};

/// Seconds of a Slurm --time value, validated: MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS,
/// DAYS-HOURS, DAYS-HOURS:MINUTES or DAYS-HOURS:MINUTES:SECONDS; digits only, every field but the first
/// below its unit's next (seconds, minutes < 60, hours after DAYS- < 24), total > 0 and at most what Slurm
/// can hold (2^32 - 3 minutes). Slurm itself accepts "25:61:00" or "0" (= no limit); this refuses them.
/// Throws InputError naming --time, the value and the accepted forms.
long long slurm_time_limit_seconds(std::string_view time_limit);

/// `word` as one bash word: unchanged if made only of [A-Za-z0-9_@%+:,./-] (and not empty), otherwise
/// single-quoted ('it'\''s'). Throws InputError if it holds a NUL byte (no argv can carry one).
std::string shell_quote(std::string_view word);

/// The sbatch script of an array job: #SBATCH --array=0-(N-1)[%K], logs LOG_DIR/NAME-ARRAYID_TASK.{out,err},
/// and the command, exec'd with the placeholders expanded for the task. The script refuses to run outside
/// an array or for an index >= N. Throws InputError naming the option if any is invalid.
std::string slurm_array_script(const SlurmArrayJob& array);

/// The sbatch script of a single job (the merge job): logs LOG_DIR/NAME-JOBID.{out,err}; it asks Slurm to
/// cancel it if its dependency can never be satisfied (a task failed), instead of pending forever. The
/// command must not use the task placeholders. Throws InputError naming the option if any is invalid.
std::string slurm_merge_script(const SlurmJob& merge);

}  // namespace idealgas
