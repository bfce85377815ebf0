#include "idealgas/analyse/sigma2_collapse.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

Sigma2Collapse check_sigma2_collapse(const GridTable& t) {
  Sigma2Collapse out;
  const bool lr = t.protocol == Protocol::fixed_lr, sphere = t.protocol == Protocol::fixed_sphere;
  out.variable = lr ? "log(eta*lambda)" : "log(eta_eff)";
  out.other_variable = sphere ? "log(r)" : "log(lambda)";
  std::vector<double> u, v, y;
  for (const StationaryRow& r : t.rows) {
    const double second = sphere ? r.radius : r.lambda;
    if (!(r.sigma2 > 0.0) || !std::isfinite(r.sigma2) || !(r.eta > 0.0) || !(second > 0.0)) continue;
    u.push_back(lr ? std::log(r.eta * r.lambda) : std::log(r.eta));
    v.push_back(std::log(second));
    y.push_back(std::log(r.sigma2));
    out.sigma2_min = out.n_points == 0 ? r.sigma2 : std::min(out.sigma2_min, r.sigma2);
    out.sigma2_max = out.n_points == 0 ? r.sigma2 : std::max(out.sigma2_max, r.sigma2);
    ++out.n_points;
  }
  if (out.n_points == 0) {
    out.error = "no row has a measured sigma^2";
    return out;
  }
  if (out.sigma2_min == out.sigma2_max) {
    out.constant = true;  // the model's own sigma^2: nothing to fit
    out.residual_sd = 0.0;
    return out;
  }
  const std::size_t n = y.size();
  std::vector<double> curve, extended;
  for (std::size_t k = 0; k < n; ++k) {
    curve.insert(curve.end(), {1.0, u[k], u[k] * u[k]});
    extended.insert(extended.end(), {1.0, u[k], u[k] * u[k], v[k]});
  }
  try {
    out.curve = fit_least_squares(curve, 3, y);
    out.residual_sd = out.curve.residual_sd;
    out.extended = fit_least_squares(extended, 4, y);
    out.other_slope = out.extended.coef[3];
    out.other_slope_se = out.extended.coef_se[3];
    out.other_slope_z = out.other_slope_se > 0.0 ? out.other_slope / out.other_slope_se : kNaN;
  } catch (const InputError& e) {
    out.error = e.what();  // e.g. one value per axis: the direction cannot be separated
  }
  return out;
}

nlohmann::json to_json(const Sigma2Collapse& c) {
  nlohmann::json j = {{"variable", c.variable},
                      {"other_variable", c.other_variable},
                      {"n_points", c.n_points},
                      {"constant", c.constant},
                      {"sigma2_min", number(c.sigma2_min)},
                      {"sigma2_max", number(c.sigma2_max)},
                      {"residual_sd", number(c.residual_sd)},
                      {"other_slope", number(c.other_slope)},
                      {"other_slope_se", number(c.other_slope_se)},
                      {"other_slope_z", number(c.other_slope_z)},
                      {"error", c.error}};
  if (c.curve.p > 0) j["curve"] = to_json(c.curve);
  if (c.extended.p > 0) j["extended"] = to_json(c.extended);
  return j;
}

}  // namespace idealgas
