#include "idealgas/analyse/se_calibration.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

const char* grid_region_name(GridRegion r) {
  switch (r) {
    case GridRegion::corners: return "corners";
    case GridRegion::edges: return "edges";
    case GridRegion::interior: return "interior";
  }
  return "?";
}

GridRegion grid_region(int i, int j, int n_first, int n_second) {
  const bool border_i = i == 0 || i == n_first - 1, border_j = j == 0 || j == n_second - 1;
  if (border_i && border_j) return GridRegion::corners;
  if (border_i || border_j) return GridRegion::edges;
  return GridRegion::interior;
}

std::vector<CalibrationRatio> se_calibration(const std::vector<GridTable>& tables) {
  if (tables.size() < 2) throw InputError("SE calibration needs the same grid from at least 2 seeds");
  const GridTable& first = tables.front();
  for (const GridTable& t : tables)
    if (t.protocol != first.protocol || t.n_first != first.n_first || t.n_second != first.n_second ||
        t.rows.size() != first.rows.size())
      throw InputError("SE calibration: the tables are not the same grid (protocol or shape differ)");
  const bool sphere = first.protocol == Protocol::fixed_sphere;
  struct Quantity {
    const char* name;
    double StationaryRow::*value;
    double StationaryRow::*se;
  };
  const Quantity quantities[] = {
      {"U", &StationaryRow::U, &StationaryRow::U_se},
      sphere ? Quantity{"lambda_eff", &StationaryRow::lambda_eff, &StationaryRow::lambda_eff_se}
             : Quantity{"r_mean", &StationaryRow::r_mean, &StationaryRow::r_se},
      {"S_sphere", &StationaryRow::S_sphere, &StationaryRow::S_sphere_se},
  };
  std::vector<CalibrationRatio> out;
  for (const Quantity& q : quantities) {
    // Per region (and "all"): sum of seed-to-seed variances, sum of mean squared SEs.
    struct Pool {
      double var = 0.0, se_sq = 0.0;
      int cells = 0, seeds = 0;
    };
    Pool pools[4];  // corners, edges, interior, all
    for (std::size_t k = 0; k < first.rows.size(); ++k) {
      const StationaryRow& row = first.rows[k];
      if (row.eta != tables.back().rows[k].eta)
        throw InputError(fmt::format("SE calibration: row {} has different hyperparameters across the tables", k));
      std::vector<double> values, se_sq;
      for (const GridTable& t : tables) {
        const double v = t.rows[k].*q.value, s = t.rows[k].*q.se;
        if (std::isfinite(v) && std::isfinite(s)) values.push_back(v), se_sq.push_back(s * s);
      }
      if (values.size() < 2) continue;
      double mean = 0.0, mean_se_sq = 0.0;
      for (std::size_t s = 0; s < values.size(); ++s) mean += values[s], mean_se_sq += se_sq[s];
      mean /= static_cast<double>(values.size());
      mean_se_sq /= static_cast<double>(values.size());
      double var = 0.0;
      for (double v : values) var += (v - mean) * (v - mean);
      var /= static_cast<double>(values.size() - 1);
      const int region = static_cast<int>(grid_region(row.i, row.j, first.n_first, first.n_second));
      if (!(mean_se_sq > 0.0)) continue;
      for (Pool* p : {&pools[region], &pools[3]}) {
        p->var += var / mean_se_sq;  // this cell's SD^2 / SE^2
        p->se_sq += 1.0;
        p->seeds = p->cells == 0 ? static_cast<int>(values.size()) : std::min(p->seeds, static_cast<int>(values.size()));
        ++p->cells;
      }
    }
    for (int r = 0; r < 4; ++r) {
      const Pool& p = pools[r];
      if (p.cells == 0) continue;
      CalibrationRatio c;
      c.quantity = q.name;
      c.region = r == 3 ? "all" : grid_region_name(static_cast<GridRegion>(r));
      c.cells = p.cells;
      c.seeds = p.seeds;
      c.sd_over_se = p.se_sq > 0.0 ? std::sqrt(p.var / p.se_sq) : kNaN;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace idealgas
