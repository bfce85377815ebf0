// Are the reported standard errors honest? The same grid run with independent seeds gives, per configuration and
// quantity, the seed-to-seed standard deviation of the estimate; an honest SE equals it on average. Per region of
// the grid the pooled ratio sqrt(mean_c [SD_c^2 / mean_seeds(SE_c^2)]) is reported (ratio 1: honest; > 1: the
// SEs are too small). Each cell is normalised by its own SE before pooling, so that cells whose values vary on
// larger scales do not dominate; pooling over the C cells of a region with S seeds gives the ratio a relative
// precision of about 1/sqrt(2 C (S-1)).
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// Regions of an n_first x n_second grid: the 4 corner cells, the other border cells, the interior.
enum class GridRegion { corners, edges, interior };
const char* grid_region_name(GridRegion r);
GridRegion grid_region(int i, int j, int n_first, int n_second);

struct CalibrationRatio {
  std::string quantity;   // "U", "r_mean", "lambda_eff", "S_sphere"
  std::string region;     // "corners", "edges", "interior", "all"
  int cells = 0;          // configurations pooled (with >= 2 finite seeds)
  int seeds = 0;          // the smallest number of finite seeds over those cells
  double sd_over_se = kNaN;
};

/// `tables`: the same grid (same protocol, shape and hyperparameters) from independent seeds (>= 2). For U,
/// r_mean (lr, elr) or lambda_eff (sphere) and S_sphere, the pooled ratio per region and over the whole grid.
/// Throws InputError if the tables do not describe the same grid.
std::vector<CalibrationRatio> se_calibration(const std::vector<GridTable>& tables);

}  // namespace idealgas
