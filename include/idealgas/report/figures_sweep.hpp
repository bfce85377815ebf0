// The figures of a sweep's report (`idealgas report DIR` on a sweep folder), per assembled protocol grid
// (analyse/grid_assembly.hpp), for network and isotropic grids alike (every prediction uses the run's own measured
// sigma^2, never a model constant):
//   fig2_<grid>      the panels of the paper's Fig. 2: (a) sigma^2 against eta*lambda (fixed LR) or eta_eff (the
//                    collapse onto one curve), (b) T against the first hyperparameter, (c) r* (sphere: lambda_eff)
//                    with its SDE prediction, (d) the mean loss U, (e) S against the first and (f) against the second
//                    hyperparameter with the quadratic fit of V3 (Eq. 30) dashed
//   fig13_<grid>     measured r* (lambda_eff) on its SDE (solid) and discrete-time (dashed) predictions, log axes
//   z_map_<grid>     the compressibility factor Z = PV/(RT) over the grid
//   curves_<grid>    App. I's learning curves: loss, radius, Tr Sigma and |grad L(w_hat)|^2 against iterations (log-log)
//                    for configurations along the first hyperparameter (networks: from each run's trace.csv)
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_assembly.hpp"
#include "idealgas/report/figure.hpp"

namespace idealgas::report {

/// One configuration's time series (trace.csv's log points).
struct LearningCurve {
  std::string label;           // legend text, e.g. "η_{eff} = 0.001"
  double colour_value = kNaN;  // the hyperparameter value it is coloured by
  std::vector<double> iteration, loss, radius, tr_sigma, grad_norm_sq;  // [n] each; NaN where not measured
};

/// A figure-file-safe form of a grid's name: [a-z0-9_] and '~' only, at most kFileStemMax characters, distinct for
/// distinct names (core/file_stem.hpp).
std::string figure_stem(const std::string& grid_name);

/// fig2, fig13 and z_map of one grid; `stem` names the files (figure_stem), `section` the page section.
std::vector<Figure> sweep_grid_figures(const AssembledGrid& grid, const std::string& stem, const std::string& section);

/// App. I's learning curves of `curves`, coloured by `colour_label`'s values. Requires at least one curve.
Figure learning_curves_figure(const std::vector<LearningCurve>& curves, const std::string& colour_label,
                              const std::string& stem, const std::string& section);

}  // namespace idealgas::report
