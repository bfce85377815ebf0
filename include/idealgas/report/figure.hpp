// A figure described as data, independent of the program that draws it: panels of series (markers with
// error bars, theory lines) over axes, optionally over a heat map, with a colour bar that colours either the
// heat map or one line per hyperparameter value. figures_iso.cpp builds the isotropic paper panels;
// figures_gnuplot.cpp draws any Figure with gnuplot. Text (labels, titles) is gnuplot "enhanced" text:
// x^2, r_{sde}, r^*; a literal ^ _ { } @ & must be written \\^ etc.
#pragma once

#include <string>
#include <vector>

#include "idealgas/analyse/grid_table.hpp"  // kNaN

namespace idealgas::report {

struct Axis {
  std::string label;  // quantity and unit, e.g. "weight decay λ", "entropy S [nats]"
  bool log = false;   // logarithmic scale (values <= 0 are then not drawn)
  double min = kNaN, max = kNaN;  // NaN: from the data, padded
};

enum class ColourScale {
  linear,
  log,    // values > 0, decades
  log1p,  // colour = log10(1 + value), for values >= 0 spanning decades with a minimum at 0; tics in value units
};

enum class Palette {
  sequential,  // viridis: one line per hyperparameter value, heat maps of a quantity >= 0
  diverging,   // blue - white - red around the middle of the range: heat maps of a ratio around 1
};

struct ColourBar {
  std::string label;  // e.g. "learning rate η"
  ColourScale scale = ColourScale::linear;
  Palette palette = Palette::sequential;
  double min = kNaN, max = kNaN;  // NaN: from the data (heat map values, series colour values)
};

enum class SeriesStyle { points_with_error, points, line, dashed_line };
enum class Marker { filled_circle, open_circle, cross, filled_square };

/// One curve or set of markers. Points with a non-finite coordinate (or <= 0 on a log axis) are not drawn.
struct Series {
  std::string title;  // legend entry; empty: none. A series with a title and no points is a legend-only entry.
  SeriesStyle style = SeriesStyle::points;
  Marker marker = Marker::filled_circle;
  double marker_scale = 1.0;
  double line_width = 2.0;
  std::string colour;           // "#rrggbb"; empty: the panel's colour bar at colour_value
  double colour_value = kNaN;   // hyperparameter value of this line, coloured through the colour bar
  bool on_y2 = false;           // against the right-hand axis
  std::vector<double> x;        // [n]
  std::vector<double> y;        // [n]
  std::vector<double> y_se;     // [n] for points_with_error (error bar y ± y_se), else empty
};

/// Cell values on a regular grid of (log-)spaced centres; drawn under the panel's series, coloured by its
/// colour bar. Cells with a non-finite value are left blank.
struct HeatMap {
  std::vector<double> x_centres;  // [nx] increasing
  std::vector<double> y_centres;  // [ny] increasing
  std::vector<double> z;          // [ny, nx] row-major: z[iy * nx + ix]
};

struct Panel {
  std::string title;
  Axis x, y;
  Axis y2;                        // used when a series is on_y2
  bool has_colour_bar = false;    // series colours and the heat map come from colour_bar
  ColourBar colour_bar;
  bool has_heat_map = false;
  HeatMap heat_map;
  std::vector<Series> series;
  std::string key_position = "top left";  // gnuplot key placement, e.g. "bottom right", "below"
  bool square = false;                    // equal axis lengths (heat maps)
};

/// What a reader sees as one image: rows x columns panels, row-major.
struct Figure {
  std::string name;     // file stem: figures/<name>.png, .svg; [a-z0-9_~] only (core/file_stem.hpp)
  std::string title;    // heading on the page, e.g. "Fig. 1b (fixed LR): stationary radius"
  std::string caption;  // what it shows and how to read it (plain text)
  std::string paper_panel;  // the paper's panel it reproduces, e.g. "Fig. 1b"; empty: none
  std::string section;      // the page section it belongs to, e.g. "Fixed learning rate (paper Fig. 1)"
  int rows = 1, columns = 1;
  int width_px = 1000, height_px = 700;  // PNG size (SVG: the same in points)
  std::vector<Panel> panels;             // [rows * columns]
};

}  // namespace idealgas::report
