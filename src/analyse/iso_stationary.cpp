#include "idealgas/analyse/iso_stationary.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/batch_means.hpp"
#include "idealgas/theory/ideal_gas.hpp"

namespace idealgas {

IsoStationaryTable iso_stationary_table(const IsoGrid& grid) {
  if (!grid.finished())
    throw InputError(fmt::format("the {} grid is at iteration {} of {}; stationary averages need the full run",
                                 protocol_name(grid.protocol()), grid.iteration(),
                                 grid.config().schedule.iterations));
  const IsoConfig& config = grid.config();
  IsoStationaryTable out;
  GridTable& t = out.table;
  t.protocol = grid.protocol();
  t.d = config.d;
  t.sigma2 = config.sigma2;
  t.n_first = static_cast<int>(grid.first_axis().size());
  t.n_second = static_cast<int>(grid.second_axis().size());

  for (const IsoWalker& w : grid.walkers()) {
    StationaryRow row;
    row.i = w.i;
    row.j = w.j;
    theory::StationaryInputs in;
    in.sigma2 = config.sigma2;
    in.d = config.d;
    switch (t.protocol) {
      case Protocol::fixed_lr:
        row.eta = in.eta = w.protocol.eta;
        row.lambda = in.lambda = w.protocol.lambda;
        break;
      case Protocol::fixed_elr:
        row.eta = in.eta_eff = w.protocol.eta_eff;
        row.lambda = in.lambda = w.protocol.lambda;
        break;
      case Protocol::fixed_sphere:
        row.eta = in.eta_eff = w.protocol.eta_eff;
        row.radius = in.radius = w.protocol.radius;
        break;
    }
    // Predictions without measured input: SDE radius, exact VMF at the protocol's T.
    const theory::StationaryState sde = theory::stationary_state(t.protocol, in);
    row.T = sde.T;
    row.U_vmf = sde.U;
    row.S_sphere_vmf = sde.S_sphere;
    row.S_pred = sde.S;
    row.r_sde = t.protocol == Protocol::fixed_sphere ? kNaN : sde.r;
    row.lambda_eff_sde = sde.lambda_eff;

    if (w.divergence.empty()) {
      row.U = w.loss.mean();
      row.U_se = w.loss.standard_error();
      row.r_mean = w.radius.mean();
      row.r_se = w.radius.standard_error();
      row.grad_norm_sq = w.grad_norm_sq.mean();
      const MeanSe s_sphere = mean_and_se(w.entropy_sphere);
      const MeanSe s_total = mean_and_se(w.entropy_total);
      row.S_sphere = s_sphere.mean;
      row.S_sphere_se = s_sphere.se;
      row.S = s_total.mean;
      row.S_se = s_total.se;
      row.adjacent_nn_fraction = mean_and_se(w.adjacent_nn_fraction).mean;
      row.duplicates = w.duplicates;
      row.V = t.protocol == Protocol::fixed_sphere ? 0.5 * w.protocol.radius * w.protocol.radius
                                                   : 0.5 * w.radius_sq.mean();
      if (t.protocol == Protocol::fixed_sphere) {
        row.lambda_eff = w.lambda_eff.mean();
        row.lambda_eff_se = w.lambda_eff.standard_error();
        row.P = row.lambda_eff;
      } else {
        row.P = w.protocol.lambda;
      }
      // Discrete-time corrections (App. H) with the measured mean squared full gradient.
      theory::StationaryInputs measured = in;
      measured.grad_norm_sq = row.grad_norm_sq;
      const theory::StationaryState discrete = theory::stationary_state(t.protocol, measured);
      row.r_discrete = t.protocol == Protocol::fixed_sphere ? kNaN : discrete.r_discrete;
      row.lambda_eff_discrete = discrete.lambda_eff_discrete;
      out.status.emplace_back("ok");
    } else {
      row.P = t.protocol == Protocol::fixed_sphere ? kNaN : w.protocol.lambda;
      out.status.push_back(w.divergence);
    }
    t.rows.push_back(row);
  }
  return out;
}

}  // namespace idealgas
