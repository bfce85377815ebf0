#include "idealgas/analyse/grid_assembly.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Columns that count samples: the replicas' add up.
bool is_count_column(std::string_view name) { return ends_with(name, "_ess") || name == "S_estimates"; }

/// The value column an SE column belongs to ("r_se" is r_mean's; otherwise the name without "_se").
std::string_view value_of_se(std::string_view se_name) {
  return se_name == "r_se" ? std::string_view("r_mean") : se_name.substr(0, se_name.size() - 3);
}

const StationaryColumn* column_named(std::string_view name) {
  for (const StationaryColumn& c : stationary_row_columns())
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

StationaryRow combine_replicas(const std::vector<StationaryRow>& replicas) {
  IDEALGAS_ASSERT(!replicas.empty(), "combine_replicas needs a replica");
  if (replicas.size() == 1) return replicas.front();
  // The finite values of one field over the replicas.
  const auto finite_values = [&](double StationaryRow::*field) {
    std::vector<double> v;
    for (const StationaryRow& r : replicas)
      if (std::isfinite(r.*field)) v.push_back(r.*field);
    return v;
  };
  const auto mean_of = [](const std::vector<double>& v) {
    double sum = 0.0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  StationaryRow out = replicas.front();
  for (const StationaryColumn& c : stationary_row_columns()) {
    const std::string_view name = c.name;
    const std::vector<double> v = finite_values(c.field);
    double& target = out.*(c.field);
    if (ends_with(name, "_se")) {
      // SE of the mean of independent replicas: propagated from their own SEs (sqrt(sum se^2)/n), or from their
      // spread (sd/sqrt(n), two-pass: identical values give exactly 0) when that is larger or the only one there.
      // A run's SE can miss slow modes that only the spread between runs shows (networks whose loss spikes:
      // within-run SEs of U and r 3-4x below the replicas' spread, docs/python.md), never the reverse.
      double propagated = kNaN, spread = kNaN;
      if (!v.empty()) {
        double sum_sq = 0.0;
        for (double se : v) sum_sq += se * se;
        propagated = std::sqrt(sum_sq) / static_cast<double>(v.size());
      }
      const StationaryColumn* value = column_named(value_of_se(name));
      const std::vector<double> values = value != nullptr ? finite_values(value->field) : std::vector<double>{};
      if (values.size() >= 2) {
        const double mean = mean_of(values);
        double ss = 0.0;
        for (double x : values) ss += (x - mean) * (x - mean);
        const double n = static_cast<double>(values.size());
        spread = std::sqrt(ss / (n - 1.0) / n);
      }
      target = std::isnan(propagated) ? spread : std::isnan(spread) ? propagated : std::max(propagated, spread);
    } else if (v.empty()) {
      target = kNaN;
    } else if (is_count_column(name)) {
      double sum = 0.0;
      for (double x : v) sum += x;
      target = sum;
    } else {
      target = mean_of(v);
    }
  }
  out.duplicates = 0;
  std::set<std::string> flags;
  for (const StationaryRow& r : replicas) {
    out.duplicates += r.duplicates;
    std::size_t start = 0;
    while (start <= r.flags.size() && !r.flags.empty()) {
      const std::size_t end = r.flags.find(';', start);
      flags.insert(r.flags.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  out.flags.clear();
  for (const std::string& f : flags) out.flags += (out.flags.empty() ? "" : ";") + f;
  return out;
}

std::vector<AssembledGrid> assemble_grids(const std::vector<GridPoint>& points) {
  // Grids in order of first appearance.
  using Key = std::tuple<int, long long, std::string>;
  std::vector<Key> order;
  std::map<Key, std::vector<const GridPoint*>> members;
  for (const GridPoint& p : points) {
    const Key key{static_cast<int>(p.protocol), p.d, p.group};
    auto [it, fresh] = members.try_emplace(key);
    if (fresh) order.push_back(key);
    it->second.push_back(&p);
  }
  std::vector<AssembledGrid> out;
  for (const Key& key : order) {
    const std::vector<const GridPoint*>& runs = members[key];
    std::vector<double> firsts, seconds;
    for (const GridPoint* p : runs) {
      firsts.push_back(p->first);
      seconds.push_back(p->second);
    }
    for (auto* v : {&firsts, &seconds}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    AssembledGrid g;
    g.group = std::get<2>(key);
    GridTable& t = g.table;
    t.protocol = static_cast<Protocol>(std::get<0>(key));
    t.d = std::get<1>(key);
    t.n_first = static_cast<int>(firsts.size());
    t.n_second = static_cast<int>(seconds.size());
    const std::size_t n_rows = firsts.size() * seconds.size();
    std::vector<std::vector<const GridPoint*>> at(n_rows);
    for (const GridPoint* p : runs) {
      const auto i = std::lower_bound(firsts.begin(), firsts.end(), p->first) - firsts.begin();
      const auto j = std::lower_bound(seconds.begin(), seconds.end(), p->second) - seconds.begin();
      at[static_cast<std::size_t>(i) * seconds.size() + static_cast<std::size_t>(j)].push_back(p);
    }
    const bool sphere = t.protocol == Protocol::fixed_sphere;
    g.replicas.resize(n_rows);
    for (std::size_t k = 0; k < n_rows; ++k) {
      const int i = static_cast<int>(k / seconds.size()), j = static_cast<int>(k % seconds.size());
      std::set<long long> seen;
      std::string why;
      for (const GridPoint* p : at[k]) {
        if (!seen.insert(p->replica).second)
          throw InputError(fmt::format("two runs are replica {} of {} point ({}, {}){}", p->replica,
                                       protocol_name(t.protocol), p->first, p->second,
                                       g.group.empty() ? "" : " in group " + g.group));
        if (p->status == "ok") g.replicas[k].push_back(p->row);
        else if (why.empty()) why = p->status;
      }
      g.max_replicas = std::max<long long>(g.max_replicas, static_cast<long long>(at[k].size()));
      StationaryRow row;
      if (!g.replicas[k].empty()) row = combine_replicas(g.replicas[k]);
      row.i = i;
      row.j = j;
      row.eta = firsts[static_cast<std::size_t>(i)];
      row.lambda = sphere ? kNaN : seconds[static_cast<std::size_t>(j)];
      row.radius = sphere ? seconds[static_cast<std::size_t>(j)] : kNaN;
      t.rows.push_back(row);
      g.status.push_back(!g.replicas[k].empty() ? "ok" : at[k].empty() ? "missing: no run of this point" : why);
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<ReplicaCalibration> replica_calibration(const AssembledGrid& grid) {
  struct Quantity {
    const char* name;
    double StationaryRow::*value;
    double StationaryRow::*se;
  };
  const Quantity quantities[] = {{"U", &StationaryRow::U, &StationaryRow::U_se},
                                 {"r_mean", &StationaryRow::r_mean, &StationaryRow::r_se},
                                 {"S_sphere", &StationaryRow::S_sphere, &StationaryRow::S_sphere_se},
                                 {"S", &StationaryRow::S, &StationaryRow::S_se},
                                 {"lambda_eff", &StationaryRow::lambda_eff, &StationaryRow::lambda_eff_se}};
  std::vector<ReplicaCalibration> out;
  for (const Quantity& q : quantities) {
    ReplicaCalibration c;
    c.quantity = q.name;
    double var_sum = 0.0, se_sq_sum = 0.0;
    long long se_count = 0;
    for (const std::vector<StationaryRow>& reps : grid.replicas) {
      std::vector<const StationaryRow*> ok;
      for (const StationaryRow& r : reps)
        if (std::isfinite(r.*(q.value)) && std::isfinite(r.*(q.se)) && r.*(q.se) > 0.0) ok.push_back(&r);
      if (ok.size() < 2) continue;
      double mean = 0.0;
      for (const StationaryRow* r : ok) mean += r->*(q.value);
      mean /= static_cast<double>(ok.size());
      double var = 0.0;
      for (const StationaryRow* r : ok) {
        var += (r->*(q.value) - mean) * (r->*(q.value) - mean);
        se_sq_sum += r->*(q.se) * r->*(q.se);
        ++se_count;
      }
      var_sum += var / static_cast<double>(ok.size() - 1);
      ++c.n_points;
    }
    if (c.n_points > 0 && se_count > 0)
      c.sd_over_se = std::sqrt(var_sum / c.n_points) / std::sqrt(se_sq_sum / static_cast<double>(se_count));
    out.push_back(c);
  }
  return out;
}

}  // namespace idealgas
