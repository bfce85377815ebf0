// The four validation checks of docs/theory.md §6 on one protocol grid: V1 stationary radius (or lambda_eff),
// V2 potential minimisation, V3 Maxwell relations, V4 adiabat. Natural logs, entropy in nats, relative
// errors as fractions (0.05 = 5 %), potentials in units of the reference temperature T_ref; every estimate
// carries its standard error ("_se"; NaN where the table has none). R = (d-1)/2 is the gas constant.
// Grid axes: x = log eta (lr) or log eta_eff (elr, sphere); y = log lambda (lr, elr) or log r (sphere).
// to_json results need <nlohmann/json.hpp> at the call site; this header only forward-declares it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "idealgas/analyse/grid_table.hpp"
#include "idealgas/analyse/least_squares.hpp"

namespace idealgas {

// ------------------------------------------------------------------------------------------------------
// V1: measured stationary radius (lr, elr) or effective weight decay (sphere) vs SDE and discrete predictions.

/// Fixed LR: the radius SDE is accurate while eta*lambda is small (the (1 - eta lambda)^2 contraction
/// per step is then ~ 1 - 2 eta lambda); the paper's Fig. 13 departs from it around eta*lambda ~ 1e-3.
inline constexpr double kSdeRegimeMaxEtaLambda = 1e-3;
/// Fixed ELR and sphere: the SDE drops O(eta_eff^2) terms; below eta_eff = 1e-2 they are under ~1 %.
inline constexpr double kSdeRegimeMaxEtaEff = 1e-2;

struct V1Options {
  double max_eta_lambda = kSdeRegimeMaxEtaLambda;  // lr: SDE regime is eta * lambda <= this
  double max_eta_eff = kSdeRegimeMaxEtaEff;        // elr, sphere: SDE regime is eta_eff <= this
  /// If set, replaces the threshold rule: a row is in the SDE regime iff sde_regime(row).
  std::function<bool(const StationaryRow&)> sde_regime;
};

struct V1Row {
  int row = -1, i = -1, j = -1;
  double measured = kNaN, measured_se = kNaN;   // r_mean, r_se (lr, elr) or lambda_eff, lambda_eff_se (sphere)
  double pred_sde = kNaN, pred_discrete = kNaN;  // r_sde, r_discrete or lambda_eff_sde, lambda_eff_discrete
  double pred_one_step = kNaN;                   // r_one_step or lambda_eff_one_step
  // measured / pred - 1; SE: measured_se / pred and, where sigma^2 is measured (networks), the prediction's relative
  // SE from it (power 1/4, 1/2, 1 of sigma2 for lr, elr, sphere) in quadrature. Isotropic model: predictions exact.
  double rel_err_sde = kNaN, rel_err_sde_se = kNaN;
  double rel_err_discrete = kNaN, rel_err_discrete_se = kNaN;
  double rel_err_one_step = kNaN, rel_err_one_step_se = kNaN;
  double z_one_step = kNaN;                      // rel_err_one_step / rel_err_one_step_se: distance in SE
  bool in_sde_regime = false;
};

/// Largest |relative error| over a subset of rows, and where it is attained.
struct V1MaxError {
  double max_abs_rel_err = kNaN;          // max |rel_err| over the subset's finite rows
  double rel_err = kNaN, rel_err_se = kNaN;  // signed relative error at the maximising row, and its SE
  int row = -1, i = -1, j = -1;           // the maximising row (-1: none)
  int n_rows = 0;                         // rows of the subset with finite measurement and prediction
  int n_skipped = 0;                      // rows of the subset with a non-finite measurement or prediction
};

struct V1Result {
  Protocol protocol = Protocol::fixed_lr;
  std::string quantity;     // "r_mean" (lr, elr) or "lambda_eff" (sphere)
  std::string regime_rule;  // human-readable SDE-regime rule, e.g. "eta*lambda <= 0.001"
  std::vector<V1Row> rows;  // one per grid row, in grid order
  V1MaxError sde_in_regime;       // vs the SDE prediction, SDE-regime rows (the headline number)
  V1MaxError discrete_in_regime;  // vs the discrete prediction, SDE-regime rows
  V1MaxError sde_all;             // vs the SDE prediction, whole grid (shows where the SDE breaks down)
  V1MaxError discrete_all;        // vs the discrete prediction, whole grid (the discrete form should hold)
  V1MaxError one_step_all;        // vs the one-step identity's prediction, whole grid
  double max_abs_z_one_step = kNaN;  // largest |z_one_step| over the grid, and where
  int max_z_row = -1;
  int n_beyond_3_se = 0;          // rows with |z_one_step| > 3
};

V1Result check_stationary_radius(const GridTable& table, const V1Options& options = {});

// ------------------------------------------------------------------------------------------------------
// V2: potential minimisation. For reference row ref and candidate k:
//   lr, elr: G_ref(k) = U_k - T_ref S_k + P_ref V_k, candidates = all rows;
//   sphere:  F_ref(k) = U_k - T_ref S_k, candidates = rows at the reference's radius (same j).
// Pass: argmin_k is ref ("exact") or a grid neighbour (Chebyshev distance <= kPotentialNeighbourDistance in
// (i, j) for lr/elr; |delta i| <= kPotentialNeighbourDistance at the same radius for the sphere).

/// A grid neighbour's potential differs from the reference's at second order in the grid spacing; with noisy
/// S the argmin can land there without contradicting the theory, so one step counts as a pass.
inline constexpr int kPotentialNeighbourDistance = 1;
/// The paper's 17-point grids and its heat-map references (docs/paper-setup.md §1); other grid sizes scale them.
inline constexpr int kPaperGridSize = 17;
inline const std::vector<int> kPaperPotentialIndices = {2, 8, 14};           // lr, elr (both axes); sphere eta_eff
inline const std::vector<int> kPaperSphereRadiusIndices = {0, 5, 10, 15};   // sphere radius axis

struct V2Reference {
  int row = -1, i = -1, j = -1;                   // the reference configuration
  int argmin_row = -1, argmin_i = -1, argmin_j = -1;
  int n_candidates = 0;      // candidates with a finite potential
  bool evaluable = false;    // reference's own potential finite and T_ref > 0
  bool exact = false;        // argmin == reference
  bool pass = false;         // argmin == reference or a grid neighbour
  // (min over candidates k != ref of Phi_ref(k) - Phi_ref(ref)) / T_ref: > 0 iff the reference is the strict argmin.
  double exact_gap_over_T = kNaN, exact_gap_over_T_se = kNaN;
  // (min over non-neighbour candidates of Phi_ref(k) - Phi_ref(ref)) / T_ref: > 0 iff the check passes;
  // NaN when every candidate is a neighbour.
  double gap_over_T = kNaN, gap_over_T_se = kNaN;
  int best_non_neighbour_row = -1, best_non_neighbour_i = -1, best_non_neighbour_j = -1;
};

struct V2Summary {
  int n_references = 0;  // references asked for
  int n_evaluable = 0;   // of which evaluable (rates are over these)
  int n_pass = 0, n_exact = 0;
  double pass_rate = kNaN, exact_rate = kNaN;
  double min_gap_over_T = kNaN;  // smallest non-neighbour gap over evaluable references (the closest call)
  int min_gap_row = -1;
};

struct V2Result {
  Protocol protocol = Protocol::fixed_lr;
  std::string potential;             // "G = U - T_ref S + P_ref V" or "F = U - T_ref S"
  std::vector<V2Reference> all;      // every row as a reference, in grid order
  V2Summary all_summary;
  std::vector<V2Reference> paper;    // the paper's heat-map references (paper_potential_references)
  V2Summary paper_summary;
};

V2Result check_potential_minimum(const GridTable& table);

/// (Phi_ref(k) - min_k Phi_ref(k)) / T_ref for every row k, for heat maps.
struct PotentialMap {
  int ref_row = -1, ref_i = -1, ref_j = -1;
  int argmin_row = -1, argmin_i = -1, argmin_j = -1;
  int n_first = 0, n_second = 0;
  std::vector<double> excess_over_T;  // [n_first, n_second], row-major (row index i*n_second+j); NaN off-candidate
};

/// Throws InputError if (ref_i, ref_j) is off the grid.
PotentialMap potential_map(const GridTable& table, int ref_i, int ref_j);

/// Paper indices on a 17-point axis mapped to an n-point axis: round(k (n-1) / 16), duplicates removed.
std::vector<int> scale_paper_indices(const std::vector<int>& indices_on_17, int n);
/// The paper's heat-map references as (i, j): lr, elr {2,8,14} x {2,8,14}; sphere {2,8,14} x {0,5,10,15}; scaled.
std::vector<std::pair<int, int>> paper_potential_references(const GridTable& table);

// ------------------------------------------------------------------------------------------------------
// V3: Maxwell relations from fits of S over the grid.
// (a) plane S ≈ b0 + b1 x + b2 y; small-T VMF targets: lr (R, 0), elr (2R, -R), sphere (R, 0).
//     On the sphere the fit is of S(rho_w_hat), not of S = S(rho_w_hat) + (d-1) log r: the latter's r-dependence
//     holds by construction (r_bar = r exactly), so fitting it would be a check that cannot fail.
// (b) quadratic S ≈ a0 + a1 x + a2 y + a3 x^2 + a4 y^2 + a5 xy (paper Eq. 30) and its derived coefficients:
//   lr   dS/dx - dS/dy = R  (Eq. 24): (a1-a2)/R -> 1, (2a3-a5)/R -> 0, (2a4-a5)/R -> 0;
//   elr  dS/dy = -R         (Eq. 84): a2/R -> -1, 2a4/R -> 0, a5/R -> 0;
//   sphere S(rho_w_hat) depends on eta_eff only (T = eta_eff sigma^2/2):
//        a1/R -> 1, 2a3/R -> 0, a5/R -> 0, a2/R -> 0, 2a4/R -> 0.
// (c) sphere only, the real Maxwell content of the fixed sphere (Eq. 81-83): lambda_eff r^2 = (d-1) T, fitted as
//     log lambda_eff ≈ c0 + c1 log eta_eff + c2 log r with targets c1 = 1, c2 = -2.
// The fixed-LR relation with a measured, varying sigma^2 holds only if sigma^2 depends on (eta, lambda)
// through eta*lambda alone (docs/theory.md App. D.4); the fit assumes it.

struct V3Slope {
  std::string name;            // "dS/dlog_eta", "dS/dlog_lambda", "dS/dlog_eta_eff", "dS_sphere/dlog_r", ...
  double value = kNaN, se = kNaN;
  double over_R = kNaN, over_R_se = kNaN;  // value / R
  // What theory says on this grid: the same fit applied to the exact predictions of the table (S_pred, or
  // on the sphere S_sphere_discrete, exact VMF at the discrete update's temperature, where every row has it, else
  // S_sphere_vmf: exact VMF at each row's T), / R. The small-T limit
  // (e.g. dS/dlog eta = R) is exact at d = 3 up to exp(-2/T) terms but not at larger d, where the exact VMF entropy
  // bends by O(d^2 T); target_small_T_over_R keeps it for reference. NaN predictions: target = the small-T value.
  double target_over_R = kNaN;
  double target_small_T_over_R = kNaN;
};

struct V3DerivedCoefficient {
  std::string name;  // e.g. "(a1-a2)/R"
  double value = kNaN, se = kNaN;
  double target = kNaN;          // the same combination of the fit to the exact predictions (see V3Slope)
  double target_small_T = kNaN;  // the small-T value of docs/theory.md §6
};

/// max over grid points of |relation(x, y) - target| / |target| with the quadratic's derivatives.
struct V3LocalRelation {
  std::string relation;   // e.g. "dS/dlog_eta - dS/dlog_lambda = R"
  double max_abs_rel_err = kNaN;
  double rel_err = kNaN, rel_err_se = kNaN;  // signed value at the maximising point and its SE (fit covariance)
  int row = -1, i = -1, j = -1;
};

struct V3Result {
  Protocol protocol = Protocol::fixed_lr;
  double gas_constant = kNaN;  // R = (d-1)/2
  std::string x_name, y_name;  // "log_eta" | "log_eta_eff", "log_lambda" | "log_r"
  int n_points = 0;            // rows used (finite S)
  int n_skipped = 0;           // rows with non-finite S
  LinearFit plane;             // coefficients b0, b1 (x), b2 (y)
  V3Slope slope_x, slope_y;
  LinearFit quadratic;         // coefficients a0 .. a5
  std::vector<V3DerivedCoefficient> derived;
  std::vector<V3LocalRelation> local;
  // sphere only (c): NaN / empty otherwise.
  LinearFit lambda_eff_plane;
  V3Slope lambda_eff_slope_x, lambda_eff_slope_y;  // d log lambda_eff / d log eta_eff (1), / d log r (-2); not over R
};

/// The grid's centre (mean over its rows of x and y), where the "(centred)" coefficients are taken.
std::pair<double, double> grid_centre(const GridTable& table);

/// Throws InputError if fewer than 3 distinct values per axis (the quadratic is then rank deficient). `centre`:
/// where the "(centred)" coefficients are taken (default: grid_centre(table); a bootstrap passes the whole grid's).
V3Result check_maxwell_relations(const GridTable& table,
                                 const std::optional<std::pair<double, double>>& centre = std::nullopt);

// ------------------------------------------------------------------------------------------------------
// V4 (fixed LR only): along eta = const (the adiabat P V^2 = const of the VMF gas, gamma = 2), S should stay
// constant while r* moves (small-T theory: d log r*/d log lambda = -1/4).

struct V4Line {
  int i = -1;
  double eta = kNaN;
  int n_points = 0;                   // rows of the line with finite S
  double S_mean = kNaN, S_sd = kNaN;  // mean and sample standard deviation of S over lambda, nats
  double S_range = kNaN;              // max - min of S over lambda, nats
  double S_se_mean = kNaN;            // mean of the rows' S_se: the noise level the spread should be compared to
  double slope = kNaN, slope_se = kNaN;            // OLS dS/dlog lambda
  double slope_over_R = kNaN, slope_over_R_se = kNaN;
  double log_r_change = kNaN, log_r_change_se = kNaN;  // log r_mean(last lambda) - log r_mean(first lambda)
  double log_r_slope = kNaN, log_r_slope_se = kNaN;    // OLS d log r_mean / d log lambda (theory -1/4)
};

struct V4Summary {
  double max_abs_slope_over_R = kNaN, slope_over_R_se = kNaN;  // worst line and its SE
  int max_slope_i = -1;
  double mean_S_sd = kNaN, mean_S_range = kNaN;  // mean over lines
  double mean_S_se = kNaN;                       // mean S_se over all rows of all lines
  double sd_over_se = kNaN;                      // mean_S_sd / mean_S_se: ~1 means the spread is noise
  double mean_log_r_change = kNaN;               // mean over lines: the state does move
};

struct V4Result {
  double gas_constant = kNaN;
  std::vector<V4Line> lines;  // one per eta (index i)
  V4Summary summary;
};

/// Throws InputError unless table.protocol is fixed_lr.
V4Result check_adiabat(const GridTable& table);

// ------------------------------------------------------------------------------------------------------
// JSON. Non-finite numbers are written as null.

nlohmann::json to_json(const V1Result& result);
nlohmann::json to_json(const V2Result& result);
nlohmann::json to_json(const PotentialMap& map);
nlohmann::json to_json(const V3Result& result);
nlohmann::json to_json(const V4Result& result);
// nlohmann's ADL hooks, so that `nlohmann::json j = result;` works too.
void to_json(nlohmann::json& out, const V1Result& result);
void to_json(nlohmann::json& out, const V2Result& result);
void to_json(nlohmann::json& out, const PotentialMap& map);
void to_json(nlohmann::json& out, const V3Result& result);
void to_json(nlohmann::json& out, const V4Result& result);

/// All four checks in one object: {"protocol", "d", "sigma2", "gas_constant", "n_first", "n_second",
/// "v1", "v2", "v3", "v4"}. A check that cannot run on this table (InputError, e.g. too few grid values)
/// is recorded as {"error": message}; V4 on a non-LR grid as {"applicable": false}.
/// Why V2 and V4 are not run on a network's grid (GridTable::network).
inline constexpr const char* kNotTestableForNetworks =
    "not testable for networks: the stationary law, hence the potential, of a network's loss is unknown (paper "
    "Sec. 7: only V1 and V3 can be tested)";
nlohmann::json validation_report(const GridTable& table, const V1Options& v1_options = {});

}  // namespace idealgas
