// The folder of a sweep (docs/sweep.md) and what it says about each configuration. The run folders are the
// truth; DIR/sweep.json and DIR/summary.csv are views of them written by whoever finishes (sweep_table.hpp).
//   DIR/grid.toml            the grid config as given: a rerun, a shard or a merge must expand to the same grid
//   DIR/runs/<id>/           one configuration: the job's own files (run.json, checkpoint.bin, summary.json ...)
//       config.toml          its effective configuration, written by the sweep before the first attempt
//       job.log              stdout and stderr of every attempt, each after a header line
//       failure.json         why the last attempt failed (exit status or signal, the last line it printed)
//   DIR/sweep.json, DIR/summary.csv, DIR/analysis.json, DIR/report.html
//   DIR/slurm/               job scripts and per-task logs of --slurm
// Locks: a sweep or merge over the whole grid holds DIR/.lock exclusively; shards hold it shared (they work side
// by side, each in its own run folders) and their own DIR/.shard-I-of-N.lock; each job holds its run folder's.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/sweep/grid_config.hpp"

namespace idealgas {

inline constexpr const char* kSweepGridFile = "grid.toml";
inline constexpr const char* kSweepRunsFolder = "runs";
inline constexpr const char* kSweepStatusFile = "sweep.json";
inline constexpr const char* kSweepSummaryFile = "summary.csv";
inline constexpr const char* kRunConfigFile = "config.toml";
inline constexpr const char* kRunLogFile = "job.log";
inline constexpr const char* kRunFailureFile = "failure.json";
inline constexpr const char* kRunSummaryFile = "summary.json";

std::filesystem::path run_folder(const std::filesystem::path& dir, const std::string& id);

/// A configuration's state, read from its run folder.
enum class RunState {
  pending,   // never ran, or interrupted (a checkpoint may wait in its folder)
  running,   // its folder is locked by a live job
  done,      // summary.json: finished
  diverged,  // summary.json: diverged (a result: rerunning gives the same divergence)
  failed,    // the last attempt failed (failure.json); a rerun retries it
};
const char* run_state_name(RunState state);  // "pending", "running", ...

struct ConfigurationStatus {
  RunState state = RunState::pending;
  std::string reason;  // diverged, failed: why
};

/// What `run_dir` says. A summary.json that does not parse counts as failed (its reason says so).
ConfigurationStatus configuration_status(const std::filesystem::path& run_dir);

/// A sweep folder's grid: DIR/grid.toml parsed. InputError if DIR is not a sweep folder.
GridConfig read_sweep_grid(const std::filesystem::path& dir);

/// --restart of a sweep: removes what sweeps, their jobs, analyze and report write in DIR (core/run_folder.hpp
/// remove_own_files), and nothing else; refuses, naming the file, when DIR holds anything else where it would
/// remove, or has no grid.toml of a sweep. Call while holding DIR's exclusive lock. Returns the entries removed.
int restart_sweep_folder(const std::filesystem::path& dir, const JobKinds& kinds);

/// Adopts `grid` for DIR: writes DIR/grid.toml if the folder has none, otherwise requires the folder's grid to
/// expand to the same configurations (ids in order), else InputError naming the first difference and the way out:
/// `way_out` (the command's own, e.g. analyze's; issue 18: analyze suggested flags it does not have), by default
/// the sweep command's (--out, --restart).
void adopt_sweep_grid(const std::filesystem::path& dir, const GridConfig& grid,
                      const std::vector<SweepConfiguration>& configurations, const JobKinds& kinds,
                      const std::string& way_out = "");

}  // namespace idealgas
