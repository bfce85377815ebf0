#include "grid_figure_parts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "idealgas/analyse/compressibility.hpp"

namespace idealgas::report {

AxisWords axis_words(Protocol p) {
  switch (p) {
    case Protocol::fixed_lr: return {"fixed LR", "η", "learning rate η", "λ", "weight decay λ"};
    case Protocol::fixed_elr:
      return {"fixed ELR", "η_{eff}", "effective learning rate η_{eff}", "λ", "weight decay λ"};
    case Protocol::fixed_sphere: return {"sphere", "η_{eff}", "effective learning rate η_{eff}", "r", "radius r"};
  }
  return {};
}

std::string plain(std::string s) {
  for (const char* brace : {"{", "}"})
    for (std::size_t k; (k = s.find(brace)) != std::string::npos;) s.erase(k, 1);
  return s;
}

double second_value(Protocol p, const StationaryRow& row) {
  return p == Protocol::fixed_sphere ? row.radius : row.lambda;
}

std::vector<double> axis_values(const GridTable& t, bool second) {
  std::vector<double> v;
  if (second)
    for (int j = 0; j < t.n_second; ++j) v.push_back(second_value(t.protocol, t.at(0, j)));
  else
    for (int i = 0; i < t.n_first; ++i) v.push_back(t.at(i, 0).eta);
  return v;
}

ZMap z_map_panel(const GridTable& t, const AxisWords& words) {
  ZMap m;
  m.max_dev_se = std::numeric_limits<double>::quiet_NaN();
  Panel& p = m.panel;
  p.title = fmt::format("compressibility factor Z, {}", words.name);
  p.x = {words.first_label, true};
  p.y = {words.second_label, true};
  p.square = true;
  p.has_colour_bar = true;
  p.colour_bar.label = "Z = PV/(RT)";
  p.colour_bar.palette = Palette::diverging;
  p.has_heat_map = true;
  p.heat_map.x_centres = axis_values(t, false);
  p.heat_map.y_centres = axis_values(t, true);
  p.heat_map.z.assign(t.rows.size(), std::numeric_limits<double>::quiet_NaN());
  double sum = 0.0;
  for (int i = 0; i < t.n_first; ++i)
    for (int j = 0; j < t.n_second; ++j) {
      const StationaryRow& row = t.at(i, j);
      const Compressibility z = compressibility(t, row);
      p.heat_map.z[static_cast<std::size_t>(j) * t.n_first + i] = z.Z;
      if (!std::isfinite(z.Z)) continue;
      sum += z.Z;
      ++m.n;
      if (std::abs(z.Z - 1.0) > m.max_dev) {
        m.max_dev = std::abs(z.Z - 1.0);
        m.max_dev_se = z.Z_se;
        m.worst = &row;
      }
      if (z.Z_se > 0.0) m.max_sigmas = std::max(m.max_sigmas, std::abs(z.Z - 1.0) / z.Z_se);
    }
  if (m.n > 0) m.mean = sum / m.n;
  // Symmetric around the ideal gas, so that white means Z = 1 and the two colours read as above / below.
  const double half = std::max(m.max_dev, 1e-3);
  p.colour_bar.min = 1.0 - half;
  p.colour_bar.max = 1.0 + half;
  return m;
}

}  // namespace idealgas::report
