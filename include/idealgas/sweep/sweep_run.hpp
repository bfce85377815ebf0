// `idealgas sweep`: runs the configurations of a grid (or of one shard of it) as subprocesses, `jobs` at a time,
// each into its own run folder (sweep_folder.hpp). Resumable: configurations that are done or diverged are skipped,
// interrupted ones resume from their checkpoints (the job does that), failed ones are retried. A failed
// configuration is recorded with its reason (failure.json) and the rest continues. SIGINT/SIGTERM/SIGHUP: no new
// job starts, each running job is sent SIGTERM once (it checkpoints and exits), then Interrupted is thrown.
// A run over the whole grid ends by writing DIR/sweep.json and DIR/summary.csv (also when interrupted: sweep.json).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "idealgas/sweep/grid_config.hpp"
#include "idealgas/sweep/shard.hpp"
#include "idealgas/sweep/sweep_table.hpp"

namespace idealgas {

struct SweepProgress {
  long long total = 0;         // configurations of this run (its shard)
  SweepCounts counts;          // their states now
  long long finished_now = 0;  // finished (done, diverged or failed) by this invocation
  double elapsed_seconds = 0.0;
  double eta_seconds = kNaN;   // from this invocation's pace; NaN before the first finish
  std::string event;           // what just happened ("done 12 (eta=0.01 lambda=0.001), 3.2 s"), or "" for a tick
};

struct SweepOptions {
  GridConfig grid;
  JobKinds kinds;
  std::filesystem::path out;
  int jobs = 1;                // workers (subprocesses at once), >= 1
  Shard shard;                 // the share of the grid to run
  std::string program;         // the idealgas executable each job runs
  bool restart = false;        // remove the folder's sweep results first (restart_sweep_folder); whole grids only
  std::function<void(const SweepProgress&)> progress;  // on every event and about once a second; may be empty
};

struct SweepResult {
  long long total = 0;       // configurations of this run (its shard)
  SweepCounts counts;        // their final states
  long long skipped = 0;     // already done or diverged when it started
  long long finished_now = 0;  // finished (done, diverged or failed) by this invocation
  std::vector<std::string> failures;  // "index id (label): reason"
  double wall_seconds = 0.0;
  bool views_written = false;  // DIR/sweep.json and summary.csv (whole-grid runs)
};

SweepResult run_sweep(const SweepOptions& options);

/// Most workers one sweep runs at once.
inline constexpr int kMaxSweepJobs = 4096;

}  // namespace idealgas
