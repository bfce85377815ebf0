// Results of single runs (a sweep's configurations, from any job kind) assembled into protocol grids for the checks:
// runs of one protocol, d and group (the values of every axis that is not a hyperparameter) form one grid over the
// distinct values of the protocol's two hyperparameters (i: eta or eta_eff, j: lambda or radius, increasing).
// Replicas of a grid point are combined: means of every quantity, standard errors propagated from the runs' own
// (calibrated, docs/numerics.md) SEs as sqrt(sum se_r^2)/R; the replicas themselves are kept for the replica
// bootstrap and for the calibration check (their spread against their reported SEs). A point without a result is
// a row of NaN with its status saying why.
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// One run's result.
struct GridPoint {
  Protocol protocol = Protocol::fixed_lr;
  long long d = 0;
  double first = kNaN, second = kNaN;  // eta or eta_eff; lambda or radius
  std::string group;                   // runs of different groups never share a grid ("" = one group)
  long long replica = 0;
  StationaryRow row;                   // NaN where the run measured nothing
  std::string status = "ok";           // "ok", or why there is no measurement (diverged, failed, pending)
};

struct AssembledGrid {
  std::string group;
  GridTable table;                               // replica means; rows in grid order
  std::vector<std::string> status;               // [rows]: "ok" or why the point has no measurement
  std::vector<std::vector<StationaryRow>> replicas;  // [rows][replicas with a measurement]
  long long max_replicas = 1;                    // most replicas of any point
};

/// Groups `points` into grids, in the order their (protocol, d, group) first appears. Throws InputError if two
/// runs claim the same point and replica.
std::vector<AssembledGrid> assemble_grids(const std::vector<GridPoint>& points);

/// Replica mean of `replicas` (each with a measurement): means of every numeric field, flags joined; each SE the
/// larger of the propagated one (sqrt(sum se^2)/n) and the replicas' spread (sd/sqrt(n), with >= 2 finite values).
StationaryRow combine_replicas(const std::vector<StationaryRow>& replicas);

/// Calibration of the reported SEs against the replicas' spread, pooled over the grid: for quantity X,
/// sqrt(mean over points of var_r(X)) / sqrt(mean over points and replicas of se_r^2). ~1 when the SEs are honest;
/// NaN without points of >= 2 replicas.
struct ReplicaCalibration {
  std::string quantity;     // "U", "r_mean", "S_sphere", "S", "lambda_eff"
  double sd_over_se = kNaN;
  int n_points = 0;         // points with >= 2 replicas and finite values
};
std::vector<ReplicaCalibration> replica_calibration(const AssembledGrid& grid);

}  // namespace idealgas
