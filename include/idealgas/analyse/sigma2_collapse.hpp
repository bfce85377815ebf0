// The collapse of the gradient-noise scale sigma^2 = Tr Sigma(w_hat)/(d-1) onto one curve (paper Fig. 2a and the
// assumption of the fixed-LR Maxwell relation, docs/theory.md App. D.4): sigma^2 should depend on the hyperparameters
// only through u = log(eta lambda) (fixed LR) or u = log eta_eff (fixed ELR, sphere). Checked by fitting
// log sigma^2 ~ c0 + c1 u + c2 u^2 (the curve) and the same plus c3 v, with v = log lambda (lr, elr) or log r
// (sphere) the direction the curve should not see: the collapse holds when c3 = 0 within its SE. In the isotropic
// model sigma^2 is a constant of the model: the collapse is exact and no fit is made.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "idealgas/analyse/grid_table.hpp"
#include "idealgas/analyse/least_squares.hpp"

namespace idealgas {

struct Sigma2Collapse {
  std::string variable;        // "log(eta*lambda)" or "log(eta_eff)"
  std::string other_variable;  // "log(lambda)" or "log(r)"
  int n_points = 0;            // rows with a finite, positive sigma^2
  bool constant = false;       // every sigma^2 equal (the isotropic model): exact collapse, no fit
  double sigma2_min = kNaN, sigma2_max = kNaN;
  LinearFit curve;             // log sigma^2 on (1, u, u^2)
  LinearFit extended;          // log sigma^2 on (1, u, u^2, v)
  double residual_sd = kNaN;   // of log sigma^2 about the curve: its relative scatter
  double other_slope = kNaN, other_slope_se = kNaN;  // c3, and its distance from 0 in SE
  double other_slope_z = kNaN;
  std::string error;           // why the fits could not be made (too few points, one value of an axis), else ""
};

Sigma2Collapse check_sigma2_collapse(const GridTable& table);

/// {"variable", "other_variable", "n_points", "constant", "sigma2_min", "sigma2_max", "curve", "extended",
/// "residual_sd", "other_slope", "other_slope_se", "other_slope_z", "error"}; NaN -> null.
nlohmann::json to_json(const Sigma2Collapse& collapse);

}  // namespace idealgas
