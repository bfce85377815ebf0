// `idealgas analyze DIR [MORE...]`: the protocol grids of a results folder assembled and checked. DIR is a sweep
// folder (its configurations' results, also from shard folders given after it) or a `reproduce iso` folder (its
// protocols' summary.csv). Writes, atomically:
//   DIR/analysis.json          {"source", "grids": [analyse_grid(...) per grid]} (analyse/grid_analysis.hpp)
//   DIR/analysis/<grid>.csv    the grid table: one row per grid point (replica means), values beside their SEs,
//                              in summary.csv's columns (report/summary_csv.hpp)
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_analysis.hpp"
#include "idealgas/sweep/job_kind.hpp"
#include "idealgas/sweep/sweep_table.hpp"

namespace idealgas {

inline constexpr const char* kAnalysisFile = "analysis.json";
inline constexpr const char* kAnalysisFolder = "analysis";

struct FolderAnalysis {
  std::filesystem::path dir;
  std::string source;                      // "sweep" or "reproduce iso"
  std::optional<SweepTable> sweep;         // a sweep's configurations (sweep folders)
  std::vector<AssembledGrid> grids;
  nlohmann::json json;                     // analysis.json
  std::vector<std::filesystem::path> files;  // written by write_folder_analysis
};

/// The rows of a sweep as grid points: grouped by the values of every axis that is not a hyperparameter of `kind`;
/// a configuration without a result is a point with its state and reason as status.
std::vector<GridPoint> sweep_grid_points(const SweepTable& table, const JobKind& kind);

/// Reads, assembles and checks; writes nothing. InputError if DIR is neither kind of folder or holds a file that does
/// not parse.
FolderAnalysis analyse_folder(const std::filesystem::path& dir, const std::vector<std::filesystem::path>& others,
                              const JobKinds& kinds, const GridAnalysisOptions& options = {});

/// Writes DIR/analysis.json and DIR/analysis/<grid>.csv (atomically); records them in analysis.files.
void write_folder_analysis(FolderAnalysis& analysis);

}  // namespace idealgas
