// Everything `idealgas analyze` says about one assembled protocol grid (analyse/grid_assembly.hpp), as JSON:
// the grid's shape and what is missing, sigma^2 and its collapse (sigma2_collapse.hpp), the temperature range, V1-V4
// (validation_checks.hpp; a check that cannot run on this grid is recorded with its reason), V3 as the paper's
// Table 4 with bootstrap SEs (maxwell_table4.hpp), the compressibility factor Z = PV/(RT) of every configuration with
// its SE and distance from the ideal gas in SEs (compressibility.hpp), and the replica calibration of the SEs.
#pragma once

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_assembly.hpp"
#include "idealgas/analyse/maxwell_table4.hpp"

namespace idealgas {

struct GridAnalysisOptions {
  Table4Options table4;
  std::string paper_setup;  // a setup of the paper's Table 4 (analyse/paper_table4.hpp) to compare with; "" = none
};

nlohmann::json analyse_grid(const AssembledGrid& grid, const GridAnalysisOptions& options = {});

/// A short name for the grid's files: "lr", "elr_width=8", ... ([A-Za-z0-9._=-] and '~' only, bounded, distinct
/// for distinct groups: core/file_stem.hpp).
std::string grid_file_stem(const AssembledGrid& grid);

}  // namespace idealgas
