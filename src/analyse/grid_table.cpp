#include "idealgas/analyse/grid_table.hpp"

#include <iterator>

namespace idealgas {

namespace {

// The numeric fields in summary.csv's column order; i, j, protocol, duplicates, flags and status are written around
// them (report/summary_csv.hpp).
const StationaryColumn kColumns[] = {
    {"eta", &StationaryRow::eta},
    {"lambda", &StationaryRow::lambda},
    {"radius", &StationaryRow::radius},
    {"sigma2", &StationaryRow::sigma2},
    {"sigma2_se", &StationaryRow::sigma2_se},
    {"T", &StationaryRow::T},
    {"T_se", &StationaryRow::T_se},
    {"P", &StationaryRow::P},
    {"V", &StationaryRow::V},
    {"V_se", &StationaryRow::V_se},
    {"Z", &StationaryRow::Z},
    {"Z_se", &StationaryRow::Z_se},
    {"U", &StationaryRow::U},
    {"U_se", &StationaryRow::U_se},
    {"U_vmf", &StationaryRow::U_vmf},
    {"S_sphere", &StationaryRow::S_sphere},
    {"S_sphere_se", &StationaryRow::S_sphere_se},
    {"S_sphere_vmf", &StationaryRow::S_sphere_vmf},
    {"T_discrete", &StationaryRow::T_discrete},
    {"U_discrete", &StationaryRow::U_discrete},
    {"S_sphere_discrete", &StationaryRow::S_sphere_discrete},
    {"S_sphere_expected", &StationaryRow::S_sphere_expected},
    {"S_sphere_expected_se", &StationaryRow::S_sphere_expected_se},
    {"S", &StationaryRow::S},
    {"S_se", &StationaryRow::S_se},
    {"S_pred", &StationaryRow::S_pred},
    {"r_mean", &StationaryRow::r_mean},
    {"r_se", &StationaryRow::r_se},
    {"r_sde", &StationaryRow::r_sde},
    {"r_discrete", &StationaryRow::r_discrete},
    {"r_one_step", &StationaryRow::r_one_step},
    {"lambda_eff", &StationaryRow::lambda_eff},
    {"lambda_eff_se", &StationaryRow::lambda_eff_se},
    {"lambda_eff_sde", &StationaryRow::lambda_eff_sde},
    {"lambda_eff_discrete", &StationaryRow::lambda_eff_discrete},
    {"lambda_eff_one_step", &StationaryRow::lambda_eff_one_step},
    {"grad_norm_sq", &StationaryRow::grad_norm_sq},
    {"adjacent_nn_fraction", &StationaryRow::adjacent_nn_fraction},
    {"U_ess", &StationaryRow::U_ess},
    {"r_ess", &StationaryRow::r_ess},
    {"lambda_eff_ess", &StationaryRow::lambda_eff_ess},
    {"S_estimates", &StationaryRow::S_estimates},
    {"tau_U", &StationaryRow::tau_U},
    {"tau_r", &StationaryRow::tau_r},
    {"tau_model", &StationaryRow::tau_model},
    {"iterations", &StationaryRow::iterations},
    {"burn_in", &StationaryRow::burn_in},
    {"window", &StationaryRow::window},
    {"snapshot_stride", &StationaryRow::snapshot_stride},
    {"Z_one_step", &StationaryRow::Z_one_step},
    {"Z_one_step_se", &StationaryRow::Z_one_step_se},
    {"grad_share", &StationaryRow::grad_share},
    {"U_full_batch", &StationaryRow::U_full_batch},
    {"U_full_batch_se", &StationaryRow::U_full_batch_se},
};

}  // namespace

const std::vector<StationaryColumn>& stationary_row_columns() {
  static const std::vector<StationaryColumn> columns(std::begin(kColumns), std::end(kColumns));
  return columns;
}

}  // namespace idealgas
