// One configuration of the isotropic-noise model run into its own folder: what `idealgas simulate iso CONFIG
// --out DIR` runs, and every iso job of a sweep (one subprocess per configuration). Writes
//   DIR/run.json       job "simulate iso", the configuration in point form (defaults included), build, times
//   DIR/checkpoint.bin complete state; a killed run resumes from it bitwise exactly
//   DIR/summary.csv    its one row (report/summary_csv.hpp)
//   DIR/summary.json   "status" (finished | diverged), "divergence", "protocol", "hyperparameters", "d", "sigma2",
//                      and "stationary": the same row as JSON (report/summary_json.hpp; the shape of train's)
// and no report. Folder rules as for reproduce iso: a lock, another configuration refused before anything is
// written (run/run_record.hpp), stale temporaries removed, SIGINT/SIGTERM/SIGHUP -> checkpoint and Interrupted.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/run/iso_grid_run.hpp"
#include "idealgas/simulate/iso_config.hpp"

namespace idealgas {

/// run.json's "job" of a one-configuration isotropic run.
inline constexpr const char* kIsoPointJobName = "simulate iso";

struct IsoPointRunOptions {
  IsoConfig config;                  // one configuration: config.is_point()
  std::filesystem::path out;         // its folder
  bool restart = false;              // remove the folder's results first
  std::string command_line;          // recorded in run.json
  std::function<void(const IsoProgress&)> progress;  // may be empty
};

struct IsoPointRunResult {
  nlohmann::json summary;     // summary.json as written
  bool diverged = false;      // summary["status"] == "diverged"; the reason is summary["divergence"]
  double wall_seconds = 0.0;  // of this invocation
};

/// Throws InputError if the config is not one configuration or the folder holds another one.
IsoPointRunResult run_iso_point(const IsoPointRunOptions& options);

}  // namespace idealgas
