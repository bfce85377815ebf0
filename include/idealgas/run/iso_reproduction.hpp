// The isotropic-noise reproduction as one library call (what `idealgas reproduce iso` runs, and what a sweep or
// the Python module can run): the protocol grids with checkpoints and resume, summary.csv and checks.json per
// protocol, the merged DIR/checks.json and DIR/run.json, and the verdict. Folder rules (docs/outputs.md):
// one run at a time per folder (a lock); a run of another configuration is refused before anything is written;
// a run of a subset of the protocols merges into the folder's results; --restart removes every result of the
// folder first; stale temporaries of killed writes are removed; SIGINT/SIGTERM/SIGHUP save a checkpoint and throw
// Interrupted.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/report/iso_report.hpp"
#include "idealgas/simulate/iso_config.hpp"

namespace idealgas {

struct IsoProgress {
  Protocol protocol;
  double fraction = 0.0;         // of this protocol's work (configuration-iterations), 0..1
  double elapsed_seconds = 0.0;  // since this protocol (re)started in this process
  double eta_seconds = 0.0;      // estimated time left for this protocol
  long long resumed_from = 0;    // iteration of the checkpoint it resumed from (0 = fresh)
  bool finished = false;
};

struct IsoReproductionOptions {
  IsoConfig config;                      // validated; config.protocols are the grids to run now
  std::filesystem::path out;             // the results folder
  bool restart = false;                  // remove the folder's results first
  std::string command_line;              // recorded in run.json
  std::function<void(const IsoProgress&)> progress;  // may be empty
};

struct IsoReproductionResult {
  nlohmann::json checks;                 // DIR/checks.json: every protocol with results in the folder
  std::vector<VerdictLine> verdict;
  std::string verdict_text;
  std::vector<std::string> incomplete;   // rows without a measurement (divergence, failed entropy)
  double wall_seconds = 0.0;
};

IsoReproductionResult run_iso_reproduction(const IsoReproductionOptions& options);

}  // namespace idealgas
