// Every configuration of a sweep with its state and result, read from its run folder: the grid summary.
// DIR/summary.csv holds one row per configuration in grid order (its index, id, replica, axis values, protocol,
// state, reason, then every numeric column of summary.csv: report/summary_csv.hpp); axis columns are named
// "axis:KEY". It carries no time or host, so two sweeps of the same grid (local, sharded or on Slurm) write the same
// bytes. DIR/sweep.json lists the states.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/sweep/grid_config.hpp"
#include "idealgas/sweep/run_summary.hpp"
#include "idealgas/sweep/sweep_folder.hpp"

namespace idealgas {

/// Prefix of the axis columns of DIR/summary.csv ("axis:eta"), apart from the result columns of the same name.
inline constexpr const char* kSweepAxisColumnPrefix = "axis:";

struct SweepRow {
  SweepConfiguration configuration;
  ConfigurationStatus status;
  std::optional<RunSummary> summary;  // done or diverged
};

struct SweepCounts {
  long long done = 0, diverged = 0, failed = 0, running = 0, pending = 0;
  long long total() const { return done + diverged + failed + running + pending; }
  void add(RunState state);
};

struct SweepTable {
  std::filesystem::path dir;
  GridConfig grid;
  std::vector<SweepRow> rows;  // grid order
  SweepCounts counts;
};

/// Reads every configuration's run folder under `dir` (the grid as expanded by the caller).
SweepTable collect_sweep(const std::filesystem::path& dir, const GridConfig& grid,
                         const std::vector<SweepConfiguration>& configurations);
/// The same over several folders holding shards of one grid: each configuration's result from the first folder where
/// it is done (or diverged), else its state in the first folder. The table's dir is the first folder.
SweepTable collect_sweep(const std::vector<std::filesystem::path>& dirs, const GridConfig& grid,
                         const std::vector<SweepConfiguration>& configurations);

/// DIR/summary.csv's text.
std::string sweep_summary_csv(const SweepTable& table);
/// DIR/sweep.json's content.
nlohmann::json sweep_status_json(const SweepTable& table);
/// Writes both atomically.
void write_sweep_views(const SweepTable& table);

/// `idealgas sweep merge DIR [MORE...]`: the run folders of configurations that are done (or diverged) in one of the
/// other folders but not in DIR are copied into DIR (whole folders, atomically); every folder must hold the same
/// grid. Then DIR/sweep.json and DIR/summary.csv are written. Holds DIR's lock exclusively (shards must have
/// finished). Returns the table.
SweepTable merge_sweep_folders(const std::filesystem::path& dir, const std::vector<std::filesystem::path>& others,
                               const JobKinds& kinds);

}  // namespace idealgas
