// V3 as the paper's Table 4 reports it (docs/paper-setup.md §2): the quadratic fit of S in the log-hyperparameters
// (Eq. 30, analyse/validation_checks.hpp check_maxwell_relations) and its derived coefficients over R = (d-1)/2 —
// fixed ELR a2/R, 2a4/R, a5/R; fixed LR (a1-a2)/R, (2a3-a5)/R, (2a4-a5)/R; sphere a1/R, ... — with the maximum
// relative error of the local relation over the grid and R^2, each with a bootstrap SE beside the fit's own (OLS) SE.
// Resampling: the replicas of each grid point when every point has >= 2 (the grid stays whole; this is the noise
// the fit sees), otherwise the grid points themselves with replacement (cases bootstrap; resamples that leave an axis
// with < 3 distinct values cannot be fitted and are skipped, and counted).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "idealgas/analyse/grid_assembly.hpp"

namespace idealgas {

struct Table4Value {
  std::string name;            // "(a1-a2)/R", "max_rel_err", "r_squared", ...
  double value = kNaN;         // from the fit of the grid as measured
  double ols_se = kNaN;        // the fit's own SE (NaN for max_rel_err and r_squared)
  double bootstrap_se = kNaN;  // sd over the resamples
  double target = kNaN;        // theory (NaN for max_rel_err and r_squared)
  double paper = kNaN;         // the paper's Table 4 value where a setup matches (set by the caller)
};

struct Table4 {
  Protocol protocol = Protocol::fixed_lr;
  std::vector<Table4Value> values;  // the derived coefficients, then max_rel_err, then r_squared
  std::string resampling;           // "replicas within grid points" or "grid points (cases)"
  int n_bootstrap = 0;              // resamples asked for
  int n_used = 0;                   // resamples that could be fitted
  std::string error;                // why there is no table (e.g. fewer than 3 values per axis), else ""
};

struct Table4Options {
  int n_bootstrap = 1000;
  std::uint64_t seed = 20240601;    // resampling stream: the same table gives the same SEs
};

Table4 maxwell_table4(const AssembledGrid& grid, const Table4Options& options = {});

/// {"protocol", "resampling", "n_bootstrap", "n_used", "error", "values": [{"name", "value", "ols_se",
/// "bootstrap_se", "target", "paper"}]}; NaN -> null.
nlohmann::json to_json(const Table4& table);

}  // namespace idealgas
