#include "idealgas/analyse/validation_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();

bool finite(double v) { return std::isfinite(v); }

/// Shape checks shared by every check: rows exist, are in grid order, and d is a sphere dimension.
void validate_table(const GridTable& table, const char* check) {
  if (table.d < 2) throw InputError(fmt::format("{}: d must be >= 2, got {}", check, table.d));
  if (table.n_first < 1 || table.n_second < 1)
    throw InputError(
        fmt::format("{}: empty grid (n_first = {}, n_second = {})", check, table.n_first, table.n_second));
  const auto expected = static_cast<size_t>(table.n_first) * static_cast<size_t>(table.n_second);
  if (table.rows.size() != expected)
    throw InputError(fmt::format("{}: table has {} rows, expected n_first * n_second = {} * {} = {}", check,
                                 table.rows.size(), table.n_first, table.n_second, expected));
  for (size_t k = 0; k < table.rows.size(); ++k) {
    const auto& row = table.rows[k];
    const int i = static_cast<int>(k) / table.n_second, j = static_cast<int>(k) % table.n_second;
    if (row.i != i || row.j != j)
      throw InputError(fmt::format("{}: row {} has (i, j) = ({}, {}), expected ({}, {}) for row index i*n_second+j",
                                   check, k, row.i, row.j, i, j));
  }
}

/// x = log eta (lr) or log eta_eff (elr, sphere).
double log_first(const GridTable& table, const StationaryRow& row) {
  if (!(row.eta > 0.0))
    throw InputError(fmt::format("{} grid row ({}, {}): eta must be > 0 for a log axis, got {}",
                                 protocol_name(table.protocol), row.i, row.j, row.eta));
  return std::log(row.eta);
}

/// y = log lambda (lr, elr) or log r (sphere).
double log_second(const GridTable& table, const StationaryRow& row) {
  const bool sphere = table.protocol == Protocol::fixed_sphere;
  const double v = sphere ? row.radius : row.lambda;
  if (!(v > 0.0))
    throw InputError(fmt::format("{} grid row ({}, {}): {} must be > 0 for a log axis, got {}",
                                 protocol_name(table.protocol), row.i, row.j, sphere ? "radius" : "lambda", v));
  return std::log(v);
}

const char* first_axis_name(Protocol p) { return p == Protocol::fixed_lr ? "log_eta" : "log_eta_eff"; }
const char* second_axis_name(Protocol p) { return p == Protocol::fixed_sphere ? "log_r" : "log_lambda"; }

// ---------------------------------------------------------------------------------------------------- V1

void update_max(V1MaxError& acc, const V1Row& r, double rel_err, double rel_err_se) {
  if (!finite(rel_err)) {
    ++acc.n_skipped;
    return;
  }
  ++acc.n_rows;
  if (acc.row < 0 || std::abs(rel_err) > acc.max_abs_rel_err) {
    acc.max_abs_rel_err = std::abs(rel_err);
    acc.rel_err = rel_err;
    acc.rel_err_se = rel_err_se;
    acc.row = r.row;
    acc.i = r.i;
    acc.j = r.j;
  }
}

// ---------------------------------------------------------------------------------------------------- V2

bool is_sphere(const GridTable& t) { return t.protocol == Protocol::fixed_sphere; }

bool is_candidate(const GridTable& t, const StationaryRow& ref, const StationaryRow& k) {
  return !is_sphere(t) || k.j == ref.j;  // sphere: F compares states at equal radius only
}

bool is_neighbour(const StationaryRow& ref, const StationaryRow& k) {
  return std::max(std::abs(k.i - ref.i), std::abs(k.j - ref.j)) <= kPotentialNeighbourDistance;
}

/// Phi_ref(k): Gibbs G (lr, elr) or Helmholtz F (sphere).
double potential(const GridTable& t, const StationaryRow& ref, const StationaryRow& k) {
  double phi = k.U - ref.T * k.S;
  if (!is_sphere(t)) phi += ref.P * k.V;
  return phi;
}

/// Standard error of V = mean r^2/2 (batch means of r^2). The sphere's V is set, not measured.
double volume_se(const GridTable& t, const StationaryRow& row) { return is_sphere(t) ? 0.0 : row.V_se; }

/// SE of Phi_ref(k) - Phi_ref(ref), rows measured independently. NaN if any needed SE is missing.
double potential_difference_se(const GridTable& t, const StationaryRow& ref, const StationaryRow& k) {
  const double var_u = k.U_se * k.U_se + ref.U_se * ref.U_se;
  const double var_s = ref.T * ref.T * (k.S_se * k.S_se + ref.S_se * ref.S_se);
  double var = var_u + var_s;
  if (!is_sphere(t)) {
    const double vk = volume_se(t, k), vr = volume_se(t, ref);
    var += ref.P * ref.P * (vk * vk + vr * vr);
  }
  return std::sqrt(var);
}

V2Reference evaluate_reference(const GridTable& t, int ref_row) {
  const auto& ref = t.rows[static_cast<size_t>(ref_row)];
  V2Reference out;
  out.row = ref_row;
  out.i = ref.i;
  out.j = ref.j;
  const double phi_ref = potential(t, ref, ref);
  out.evaluable = finite(phi_ref) && ref.T > 0.0;
  if (!out.evaluable) return out;

  double best = kInf, best_other = kInf, best_far = kInf;
  int best_row = -1, best_other_row = -1, best_far_row = -1;
  for (size_t kk = 0; kk < t.rows.size(); ++kk) {
    const auto& k = t.rows[kk];
    if (!is_candidate(t, ref, k)) continue;
    const double phi = potential(t, ref, k);
    if (!finite(phi)) continue;
    ++out.n_candidates;
    const int row = static_cast<int>(kk);
    if (phi < best) best = phi, best_row = row;
    if (row != ref_row && phi < best_other) best_other = phi, best_other_row = row;
    if (!is_neighbour(ref, k) && phi < best_far) best_far = phi, best_far_row = row;
  }
  const auto& arg = t.rows[static_cast<size_t>(best_row)];  // the reference itself is a finite candidate
  out.argmin_row = best_row;
  out.argmin_i = arg.i;
  out.argmin_j = arg.j;
  out.exact = best_row == ref_row;
  out.pass = is_neighbour(ref, arg);
  if (best_other_row >= 0) {
    const auto& k = t.rows[static_cast<size_t>(best_other_row)];
    out.exact_gap_over_T = (best_other - phi_ref) / ref.T;
    out.exact_gap_over_T_se = potential_difference_se(t, ref, k) / ref.T;
  }
  if (best_far_row >= 0) {
    const auto& k = t.rows[static_cast<size_t>(best_far_row)];
    out.gap_over_T = (best_far - phi_ref) / ref.T;
    out.gap_over_T_se = potential_difference_se(t, ref, k) / ref.T;
    out.best_non_neighbour_row = best_far_row;
    out.best_non_neighbour_i = k.i;
    out.best_non_neighbour_j = k.j;
  }
  return out;
}

V2Summary summarise(const std::vector<V2Reference>& refs) {
  V2Summary s;
  s.n_references = static_cast<int>(refs.size());
  for (const auto& r : refs) {
    if (!r.evaluable) continue;
    ++s.n_evaluable;
    s.n_pass += r.pass ? 1 : 0;
    s.n_exact += r.exact ? 1 : 0;
    if (finite(r.gap_over_T) && (s.min_gap_row < 0 || r.gap_over_T < s.min_gap_over_T)) {
      s.min_gap_over_T = r.gap_over_T;
      s.min_gap_row = r.row;
    }
  }
  if (s.n_evaluable > 0) {
    s.pass_rate = static_cast<double>(s.n_pass) / s.n_evaluable;
    s.exact_rate = static_cast<double>(s.n_exact) / s.n_evaluable;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------- V3

constexpr size_t kQuadraticTerms = 6;  // a0 + a1 x + a2 y + a3 x^2 + a4 y^2 + a5 xy

/// A derived coefficient: sum_k weights[k] a_k with its target.
struct LinearTarget {
  const char* name;
  std::vector<double> weights;  // [kQuadraticTerms]
  double target;
};

/// A local relation: value(x, y) = sum_k weights(x, y)[k] a_k should equal target; relative error divides by
/// |target|.
struct LocalTarget {
  std::string relation;
  std::function<std::vector<double>(double, double)> weights;
  double target;
};

// JSON helpers ----------------------------------------------------------------------------------------------

json max_error_json(const V1MaxError& m) {
  return json{{"max_abs_rel_err", m.max_abs_rel_err}, {"rel_err", m.rel_err}, {"rel_err_se", m.rel_err_se},
              {"row", m.row},         {"i", m.i},         {"j", m.j},
              {"n_rows", m.n_rows},   {"n_skipped", m.n_skipped}};
}

json reference_json(const V2Reference& r) {
  return json{{"row", r.row},
              {"i", r.i},
              {"j", r.j},
              {"argmin_row", r.argmin_row},
              {"argmin_i", r.argmin_i},
              {"argmin_j", r.argmin_j},
              {"n_candidates", r.n_candidates},
              {"evaluable", r.evaluable},
              {"exact", r.exact},
              {"pass", r.pass},
              {"exact_gap_over_T", r.exact_gap_over_T},
              {"exact_gap_over_T_se", r.exact_gap_over_T_se},
              {"gap_over_T", r.gap_over_T},
              {"gap_over_T_se", r.gap_over_T_se},
              {"best_non_neighbour_row", r.best_non_neighbour_row},
              {"best_non_neighbour_i", r.best_non_neighbour_i},
              {"best_non_neighbour_j", r.best_non_neighbour_j}};
}

json summary_json(const V2Summary& s) {
  return json{{"n_references", s.n_references}, {"n_evaluable", s.n_evaluable}, {"n_pass", s.n_pass},
              {"n_exact", s.n_exact},           {"pass_rate", s.pass_rate},     {"exact_rate", s.exact_rate},
              {"min_gap_over_T", s.min_gap_over_T}, {"min_gap_row", s.min_gap_row}};
}

json slope_json(const V3Slope& s) {
  return json{{"name", s.name},
              {"value", s.value},
              {"se", s.se},
              {"over_R", s.over_R},
              {"over_R_se", s.over_R_se},
              {"target_over_R", s.target_over_R},
              {"target_small_T_over_R", s.target_small_T_over_R}};
}

}  // namespace

// ------------------------------------------------------------------------------------------------------ V1

V1Result check_stationary_radius(const GridTable& table, const V1Options& options) {
  validate_table(table, "V1 stationary radius");
  const bool sphere = is_sphere(table);
  V1Result out;
  out.protocol = table.protocol;
  out.quantity = sphere ? "lambda_eff" : "r_mean";
  if (options.sde_regime) {
    out.regime_rule = "custom predicate";
  } else if (table.protocol == Protocol::fixed_lr) {
    out.regime_rule = fmt::format("eta*lambda <= {}", options.max_eta_lambda);
  } else {
    out.regime_rule = fmt::format("eta_eff <= {}", options.max_eta_eff);
  }

  out.rows.reserve(table.rows.size());
  for (size_t k = 0; k < table.rows.size(); ++k) {
    const auto& row = table.rows[k];
    V1Row r;
    r.row = static_cast<int>(k);
    r.i = row.i;
    r.j = row.j;
    if (sphere) {
      r.measured = row.lambda_eff;
      r.measured_se = row.lambda_eff_se;
      r.pred_sde = row.lambda_eff_sde;
      r.pred_discrete = row.lambda_eff_discrete;
      r.pred_one_step = row.lambda_eff_one_step;
    } else {
      r.measured = row.r_mean;
      r.measured_se = row.r_se;
      r.pred_sde = row.r_sde;
      r.pred_discrete = row.r_discrete;
      r.pred_one_step = row.r_one_step;
    }
    // A measured sigma^2 (networks) makes every prediction uncertain too: r ~ sigma2^(1/4) (fixed LR), sigma2^(1/2)
    // (ELR), lambda_eff ~ sigma2 (sphere), to first order; its relative SE adds in quadrature to the measurement's.
    // The isotropic model's sigma2 is exact (SE 0) and its predictions are exact closed forms.
    const double power = sphere ? 1.0 : table.protocol == Protocol::fixed_lr ? 0.25 : 0.5;
    const double pred_rel_se =
        row.sigma2_se > 0.0 && row.sigma2 > 0.0 ? power * row.sigma2_se / row.sigma2 : 0.0;
    const auto rel_se = [&](double pred) { return std::hypot(r.measured_se / std::abs(pred), pred_rel_se); };
    r.rel_err_one_step = r.measured / r.pred_one_step - 1.0;
    r.rel_err_one_step_se = rel_se(r.pred_one_step);
    r.z_one_step = r.rel_err_one_step / r.rel_err_one_step_se;
    if (finite(r.z_one_step)) {
      if (out.max_z_row < 0 || std::abs(r.z_one_step) > out.max_abs_z_one_step)
        out.max_abs_z_one_step = std::abs(r.z_one_step), out.max_z_row = r.row;
      out.n_beyond_3_se += std::abs(r.z_one_step) > 3.0 ? 1 : 0;
    }
    r.rel_err_sde = r.measured / r.pred_sde - 1.0;
    r.rel_err_sde_se = rel_se(r.pred_sde);
    r.rel_err_discrete = r.measured / r.pred_discrete - 1.0;
    r.rel_err_discrete_se = rel_se(r.pred_discrete);
    if (options.sde_regime) {
      r.in_sde_regime = options.sde_regime(row);
    } else if (table.protocol == Protocol::fixed_lr) {
      r.in_sde_regime = row.eta * row.lambda <= options.max_eta_lambda;
    } else {
      r.in_sde_regime = row.eta <= options.max_eta_eff;
    }

    if (r.in_sde_regime) {
      update_max(out.sde_in_regime, r, r.rel_err_sde, r.rel_err_sde_se);
      update_max(out.discrete_in_regime, r, r.rel_err_discrete, r.rel_err_discrete_se);
    }
    update_max(out.sde_all, r, r.rel_err_sde, r.rel_err_sde_se);
    update_max(out.discrete_all, r, r.rel_err_discrete, r.rel_err_discrete_se);
    update_max(out.one_step_all, r, r.rel_err_one_step, r.rel_err_one_step_se);
    out.rows.push_back(r);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------ V2

std::vector<int> scale_paper_indices(const std::vector<int>& indices_on_17, int n) {
  if (n < 1) throw InputError(fmt::format("scale_paper_indices: axis length must be >= 1, got {}", n));
  std::vector<int> out;
  for (const int k : indices_on_17) {
    const int idx = static_cast<int>(std::lround(static_cast<double>(k) * (n - 1) / (kPaperGridSize - 1)));
    const int clamped = std::clamp(idx, 0, n - 1);
    if (std::find(out.begin(), out.end(), clamped) == out.end()) out.push_back(clamped);
  }
  return out;
}

std::vector<std::pair<int, int>> paper_potential_references(const GridTable& table) {
  const auto first = scale_paper_indices(kPaperPotentialIndices, table.n_first);
  const auto second =
      scale_paper_indices(is_sphere(table) ? kPaperSphereRadiusIndices : kPaperPotentialIndices, table.n_second);
  std::vector<std::pair<int, int>> out;
  for (const int i : first)
    for (const int j : second) out.emplace_back(i, j);
  return out;
}

V2Result check_potential_minimum(const GridTable& table) {
  validate_table(table, "V2 potential minimisation");
  V2Result out;
  out.protocol = table.protocol;
  out.potential = is_sphere(table) ? "F = U - T_ref S" : "G = U - T_ref S + P_ref V";
  out.all.reserve(table.rows.size());
  for (size_t k = 0; k < table.rows.size(); ++k) out.all.push_back(evaluate_reference(table, static_cast<int>(k)));
  out.all_summary = summarise(out.all);
  for (const auto& [i, j] : paper_potential_references(table))
    out.paper.push_back(out.all[static_cast<size_t>(i) * table.n_second + j]);
  out.paper_summary = summarise(out.paper);
  return out;
}

PotentialMap potential_map(const GridTable& table, int ref_i, int ref_j) {
  validate_table(table, "potential map");
  if (ref_i < 0 || ref_i >= table.n_first || ref_j < 0 || ref_j >= table.n_second)
    throw InputError(fmt::format("potential map: reference (i, j) = ({}, {}) is off the {} x {} grid", ref_i, ref_j,
                                 table.n_first, table.n_second));
  const auto& ref = table.at(ref_i, ref_j);
  if (!(ref.T > 0.0))
    throw InputError(
        fmt::format("potential map: reference ({}, {}) has T = {}, expected T > 0", ref_i, ref_j, ref.T));
  PotentialMap out;
  out.ref_i = ref_i;
  out.ref_j = ref_j;
  out.ref_row = ref_i * table.n_second + ref_j;
  out.n_first = table.n_first;
  out.n_second = table.n_second;
  out.excess_over_T.assign(table.rows.size(), kNaN);
  double best = kInf;
  for (size_t k = 0; k < table.rows.size(); ++k) {
    const auto& row = table.rows[k];
    if (!is_candidate(table, ref, row)) continue;
    const double phi = potential(table, ref, row);
    if (!finite(phi)) continue;
    out.excess_over_T[k] = phi;
    if (phi < best) {
      best = phi;
      out.argmin_row = static_cast<int>(k);
      out.argmin_i = row.i;
      out.argmin_j = row.j;
    }
  }
  for (double& v : out.excess_over_T)
    if (finite(v)) v = (v - best) / ref.T;
  return out;
}

// ------------------------------------------------------------------------------------------------------ V3

std::pair<double, double> grid_centre(const GridTable& table) {
  double xc = 0.0, yc = 0.0;
  for (const StationaryRow& row : table.rows) {
    xc += log_first(table, row) / static_cast<double>(table.rows.size());
    yc += log_second(table, row) / static_cast<double>(table.rows.size());
  }
  return {xc, yc};
}

V3Result check_maxwell_relations(const GridTable& table, const std::optional<std::pair<double, double>>& centre) {
  validate_table(table, "V3 Maxwell relations");
  const double R = table.gas_constant();
  V3Result out;
  out.protocol = table.protocol;
  out.gas_constant = R;
  out.x_name = first_axis_name(table.protocol);
  out.y_name = second_axis_name(table.protocol);

  // The sphere fits S(rho_w_hat): its total S moves with log r by construction (see the header).
  const bool sphere = is_sphere(table);
  std::vector<double> xs, ys, s_values, theory_values;
  std::vector<int> used_rows;
  bool have_theory = true;
  // The sphere's theory: the direction law of the discrete update where the table has it for every row (the
  // isotropic model; its O(eta_eff) heating tilts dS/dlog eta_eff by several SE at d = 10), else VMF at T.
  const bool discrete_theory =
      sphere && std::all_of(table.rows.begin(), table.rows.end(), [](const StationaryRow& r) {
        return !finite(r.S_sphere) || finite(r.S_sphere_discrete);
      });
  for (size_t k = 0; k < table.rows.size(); ++k) {
    const auto& row = table.rows[k];
    const double x = log_first(table, row), y = log_second(table, row);
    const double s = sphere ? row.S_sphere : row.S;
    if (!finite(s)) {
      ++out.n_skipped;
      continue;
    }
    xs.push_back(x);
    ys.push_back(y);
    s_values.push_back(s);
    theory_values.push_back(discrete_theory ? row.S_sphere_discrete : sphere ? row.S_sphere_vmf : row.S_pred);
    have_theory = have_theory && finite(theory_values.back());
    used_rows.push_back(static_cast<int>(k));
  }
  out.n_points = static_cast<int>(s_values.size());
  auto distinct = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return static_cast<int>(std::unique(v.begin(), v.end()) - v.begin());
  };
  if (distinct(xs) < 3 || distinct(ys) < 3)
    throw InputError(fmt::format(
        "V3 Maxwell relations: the quadratic fit needs >= 3 distinct values per axis among rows with finite S, got "
        "{} ({}) and {} ({})",
        distinct(xs), out.x_name, distinct(ys), out.y_name));

  const size_t n = s_values.size();
  std::vector<double> plane_design, quad_design;
  plane_design.reserve(n * 3);
  quad_design.reserve(n * kQuadraticTerms);
  for (size_t k = 0; k < n; ++k) {
    const double x = xs[k], y = ys[k];
    plane_design.insert(plane_design.end(), {1.0, x, y});
    quad_design.insert(quad_design.end(), {1.0, x, y, x * x, y * y, x * y});
  }
  out.plane = fit_least_squares(plane_design, 3, s_values);
  out.quadratic = fit_least_squares(quad_design, kQuadraticTerms, s_values);
  // Theory on the same design: what the fits would give if every row equalled its exact prediction.
  const LinearFit theory_plane = have_theory ? fit_least_squares(plane_design, 3, theory_values) : LinearFit{};
  const LinearFit theory_quad =
      have_theory ? fit_least_squares(quad_design, kQuadraticTerms, theory_values) : LinearFit{};

  // Small-T VMF slopes of S = S(T) + (d-1) log r (docs/theory.md §3-4) for the plane fit.
  double target_x = kNaN, target_y = kNaN;
  switch (table.protocol) {
    case Protocol::fixed_lr: target_x = R, target_y = 0.0; break;        // S = R log(pi e eta sigma^2)
    case Protocol::fixed_elr: target_x = 2.0 * R, target_y = -R; break;  // T ∝ eta_eff, r^2 ∝ eta_eff/lambda
    case Protocol::fixed_sphere: target_x = R, target_y = 0.0; break;    // S(rho_w_hat): T ∝ eta_eff, not r
  }
  auto make_slope = [&](const char* name, size_t k, double target) {
    V3Slope s;
    s.name = name;
    s.value = out.plane.coef[k];
    s.se = out.plane.coef_se[k];
    s.over_R = s.value / R;
    s.over_R_se = s.se / R;
    s.target_small_T_over_R = target / R;
    s.target_over_R = have_theory ? theory_plane.coef[k] / R : s.target_small_T_over_R;
    return s;
  };
  out.slope_x = make_slope(table.protocol == Protocol::fixed_lr   ? "dS/dlog_eta"
                           : sphere                               ? "dS_sphere/dlog_eta_eff"
                                                                  : "dS/dlog_eta_eff",
                           1, target_x);
  out.slope_y = make_slope(sphere ? "dS_sphere/dlog_r" : "dS/dlog_lambda", 2, target_y);

  // Derived coefficients and local relations of the quadratic (weights over a0..a5). The paper's (Table 4) are the
  // first derivatives at eta = lambda = 1 (x = y = 0), outside every grid, where the fit extrapolates; the
  // "(centred)" ones are the same first derivatives at the grid's centre (xc, yc: the mean log hyperparameters),
  // where the fit is best determined. The second-order coefficients do not depend on where they are taken.
  const auto [xc, yc] = centre ? *centre : grid_centre(table);
  std::vector<LinearTarget> derived;
  std::vector<LocalTarget> local;
  switch (table.protocol) {
    case Protocol::fixed_lr:
      // dS/dx - dS/dy = (a1 - a2) + (2a3 - a5) x + (a5 - 2a4) y = R   (Eq. 24)
      derived = {{"(a1-a2)/R", {0, 1 / R, -1 / R, 0, 0, 0}, 1.0},
                 {"(2a3-a5)/R", {0, 0, 0, 2 / R, 0, -1 / R}, 0.0},
                 {"(2a4-a5)/R", {0, 0, 0, 0, 2 / R, -1 / R}, 0.0},
                 {"(a1-a2)/R (centred)", {0, 1 / R, -1 / R, 2 * xc / R, -2 * yc / R, (yc - xc) / R}, 1.0}};
      local = {{"dS/dlog_eta - dS/dlog_lambda = R",
                [](double x, double y) { return std::vector<double>{0, 1, -1, 2 * x, -2 * y, y - x}; }, R}};
      break;
    case Protocol::fixed_elr:
      // dS/dy = a2 + 2a4 y + a5 x = -R   (Eq. 84)
      derived = {{"a2/R", {0, 0, 1 / R, 0, 0, 0}, -1.0},
                 {"2a4/R", {0, 0, 0, 0, 2 / R, 0}, 0.0},
                 {"a5/R", {0, 0, 0, 0, 0, 1 / R}, 0.0},
                 {"a2/R (centred)", {0, 0, 1 / R, 0, 2 * yc / R, xc / R}, -1.0}};
      local = {{"dS/dlog_lambda = -R",
                [](double x, double y) { return std::vector<double>{0, 0, 1, 0, 2 * y, x}; }, -R}};
      break;
    case Protocol::fixed_sphere:
      // S(rho_w_hat): dS/dx = a1 + 2a3 x + a5 y = R;  dS/dy = a2 + 2a4 y + a5 x = 0
      derived = {{"a1/R", {0, 1 / R, 0, 0, 0, 0}, 1.0},
                 {"2a3/R", {0, 0, 0, 2 / R, 0, 0}, 0.0},
                 {"a5/R", {0, 0, 0, 0, 0, 1 / R}, 0.0},
                 {"a2/R", {0, 0, 1 / R, 0, 0, 0}, 0.0},
                 {"2a4/R", {0, 0, 0, 0, 2 / R, 0}, 0.0},
                 {"a1/R (centred)", {0, 1 / R, 0, 2 * xc / R, 0, yc / R}, 1.0},
                 {"a2/R (centred)", {0, 0, 1 / R, 0, 2 * yc / R, xc / R}, 0.0}};
      local = {{"dS_sphere/dlog_eta_eff = R",
                [](double x, double y) { return std::vector<double>{0, 1, 0, 2 * x, 0, y}; }, R}};
      break;
  }
  for (const auto& d : derived) {
    V3DerivedCoefficient c;
    c.name = d.name;
    c.value = out.quadratic.combination(d.weights);
    c.se = out.quadratic.combination_se(d.weights);
    c.target_small_T = d.target;
    c.target = have_theory ? theory_quad.combination(d.weights) : d.target;
    out.derived.push_back(c);
  }
  for (const auto& l : local) {
    V3LocalRelation rel;
    rel.relation = l.relation;
    for (size_t k = 0; k < n; ++k) {
      const auto w = l.weights(xs[k], ys[k]);
      const double err = (out.quadratic.combination(w) - l.target) / std::abs(l.target);
      if (rel.row < 0 || std::abs(err) > rel.max_abs_rel_err) {
        rel.max_abs_rel_err = std::abs(err);
        rel.rel_err = err;
        rel.rel_err_se = out.quadratic.combination_se(w) / std::abs(l.target);
        rel.row = used_rows[k];
        rel.i = table.rows[static_cast<size_t>(rel.row)].i;
        rel.j = table.rows[static_cast<size_t>(rel.row)].j;
      }
    }
    out.local.push_back(rel);
  }
  if (sphere) {
    // (c) lambda_eff r^2 = (d-1) T = (d-1) eta_eff sigma^2 / 2: log lambda_eff is linear in (x, y) with slopes 1, -2.
    std::vector<double> design, log_lambda_eff;
    for (size_t k = 0; k < table.rows.size(); ++k) {
      const auto& row = table.rows[k];
      if (!(row.lambda_eff > 0.0) || !finite(row.lambda_eff)) continue;
      design.insert(design.end(), {1.0, log_first(table, row), log_second(table, row)});
      log_lambda_eff.push_back(std::log(row.lambda_eff));
    }
    if (log_lambda_eff.size() >= 4) {
      // Theory's slopes on this grid: the SDE gives (1, -2); the one-step prediction (discrete time) bends the
      // eta_eff slope by O(eta_eff) (its G and eta_eff^2 X terms), so the target is the same plane fitted to it.
      std::vector<double> log_pred;
      bool have_pred = true;
      for (size_t k = 0; k < table.rows.size(); ++k) {
        const auto& row = table.rows[k];
        if (!(row.lambda_eff > 0.0) || !finite(row.lambda_eff)) continue;
        have_pred = have_pred && row.lambda_eff_one_step > 0.0;
        log_pred.push_back(std::log(row.lambda_eff_one_step));
      }
      const LinearFit pred = have_pred ? fit_least_squares(design, 3, log_pred) : LinearFit{};
      out.lambda_eff_plane = fit_least_squares(design, 3, log_lambda_eff);
      auto slope = [&](const char* name, size_t k, double target) {
        V3Slope s;
        s.name = name;
        s.value = s.over_R = out.lambda_eff_plane.coef[k];
        s.se = s.over_R_se = out.lambda_eff_plane.coef_se[k];
        s.target_over_R = target;
        return s;
      };
      out.lambda_eff_slope_x = slope("dlog_lambda_eff/dlog_eta_eff", 1, have_pred ? pred.coef[1] : 1.0);
      out.lambda_eff_slope_y = slope("dlog_lambda_eff/dlog_r", 2, -2.0);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------ V4

V4Result check_adiabat(const GridTable& table) {
  validate_table(table, "V4 adiabat");
  if (table.protocol != Protocol::fixed_lr)
    throw InputError(fmt::format("V4 adiabat applies to the fixed-LR grid (eta = const is the adiabat), got '{}'",
                                 protocol_name(table.protocol)));
  const double R = table.gas_constant();
  V4Result out;
  out.gas_constant = R;

  double sum_sd = 0.0, sum_range = 0.0, sum_log_r_change = 0.0, sum_s_se = 0.0;
  int n_sd = 0, n_range = 0, n_log_r_change = 0, n_s_se = 0;
  for (int i = 0; i < table.n_first; ++i) {
    V4Line line;
    line.i = i;
    line.eta = table.at(i, 0).eta;
    std::vector<double> log_lambda, s_values, design, log_r_design, log_r_values;
    double line_s_se = 0.0;
    int line_n_s_se = 0;
    for (int j = 0; j < table.n_second; ++j) {
      const auto& row = table.at(i, j);
      const double y = log_second(table, row);
      if (finite(row.r_mean) && row.r_mean > 0.0) {
        log_r_design.insert(log_r_design.end(), {1.0, y});
        log_r_values.push_back(std::log(row.r_mean));
      }
      if (!finite(row.S)) continue;
      log_lambda.push_back(y);
      s_values.push_back(row.S);
      design.insert(design.end(), {1.0, y});
      if (finite(row.S_se)) {
        line_s_se += row.S_se;
        ++line_n_s_se;
        sum_s_se += row.S_se;
        ++n_s_se;
      }
    }
    line.n_points = static_cast<int>(s_values.size());
    if (line.n_points >= 1) {
      double mean = 0.0;
      for (double s : s_values) mean += s;
      mean /= line.n_points;
      line.S_mean = mean;
      const auto [mn, mx] = std::minmax_element(s_values.begin(), s_values.end());
      line.S_range = *mx - *mn;
      sum_range += line.S_range;
      ++n_range;
    }
    if (line.n_points >= 2) {
      double ss = 0.0;
      for (double s : s_values) ss += (s - line.S_mean) * (s - line.S_mean);
      line.S_sd = std::sqrt(ss / (line.n_points - 1));
      sum_sd += line.S_sd;
      ++n_sd;
    }
    if (line_n_s_se > 0) line.S_se_mean = line_s_se / line_n_s_se;
    // Slopes need a residual degree of freedom for their SE: >= 3 points on distinct lambdas.
    if (line.n_points >= 3) {
      const LinearFit fit = fit_least_squares(design, 2, s_values);
      line.slope = fit.coef[1];
      line.slope_se = fit.coef_se[1];
      line.slope_over_R = line.slope / R;
      line.slope_over_R_se = line.slope_se / R;
    }
    if (log_r_values.size() >= 3) {
      const LinearFit fit = fit_least_squares(log_r_design, 2, log_r_values);
      line.log_r_slope = fit.coef[1];
      line.log_r_slope_se = fit.coef_se[1];
    }
    const auto& first = table.at(i, 0);
    const auto& last = table.at(i, table.n_second - 1);
    if (table.n_second >= 2 && first.r_mean > 0.0 && last.r_mean > 0.0) {
      line.log_r_change = std::log(last.r_mean) - std::log(first.r_mean);
      const double rel_first = first.r_se / first.r_mean, rel_last = last.r_se / last.r_mean;
      line.log_r_change_se = std::sqrt(rel_first * rel_first + rel_last * rel_last);
      if (finite(line.log_r_change)) {
        sum_log_r_change += line.log_r_change;
        ++n_log_r_change;
      }
    }
    if (finite(line.slope_over_R) &&
        (out.summary.max_slope_i < 0 || std::abs(line.slope_over_R) > out.summary.max_abs_slope_over_R)) {
      out.summary.max_abs_slope_over_R = std::abs(line.slope_over_R);
      out.summary.slope_over_R_se = line.slope_over_R_se;
      out.summary.max_slope_i = i;
    }
    out.lines.push_back(line);
  }
  if (n_sd > 0) out.summary.mean_S_sd = sum_sd / n_sd;
  if (n_range > 0) out.summary.mean_S_range = sum_range / n_range;
  if (n_s_se > 0) out.summary.mean_S_se = sum_s_se / n_s_se;
  out.summary.sd_over_se = out.summary.mean_S_sd / out.summary.mean_S_se;
  if (n_log_r_change > 0) out.summary.mean_log_r_change = sum_log_r_change / n_log_r_change;
  return out;
}

// ------------------------------------------------------------------------------------------------------ JSON

void to_json(json& out, const V1Result& r) {
  json rows = json::array();
  for (const auto& row : r.rows)
    rows.push_back(json{{"row", row.row},
                        {"i", row.i},
                        {"j", row.j},
                        {"measured", row.measured},
                        {"measured_se", row.measured_se},
                        {"pred_sde", row.pred_sde},
                        {"pred_discrete", row.pred_discrete},
                        {"rel_err_sde", row.rel_err_sde},
                        {"rel_err_sde_se", row.rel_err_sde_se},
                        {"rel_err_discrete", row.rel_err_discrete},
                        {"rel_err_discrete_se", row.rel_err_discrete_se},
                        {"pred_one_step", row.pred_one_step},
                        {"rel_err_one_step", row.rel_err_one_step},
                        {"rel_err_one_step_se", row.rel_err_one_step_se},
                        {"z_one_step", row.z_one_step},
                        {"in_sde_regime", row.in_sde_regime}});
  out = json{{"protocol", protocol_name(r.protocol)},
             {"quantity", r.quantity},
             {"regime_rule", r.regime_rule},
             {"sde_in_regime", max_error_json(r.sde_in_regime)},
             {"discrete_in_regime", max_error_json(r.discrete_in_regime)},
             {"sde_all", max_error_json(r.sde_all)},
             {"discrete_all", max_error_json(r.discrete_all)},
             {"one_step_all", max_error_json(r.one_step_all)},
             {"max_abs_z_one_step", r.max_abs_z_one_step},
             {"max_z_row", r.max_z_row},
             {"n_beyond_3_se", r.n_beyond_3_se},
             {"rows", rows}};
}

void to_json(json& out, const V2Result& r) {
  json all = json::array(), paper = json::array();
  for (const auto& ref : r.all) all.push_back(reference_json(ref));
  for (const auto& ref : r.paper) paper.push_back(reference_json(ref));
  out = json{{"protocol", protocol_name(r.protocol)},
             {"potential", r.potential},
             {"neighbour_distance", kPotentialNeighbourDistance},
             {"all_summary", summary_json(r.all_summary)},
             {"paper_summary", summary_json(r.paper_summary)},
             {"paper", paper},
             {"all", all}};
}

void to_json(json& out, const PotentialMap& m) {
  json grid = json::array();
  for (int i = 0; i < m.n_first; ++i) {
    json line = json::array();
    for (int j = 0; j < m.n_second; ++j) line.push_back(m.excess_over_T[static_cast<size_t>(i) * m.n_second + j]);
    grid.push_back(line);
  }
  out = json{{"ref_row", m.ref_row},       {"ref_i", m.ref_i},       {"ref_j", m.ref_j},
             {"argmin_row", m.argmin_row}, {"argmin_i", m.argmin_i}, {"argmin_j", m.argmin_j},
             {"n_first", m.n_first},       {"n_second", m.n_second}, {"excess_over_T", grid}};
}

void to_json(json& out, const V3Result& r) {
  json derived = json::array(), local = json::array();
  for (const auto& c : r.derived)
    derived.push_back(json{{"name", c.name},
                           {"value", c.value},
                           {"se", c.se},
                           {"target", c.target},
                           {"target_small_T", c.target_small_T}});
  for (const auto& l : r.local)
    local.push_back(json{{"relation", l.relation},
                         {"max_abs_rel_err", l.max_abs_rel_err},
                         {"rel_err", l.rel_err},
                         {"rel_err_se", l.rel_err_se},
                         {"row", l.row},
                         {"i", l.i},
                         {"j", l.j}});
  out = json{{"protocol", protocol_name(r.protocol)},
             {"gas_constant", r.gas_constant},
             {"x", r.x_name},
             {"y", r.y_name},
             {"n_points", r.n_points},
             {"n_skipped", r.n_skipped},
             {"plane", {{"fit", to_json(r.plane)}, {"slope_x", slope_json(r.slope_x)}, {"slope_y", slope_json(r.slope_y)}}},
             {"quadratic", {{"fit", to_json(r.quadratic)}, {"derived", derived}, {"local", local}}}};
  if (r.protocol == Protocol::fixed_sphere && !r.lambda_eff_plane.coef.empty())
    out["lambda_eff_relation"] = {{"relation", "lambda_eff r^2 = (d-1) T"},
                                  {"fit", to_json(r.lambda_eff_plane)},
                                  {"slope_x", slope_json(r.lambda_eff_slope_x)},
                                  {"slope_y", slope_json(r.lambda_eff_slope_y)}};
}

void to_json(json& out, const V4Result& r) {
  json lines = json::array();
  for (const auto& l : r.lines)
    lines.push_back(json{{"i", l.i},
                         {"eta", l.eta},
                         {"n_points", l.n_points},
                         {"S_mean", l.S_mean},
                         {"S_sd", l.S_sd},
                         {"S_range", l.S_range},
                         {"S_se_mean", l.S_se_mean},
                         {"slope", l.slope},
                         {"slope_se", l.slope_se},
                         {"slope_over_R", l.slope_over_R},
                         {"slope_over_R_se", l.slope_over_R_se},
                         {"log_r_change", l.log_r_change},
                         {"log_r_change_se", l.log_r_change_se},
                         {"log_r_slope", l.log_r_slope},
                         {"log_r_slope_se", l.log_r_slope_se}});
  const auto& s = r.summary;
  out = json{{"gas_constant", r.gas_constant},
             {"summary",
              {{"max_abs_slope_over_R", s.max_abs_slope_over_R},
               {"slope_over_R_se", s.slope_over_R_se},
               {"max_slope_i", s.max_slope_i},
               {"mean_S_sd", s.mean_S_sd},
               {"mean_S_range", s.mean_S_range},
               {"mean_S_se", s.mean_S_se},
               {"sd_over_se", s.sd_over_se},
               {"mean_log_r_change", s.mean_log_r_change}}},
             {"lines", lines}};
}

json to_json(const V1Result& r) {
  json out;
  to_json(out, r);
  return out;
}
json to_json(const V2Result& r) {
  json out;
  to_json(out, r);
  return out;
}
json to_json(const PotentialMap& m) {
  json out;
  to_json(out, m);
  return out;
}
json to_json(const V3Result& r) {
  json out;
  to_json(out, r);
  return out;
}
json to_json(const V4Result& r) {
  json out;
  to_json(out, r);
  return out;
}

json validation_report(const GridTable& table, const V1Options& v1_options) {
  // Input problems of one check (too few grid values, a non-positive axis value) are recorded, not fatal:
  // the other checks still say something about the grid.
  auto guarded = [](auto&& run) -> json {
    try {
      return run();
    } catch (const InputError& e) {
      return json{{"error", e.what()}};
    }
  };
  json out{{"protocol", protocol_name(table.protocol)}, {"d", table.d},
           {"gas_constant", table.gas_constant()},
           {"n_first", table.n_first},                  {"n_second", table.n_second}};
  out["v1"] = guarded([&] { return to_json(check_stationary_radius(table, v1_options)); });
  out["v3"] = guarded([&] { return to_json(check_maxwell_relations(table)); });
  if (table.network) {
    // The paper (Sec. 7): for networks only V1 and V3 can be tested. V2 compares potentials U - T S + P V built from
    // the stationary law of a known loss; a network's is unknown, and on small grids the neighbour rule passes a
    // random argmin most of the time (60 % on 3 x 3). V1 is then the stationarity of the radius (the one-step
    // identity at the steps' own noise) and its physics is Z (grid_analysis.hpp).
    const json not_testable{{"applicable", false}, {"reason", kNotTestableForNetworks}};
    out["v1"]["meaning"] = "r (sphere: lambda_eff) against the one-step radius from the fresh-batch noise and the full "
                           "gradient: the physics with the discrete-time term (Z = Z_one_step); each run's stationarity "
                           "(the one-step identity at its own steps) is stationarity_rel_err in its summary.json";
    out["v2"] = not_testable;
    out["v4"] = not_testable;
    return out;
  }
  out["v2"] = guarded([&] { return to_json(check_potential_minimum(table)); });
  if (table.protocol == Protocol::fixed_lr) {
    out["v4"] = guarded([&] { return to_json(check_adiabat(table)); });
  } else {
    out["v4"] = json{{"applicable", false}, {"reason", "the adiabat eta = const is a fixed-LR check"}};
  }
  return out;
}

}  // namespace idealgas
