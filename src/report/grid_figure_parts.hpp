// Parts shared by the figures of a reproduce iso run (figures_iso.cpp) and of a sweep (figures_sweep.cpp): the
// words of a protocol's two axes, the axis values of a grid table, and the Z = PV/(RT) heat map with its numbers.
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"
#include "idealgas/report/figure.hpp"

namespace idealgas::report {

struct AxisWords {
  std::string name;                         // "fixed LR"
  std::string first_symbol, first_label;    // axis i: "η", "learning rate η" (gnuplot enhanced text)
  std::string second_symbol, second_label;  // axis j
};
AxisWords axis_words(Protocol p);

/// Plain-text form of a gnuplot symbol, for captions on the page ("η_{eff}" -> "η_eff").
std::string plain(std::string s);

/// A row's value on the second axis: the radius (sphere) or lambda.
double second_value(Protocol p, const StationaryRow& row);
/// The grid's values along one axis (first: eta or eta_eff; second: lambda or the radius).
std::vector<double> axis_values(const GridTable& t, bool second);

/// The Z map: a heat map of Z = PV/(RT) over the grid, coloured symmetrically about the ideal gas (white = 1), and
/// what a caption says about it.
struct ZMap {
  Panel panel;
  int n = 0;                   // configurations with a finite Z
  double mean = 0.0;           // of those
  double max_dev = 0.0;        // largest |Z - 1|
  double max_dev_se = 0.0;     // its SE
  double max_sigmas = 0.0;     // largest |Z - 1| / SE
  const StationaryRow* worst = nullptr;  // where |Z - 1| is largest
};
ZMap z_map_panel(const GridTable& t, const AxisWords& words);

}  // namespace idealgas::report
