#include "idealgas/sweep/sweep_folder.hpp"

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/report/html_report_iso.hpp"
#include "idealgas/sweep/folder_analysis.hpp"
#include "idealgas/sweep/run_summary.hpp"

namespace idealgas {

namespace fs = std::filesystem;

fs::path run_folder(const fs::path& dir, const std::string& id) { return dir / kSweepRunsFolder / id; }

const char* run_state_name(RunState state) {
  switch (state) {
    case RunState::pending: return "pending";
    case RunState::running: return "running";
    case RunState::done: return "done";
    case RunState::diverged: return "diverged";
    case RunState::failed: return "failed";
  }
  return "?";
}

ConfigurationStatus configuration_status(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) return {};
  if (folder_locked(run_dir)) return {RunState::running, ""};
  if (fs::exists(run_dir / kRunSummaryFile, ec)) {
    try {
      const RunSummary s = read_run_summary(run_dir / kRunSummaryFile);
      if (s.status == "diverged") return {RunState::diverged, s.divergence};
      return {RunState::done, ""};
    } catch (const Error& e) {
      return {RunState::failed, fmt::format("its summary.json cannot be read ({}); a rerun redoes it", e.what())};
    }
  }
  if (fs::exists(run_dir / kRunFailureFile, ec)) {
    std::string reason = "failed (failure.json unreadable)";
    const nlohmann::json f = nlohmann::json::parse(read_file(run_dir / kRunFailureFile), nullptr, false);
    if (f.is_object() && f.contains("reason") && f["reason"].is_string()) reason = f["reason"].get<std::string>();
    return {RunState::failed, reason};
  }
  return {};
}

GridConfig read_sweep_grid(const fs::path& dir) {
  const fs::path file = dir / kSweepGridFile;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(fmt::format("{} is not a folder; give a sweep folder (idealgas sweep ... --out DIR)", dir.string()));
  if (!fs::exists(file, ec))
    throw InputError(fmt::format("{} is not a sweep folder: it has no {} (written by idealgas sweep)", dir.string(),
                                 kSweepGridFile));
  return GridConfig::from_toml_file(file.string());
}

int restart_sweep_folder(const fs::path& dir, const JobKinds& kinds) {
  // A run folder holds the sweep's files (config.toml, job.log, failure.json) and its job's: simulate iso's
  // (run/iso_point_run.cpp: run.json, checkpoint.bin, summary.csv, summary.json) or train's
  // (train/training_run.cpp: checkpoint.bin, trace.csv, running.csv, summary.json, meta.json, config.toml).
  const OwnFiles run{{kRunConfigFile, kRunLogFile, kRunFailureFile, kRunSummaryFile, "run.json", "checkpoint.bin",
                      "summary.csv", "trace.csv", "running.csv", "meta.json"},
                     {}};
  const OwnFiles own{{kSweepGridFile, kSweepStatusFile, kSweepSummaryFile, kAnalysisFile, "report.html"},
                     {{kSweepRunsFolder, {{}, {{"*", run}}}},
                      {kAnalysisFolder, {{"*.csv"}, {}}},
                      {report::kFiguresFolder, {{"*.png", "*.svg"}, {}}},
                      {"slurm", {{"*.sh"}, {{"logs", {{"*.out", "*.err"}, {}}}}}}}};
  const FolderRecordsLock records(dir);
  bool ours = false;
  try {
    const GridConfig grid = read_sweep_grid(dir);
    kinds.find(grid.kind, grid.source);
    ours = true;
  } catch (const Error&) {
    // no grid.toml, or one that is not a sweep's: nothing there is known to be idealgas's
  }
  return remove_own_files(dir, own, kSweepGridFile, ours);
}

void adopt_sweep_grid(const fs::path& dir, const GridConfig& grid, const std::vector<SweepConfiguration>& configurations,
                      const JobKinds& kinds, const std::string& way_out) {
  const fs::path file = dir / kSweepGridFile;
  const FolderRecordsLock records(dir);  // another shard may be adopting its grid at this very moment
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    write_file_atomically(file, grid.text);
    return;
  }
  const GridConfig old = GridConfig::from_toml_file(file.string());
  if (old.text == grid.text) return;
  const std::vector<SweepConfiguration> before = expand_grid(old, kinds.find(old.kind, old.source));
  std::string difference;
  if (before.size() != configurations.size()) {
    difference = fmt::format("it has {} configurations, this grid {}", before.size(), configurations.size());
  } else {
    for (std::size_t k = 0; k < before.size() && difference.empty(); ++k)
      if (before[k].id != configurations[k].id)
        difference = fmt::format("configuration {} is {} there, {} here", k, before[k].label, configurations[k].label);
  }
  if (!difference.empty())
    throw InputError(fmt::format("{} holds a sweep of another grid ({}); {}", dir.string(), difference,
                                 way_out.empty() ? "choose another --out, or pass --restart to remove that sweep's "
                                                   "results (only those) and start over"
                                                 : way_out));
}

}  // namespace idealgas
