#include "idealgas/analyse/maxwell_table4.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/rng.hpp"

namespace idealgas {

namespace {

constexpr std::uint64_t kBootstrapPurpose = 0x626f6f74ULL;  // "boot"

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// The numbers of one fit, in Table4's value order.
std::vector<double> table_numbers(const V3Result& v3) {
  std::vector<double> out;
  for (const V3DerivedCoefficient& c : v3.derived) out.push_back(c.value);
  out.push_back(v3.local.empty() ? kNaN : v3.local.front().max_abs_rel_err);
  out.push_back(v3.quadratic.r_squared);
  return out;
}

// A uniform index in [0, n) from draw `counter` of stream `key` (Philox: a pure function of both, so the same table
// always gives the same resamples). The modulo bias is below n / 2^64.
std::size_t draw_index(std::uint64_t key, std::uint64_t counter, std::size_t n) {
  r123::Philox4x64 philox;
  const r123::Philox4x64::ctr_type c = {{counter, 0, 0, 0}};
  const r123::Philox4x64::key_type k = {{key, 0}};
  return static_cast<std::size_t>(philox(c, k)[0] % n);
}

}  // namespace

Table4 maxwell_table4(const AssembledGrid& grid, const Table4Options& options) {
  Table4 out;
  out.protocol = grid.table.protocol;
  out.n_bootstrap = options.n_bootstrap;
  V3Result v3;
  try {
    v3 = check_maxwell_relations(grid.table);
  } catch (const InputError& e) {
    out.error = e.what();
    return out;
  }
  for (const V3DerivedCoefficient& c : v3.derived) out.values.push_back({c.name, c.value, c.se, kNaN, c.target, kNaN});
  out.values.push_back({"max_rel_err", v3.local.empty() ? kNaN : v3.local.front().max_abs_rel_err, kNaN, kNaN, 0.0, kNaN});
  out.values.push_back({"r_squared", v3.quadratic.r_squared, kNaN, kNaN, 1.0, kNaN});

  // Replicas when every measured point has at least two; otherwise the points.
  bool by_replicas = true;
  for (std::size_t k = 0; k < grid.replicas.size(); ++k)
    if (grid.status[k] == "ok" && grid.replicas[k].size() < 2) by_replicas = false;
  out.resampling = by_replicas ? "replicas within grid points" : "grid points (cases)";
  const std::pair<double, double> centre = grid_centre(grid.table);
  const std::uint64_t key = derive_stream_key(options.seed, {kBootstrapPurpose});
  std::uint64_t counter = 0;
  std::vector<double> sum(out.values.size(), 0.0), sum_sq(out.values.size(), 0.0);
  for (int b = 0; b < options.n_bootstrap; ++b) {
    GridTable t = grid.table;
    const std::size_t n = t.rows.size();
    for (std::size_t k = 0; k < n; ++k) {
      if (by_replicas) {
        const std::vector<StationaryRow>& reps = grid.replicas[k];
        if (reps.empty()) continue;
        std::vector<StationaryRow> drawn;
        for (std::size_t r = 0; r < reps.size(); ++r) drawn.push_back(reps[draw_index(key, counter++, reps.size())]);
        StationaryRow row = combine_replicas(drawn);
        row.i = t.rows[k].i;
        row.j = t.rows[k].j;
        row.eta = t.rows[k].eta;
        row.lambda = t.rows[k].lambda;
        row.radius = t.rows[k].radius;
        t.rows[k] = row;
      } else {
        // A grid point drawn into slot k: its values (hence its place in the fit) come with it; (i, j) are the slot's.
        StationaryRow row = grid.table.rows[draw_index(key, counter++, n)];
        row.i = t.rows[k].i;
        row.j = t.rows[k].j;
        t.rows[k] = row;
      }
    }
    std::vector<double> numbers;
    try {
      const V3Result fit = check_maxwell_relations(t, centre);  // centred at the whole grid's centre
      numbers = table_numbers(fit);
      // The local relation's maximum over the grid as measured, not over the resample's points (a subset would bias
      // it low): the resample's quadratic evaluated at every grid point and fitted again (exactly) gives it.
      GridTable at_grid = grid.table;
      const std::vector<double>& a = fit.quadratic.coef;
      const bool sphere = at_grid.protocol == Protocol::fixed_sphere;
      for (StationaryRow& row : at_grid.rows) {
        const double x = std::log(row.eta), y = std::log(sphere ? row.radius : row.lambda);
        (sphere ? row.S_sphere : row.S) = a[0] + a[1] * x + a[2] * y + a[3] * x * x + a[4] * y * y + a[5] * x * y;
      }
      const V3Result on_grid = check_maxwell_relations(at_grid);
      numbers[numbers.size() - 2] = on_grid.local.empty() ? kNaN : on_grid.local.front().max_abs_rel_err;
    } catch (const InputError&) {
      continue;  // an axis lost its third value, or the design is singular
    }
    ++out.n_used;
    for (std::size_t v = 0; v < numbers.size(); ++v) {
      sum[v] += numbers[v];
      sum_sq[v] += numbers[v] * numbers[v];
    }
  }
  if (out.n_used >= 2) {
    for (std::size_t v = 0; v < out.values.size(); ++v) {
      const double m = sum[v] / out.n_used;
      out.values[v].bootstrap_se = std::sqrt(std::max(0.0, (sum_sq[v] - out.n_used * m * m) / (out.n_used - 1)));
    }
  }
  return out;
}

nlohmann::json to_json(const Table4& t) {
  nlohmann::json values = nlohmann::json::array();
  for (const Table4Value& v : t.values)
    values.push_back({{"name", v.name},
                      {"value", number(v.value)},
                      {"ols_se", number(v.ols_se)},
                      {"bootstrap_se", number(v.bootstrap_se)},
                      {"target", number(v.target)},
                      {"paper", number(v.paper)}});
  return {{"protocol", protocol_name(t.protocol)}, {"resampling", t.resampling}, {"n_bootstrap", t.n_bootstrap},
          {"n_used", t.n_used},                    {"error", t.error},           {"values", values}};
}

}  // namespace idealgas
