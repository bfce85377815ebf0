// Stationary averages of a finished isotropic-noise grid, beside the theory (docs/theory.md §3-5): one
// StationaryRow per configuration. Means over the stationary window with batch-means standard errors;
// S = mean of the window's entropy estimates, SE = their spread / sqrt(count).
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas {

struct IsoStationaryTable {
  GridTable table;
  std::vector<std::string> status;  // [rows]: "ok", or why the row has no measurement (divergence)
};

/// Whether to measure the entropy estimator's bias on exact VMF samples (S_sphere_expected: 5 x 48 KL estimates per
/// queue size in the grid). The SE calibration skips it: it compares replicas with each other, not with theory.
enum class EstimatorReference { measure, skip };

/// Requires grid.finished() (InputError otherwise: the stationary window is at the end of the run).
IsoStationaryTable iso_stationary_table(const IsoGrid& grid,
                                        EstimatorReference reference = EstimatorReference::measure);

}  // namespace idealgas
