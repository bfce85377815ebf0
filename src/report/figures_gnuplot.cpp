#include "idealgas/report/figures_gnuplot.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <set>
#include <thread>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/report/external_program.hpp"

namespace idealgas::report {

namespace fs = std::filesystem;

namespace {

// A figure draws in ~0.1 s; a gnuplot that runs this long is hung.
constexpr double kGnuplotTimeoutSeconds = 60.0;
// gnuplot processes run at once (at most the hardware threads).
constexpr std::size_t kMaxGnuplotProcesses = 4;
// DejaVu comes with Debian's gnuplot (fonts-dejavu-core); 14 pt reads well at the ~1000 px the page shows.
// The SVG uses the same size so that the pixel margins below hold for both (its text comes out a little
// smaller than the PNG's).
constexpr const char* kFont = "DejaVu Sans,14";
// Axis ranges are padded by this fraction of the data span (of the log span on log axes) on each side, so
// that markers at the ends are not cut by the frame.
constexpr double kRangePadding = 0.04;
// A log axis shows its tics as powers of ten once it spans at least this many decades; below, as plain numbers.
constexpr double kMinDecadesForPowerTics = 1.9;

// Viridis from 0 to 0.9: the last tenth is too pale to read as a line on white.
constexpr const char* kSequentialPalette =
    "(0 '#440154', 1 '#46327e', 2 '#365c8d', 3 '#277f8e', 4 '#1fa187', 5 '#4ac16d', 6 '#a0da39', 7 '#d0e11c')";
// ColorBrewer RdBu reversed: blue below the middle of the range, white at it, red above.
constexpr const char* kDivergingPalette =
    "(0 '#2166ac', 1 '#67a9cf', 2 '#d1e5f0', 3 '#f7f7f7', 4 '#fddbc7', 5 '#ef8a62', 6 '#b2182b')";

const double kInf = std::numeric_limits<double>::infinity();

// Panel margins in pixels at kFont, fixed so that panels of one figure line up and a multiplot wastes no
// space: room for the y tic labels and label, the title, the x tic labels and label, a key below, and a
// colour bar with its tic labels (and its label) or a right-hand axis.
constexpr double kLeftPx = 120, kRightPx = 30, kY2Px = 110, kTopPx = 22, kTitlePx = 48, kBottomPx = 72;
constexpr double kColourBarPx = 110, kColourBarLabelPx = 150;
// The colour box: its gap from the plot and its width.
constexpr double kColourBoxGapPx = 14, kColourBoxWidthPx = 20;
// A key below the plot: at most kKeyColumns entries per row, each row kKeyRowPx high, kKeyGapPx above the
// cell's bottom edge. gnuplot's own "below" placement overlaps the x label once margins are fixed.
constexpr int kKeyColumns = 2;
constexpr double kKeyRowPx = 25, kKeyGapPx = 8;

/// A panel's cell in the canvas, pixels from the top-left corner.
struct PixelBox {
  double left, right, top, bottom;
};

/// A gnuplot double-quoted string (enhanced-text markup inside is kept).
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// A gnuplot single-quoted string: no escapes except '' for a quote, so any path survives.
std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

struct Range {
  double lo = kInf, hi = -kInf;
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

bool drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0.0); }

// gnuplot computes tics and log axes in doubles: past about 1e300 it overflows ("x axis range undefined or
// overflow", a range printed as inf), and a window narrower than about 1e-12 of its magnitude is "empty". Ranges
// are kept inside these bounds; a value outside them is clipped by the frame instead of failing the figure.
constexpr double kGnuplotMaxMagnitude = 1e300;
constexpr double kGnuplotMinLog = 1e-300;
constexpr double kMinRelativeWidth = 1e-9;

/// [lo, hi] padded; a single value (or values equal to 1e-9 of their size) gets a window around it. Empty: a
/// default window. Every bound is finite and inside what gnuplot can draw, whatever the data (issue 18: 1e300 next
/// to 1e-300, 1e16 next to 1e-16).
Range padded(Range r, bool log, double given_min, double given_max) {
  if (r.empty()) r = log ? Range{1.0, 10.0} : Range{0.0, 1.0};
  if (log) {
    r = {std::clamp(r.lo, kGnuplotMinLog, kGnuplotMaxMagnitude),
         std::clamp(r.hi, kGnuplotMinLog, kGnuplotMaxMagnitude)};
    double a = std::log10(r.lo), b = std::log10(r.hi);
    const double span = b - a > kMinRelativeWidth ? b - a : 0.5;
    if (b - a <= kMinRelativeWidth) a -= 0.25, b += 0.25;
    const double lo_exp = std::log10(kGnuplotMinLog), hi_exp = std::log10(kGnuplotMaxMagnitude);
    r = {std::pow(10.0, std::max(lo_exp, a - kRangePadding * span)),
         std::pow(10.0, std::min(hi_exp, b + kRangePadding * span))};
  } else {
    double a = std::clamp(r.lo, -kGnuplotMaxMagnitude, kGnuplotMaxMagnitude);
    double b = std::clamp(r.hi, -kGnuplotMaxMagnitude, kGnuplotMaxMagnitude);
    const double size = std::max({std::abs(a), std::abs(b), 1e-300});
    const bool single = b - a <= kMinRelativeWidth * size;
    const double span = single ? std::max(std::abs(a), 1.0) * 0.2 : b - a;  // finite: |a|, |b| <= 1e300
    if (single) a -= 0.5 * span, b += 0.5 * span;
    r = {std::max(-kGnuplotMaxMagnitude * 1.5, a - kRangePadding * span),
         std::min(kGnuplotMaxMagnitude * 1.5, b + kRangePadding * span)};
  }
  if (std::isfinite(given_min)) r.lo = given_min;
  if (std::isfinite(given_max)) r.hi = given_max;
  return r;
}

int point_type(Marker m) {
  switch (m) {  // cairo terminals' point types
    case Marker::filled_circle: return 7;
    case Marker::open_circle: return 6;
    case Marker::cross: return 2;
    case Marker::filled_square: return 5;
  }
  return 7;
}

double colour_coordinate(const ColourBar& bar, double v) {
  return bar.scale == ColourScale::log1p ? std::log10(1.0 + v) : v;
}

/// Heat maps are drawn in cell-index coordinates (cell k spans [k - 1/2, k + 1/2]); a value maps to its
/// position by interpolating between the cell centres, linearly in the value or in its log.
double index_coordinate(const std::vector<double>& centres, bool log, double v) {
  const std::size_t n = centres.size();
  if (n == 1) return 0.0;
  auto t = [log](double u) { return log ? std::log10(u) : u; };
  std::size_t k = 0;
  while (k + 2 < n && v > centres[k + 1]) ++k;
  const double a = t(centres[k]), b = t(centres[k + 1]);
  return static_cast<double>(k) + (t(v) - a) / (b - a);
}

std::string format_tic_value(double v) { return fmt::format("{:.3g}", v); }

/// Tics of a heat-map axis: powers of ten where the axis spans two decades or more, else every few centres.
std::string heat_map_tics(const std::vector<double>& centres, bool log) {
  std::vector<std::string> tics;
  const double first = centres.front(), last = centres.back();
  if (log && centres.size() > 1 && std::log10(last / first) >= kMinDecadesForPowerTics) {
    for (int k = static_cast<int>(std::ceil(std::log10(first) - 1e-9));
         k <= static_cast<int>(std::floor(std::log10(last) + 1e-9)); ++k)
      tics.push_back(fmt::format("\"10^{{{}}}\" {}", k, index_coordinate(centres, true, std::pow(10.0, k))));
  } else {
    const std::size_t step = std::max<std::size_t>(1, centres.size() / 4);
    for (std::size_t k = 0; k < centres.size(); k += step)
      tics.push_back(fmt::format("\"{}\" {}", format_tic_value(centres[k]), k));
  }
  std::string out = "(";
  for (std::size_t k = 0; k < tics.size(); ++k) out += (k ? ", " : "") + tics[k];
  return out + ")";
}

/// Tics of a log1p colour bar, in value units, at least kMinTicSpacing of the bar apart (near 0 the
/// candidates 0, 0.1, 0.3 crowd together).
std::string log1p_tics(double lo_coord, double hi_coord) {
  constexpr double kMinTicSpacing = 0.07;
  std::vector<std::string> tics;
  std::vector<double> values = {0.0};
  for (double decade = 0.1; decade < 1e9; decade *= 10) values.insert(values.end(), {decade, 3 * decade});
  double last = -kInf;
  for (double v : values) {
    const double c = std::log10(1.0 + v);
    if (c < lo_coord - 1e-12 || c > hi_coord + 1e-12) continue;
    if (c - last < kMinTicSpacing * (hi_coord - lo_coord)) continue;
    tics.push_back(fmt::format("\"{:g}\" {}", v, c));
    last = c;
  }
  std::string out = "(";
  for (std::size_t k = 0; k < tics.size(); ++k) out += (k ? ", " : "") + tics[k];
  return out + ")";
}

std::string log_axis_format(const Range& r) {
  return std::log10(r.hi / r.lo) >= kMinDecadesForPowerTics ? "\"10^{%L}\"" : "\"%g\"";
}

/// Explicit tics for a log axis spanning less than kMinDecadesForPowerTics, where gnuplot would label only
/// the one or two powers of ten inside: 1-2-5 steps, or every integer multiple of the decade when that gives
/// fewer than three.
std::string short_log_axis_tics(const Range& r) {
  for (const std::vector<double>& mantissas : {std::vector<double>{1, 2, 5}, std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    std::vector<double> tics;
    for (int k = static_cast<int>(std::floor(std::log10(r.lo))); k <= static_cast<int>(std::ceil(std::log10(r.hi))); ++k)
      for (double m : mantissas) {
        const double v = m * std::pow(10.0, k);
        if (v >= r.lo && v <= r.hi) tics.push_back(v);
      }
    if (tics.size() >= 3 || mantissas.size() > 3) {
      std::string out = "(";
      for (std::size_t k = 0; k < tics.size(); ++k) out += fmt::format("{}\"{:g}\" {}", k ? ", " : "", tics[k], tics[k]);
      return out + ")";
    }
  }
  return "";
}

class ScriptWriter {
 public:
  explicit ScriptWriter(const fs::path& data_file) : data_file_(single_quoted(data_file.string())) {}

  void panel(const Panel& p, const PixelBox& cell, int width_px, int height_px) {
    s_ << "reset\nset encoding utf8\nset termoption enhanced\n";
    s_ << "set border lw 1.2\nset tics nomirror out scale 0.8\nset mxtics default\nset mytics default\n";
    if (!p.title.empty()) s_ << "set title " << quoted(p.title) << "\n";
    s_ << "set xlabel " << quoted(p.x.label) << "\nset ylabel " << quoted(p.y.label) << "\n";
    std::vector<std::string> plots;
    if (p.has_heat_map) {
      heat_map(p, plots);
    } else {
      xy_axes(p);
    }
    colour_bar(p);
    for (const Series& series : p.series) add_series(p, series, plots);
    if (plots.empty()) {
      s_ << "set label \"no finite values to draw\" at graph 0.5, 0.5 center\n";
      plots.push_back("NaN notitle");
    }
    const auto n_titles =
        std::count_if(p.series.begin(), p.series.end(), [](const Series& s) { return !s.title.empty(); });
    const bool key_below = n_titles > 0 && p.key_position == "below";
    const int key_rows = static_cast<int>((n_titles + kKeyColumns - 1) / kKeyColumns);
    const PlotBox box = plot_box(p, cell, key_below ? key_rows * kKeyRowPx + kKeyGapPx : 0.0);
    s_ << fmt::format("set lmargin at screen {:.5f}\nset rmargin at screen {:.5f}\n", box.left / width_px,
                      box.right / width_px);
    s_ << fmt::format("set tmargin at screen {:.5f}\nset bmargin at screen {:.5f}\n", 1.0 - box.top / height_px,
                      1.0 - box.bottom / height_px);
    if (p.has_colour_bar)
      s_ << fmt::format("set colorbox user origin screen {:.5f}, screen {:.5f} size screen {:.5f}, screen {:.5f}\n",
                        (box.right + kColourBoxGapPx) / width_px, 1.0 - box.bottom / height_px,
                        kColourBoxWidthPx / width_px, (box.bottom - box.top) / height_px);
    if (key_below)
      s_ << fmt::format("set key at screen {:.5f}, screen {:.5f} center bottom horizontal maxcols {} opaque box "
                        "lc rgb '#bbbbbb' samplen 2.5\n",
                        0.5 * (box.left + box.right) / width_px, 1.0 - (cell.bottom - kKeyGapPx) / height_px,
                        kKeyColumns);
    else if (n_titles > 0)
      s_ << "set key " << p.key_position << " opaque box lc rgb '#bbbbbb' samplen 2.5 spacing 1.15\n";
    else
      s_ << "unset key\n";
    s_ << "plot \\\n  ";
    for (std::size_t k = 0; k < plots.size(); ++k) s_ << (k ? ", \\\n  " : "") << plots[k];
    s_ << "\n";
  }

  std::string script() const { return s_.str(); }
  std::string data() const { return d_.str(); }

 private:
  using PlotBox = PixelBox;

  /// The plot area (inside the axes) of a panel in its cell, `key_px` reserved below for the key.
  static PlotBox plot_box(const Panel& p, const PixelBox& cell, double key_px) {
    const bool has_y2 = std::any_of(p.series.begin(), p.series.end(), [](const Series& s) { return s.on_y2; });
    PlotBox b{cell.left + kLeftPx,
              cell.right - (p.has_colour_bar ? (p.colour_bar.label.empty() ? kColourBarPx : kColourBarLabelPx)
                                             : has_y2 ? kY2Px : kRightPx),
              cell.top + (p.title.empty() ? kTopPx : kTitlePx), cell.bottom - kBottomPx - key_px};
    if (p.square) {  // the largest square that fits, centred in the space left
      const double side = std::min(b.right - b.left, b.bottom - b.top);
      const double cx = 0.5 * (b.left + b.right), cy = 0.5 * (b.top + b.bottom);
      b = {cx - 0.5 * side, cx + 0.5 * side, cy - 0.5 * side, cy + 0.5 * side};
    }
    return b;
  }

  /// Starts a new data block; returns its gnuplot index.
  int block() {
    if (blocks_ > 0) d_ << "\n\n";
    return blocks_++;
  }

  void xy_axes(const Panel& p) {
    Range x, y, y2;
    for (const Series& series : p.series) {
      const bool y_log = series.on_y2 ? p.y2.log : p.y.log;
      Range& yr = series.on_y2 ? y2 : y;
      for (std::size_t k = 0; k < series.x.size(); ++k) {
        if (!drawable(series.x[k], p.x.log) || !drawable(series.y[k], y_log)) continue;
        x.add(series.x[k]);
        yr.add(series.y[k]);
        if (series.style == SeriesStyle::points_with_error && std::isfinite(series.y_se[k])) {
          if (drawable(series.y[k] - series.y_se[k], y_log)) yr.add(series.y[k] - series.y_se[k]);
          yr.add(series.y[k] + series.y_se[k]);
        }
      }
    }
    axis("x", p.x, x);
    axis("y", p.y, y);
    const bool has_y2 = std::any_of(p.series.begin(), p.series.end(), [](const Series& s) { return s.on_y2; });
    if (has_y2) {
      s_ << "set ytics nomirror\nset y2tics\nset my2tics default\nset y2label " << quoted(p.y2.label) << "\n";
      axis("y2", p.y2, y2);
    }
    s_ << "set grid xtics ytics mxtics mytics lw 1 lc rgb '#e4e4e4', lw 1 lc rgb '#f2f2f2'\n";
  }

  void axis(const char* name, const Axis& a, const Range& data) {
    const Range r = padded(data, a.log, a.min, a.max);
    if (a.log) {
      s_ << fmt::format("set logscale {} 10\nset format {} {}\n", name, name, log_axis_format(r));
      if (std::log10(r.hi / r.lo) < kMinDecadesForPowerTics) s_ << fmt::format("set {}tics {}\n", name, short_log_axis_tics(r));
    }
    s_ << fmt::format("set {}range [{}:{}]\n", name, r.lo, r.hi);
  }

  void heat_map(const Panel& p, std::vector<std::string>& plots) {
    const HeatMap& h = p.heat_map;
    const std::size_t nx = h.x_centres.size(), ny = h.y_centres.size();
    IDEALGAS_ASSERT(nx > 0 && ny > 0 && h.z.size() == nx * ny, "heat map shape");
    IDEALGAS_ASSERT(std::is_sorted(h.x_centres.begin(), h.x_centres.end()) &&
                        std::is_sorted(h.y_centres.begin(), h.y_centres.end()),
                    "heat map centres must increase");
    s_ << fmt::format("set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n", nx - 0.5, ny - 0.5);
    s_ << "set xtics " << heat_map_tics(h.x_centres, p.x.log) << "\n";
    s_ << "set ytics " << heat_map_tics(h.y_centres, p.y.log) << "\n";
    s_ << "set mxtics 1\nset mytics 1\nset style fill solid 1.0 noborder\n";
    bool any = false;
    std::ostringstream cells;
    for (std::size_t iy = 0; iy < ny; ++iy)
      for (std::size_t ix = 0; ix < nx; ++ix) {
        const double z = h.z[iy * nx + ix];
        if (!std::isfinite(z)) continue;
        cells << fmt::format("{} {} {}\n", ix, iy, colour_coordinate(p.colour_bar, z));
        any = true;
      }
    if (!any) return;
    const int index = block();
    d_ << cells.str();
    // Cells overlap by 4 % of their width: abutting cells leave anti-aliasing seams.
    plots.push_back(fmt::format("{} index {} using 1:2:(0.52):(0.52):3 with boxxyerror lc palette notitle",
                                data_file_, index));
  }

  void colour_bar(const Panel& p) {
    if (!p.has_colour_bar) {
      s_ << "unset colorbox\n";
      return;
    }
    const ColourBar& bar = p.colour_bar;
    Range r;
    if (p.has_heat_map)
      for (double z : p.heat_map.z)
        if (drawable(z, bar.scale == ColourScale::log)) r.add(z);
    for (const Series& series : p.series)
      if (series.colour.empty() && drawable(series.colour_value, bar.scale == ColourScale::log))
        r.add(series.colour_value);
    if (std::isfinite(bar.min)) r.lo = bar.min;
    if (std::isfinite(bar.max)) r.hi = bar.max;
    if (r.empty()) r = {0.0, 1.0};
    if (bar.scale == ColourScale::log) {  // inside what gnuplot draws (padded()), values beyond drawn at the ends
      r = {std::clamp(r.lo, kGnuplotMinLog, kGnuplotMaxMagnitude),
           std::clamp(r.hi, kGnuplotMinLog, kGnuplotMaxMagnitude)};
      if (r.hi <= r.lo * (1.0 + kMinRelativeWidth)) r = {r.lo / 2, r.lo * 2};  // one value: a window around it
    } else if (bar.scale == ColourScale::linear) {
      r = {std::clamp(r.lo, -kGnuplotMaxMagnitude, kGnuplotMaxMagnitude),
           std::clamp(r.hi, -kGnuplotMaxMagnitude, kGnuplotMaxMagnitude)};
      const double size = std::max({std::abs(r.lo), std::abs(r.hi), 1.0});
      if (r.hi - r.lo <= kMinRelativeWidth * size) r = {r.lo - 0.5 * size, r.lo + 0.5 * size};
    } else if (r.hi <= r.lo) {
      r = {r.lo - 0.5, r.hi + 0.5};
    }
    s_ << "set palette defined "
       << (bar.palette == Palette::diverging ? kDivergingPalette : kSequentialPalette) << "\n";
    // gnuplot places the label as if the tic labels were narrow: the offset clears labels such as "3000".
    s_ << "set cblabel " << quoted(bar.label) << " offset 1.5,0\nset cbtics out nomirror\n";
    switch (bar.scale) {
      case ColourScale::linear: s_ << fmt::format("set cbrange [{}:{}]\n", r.lo, r.hi); break;
      case ColourScale::log:
        s_ << fmt::format("set logscale cb 10\nset format cb {}\nset cbrange [{}:{}]\n", log_axis_format(r), r.lo,
                          r.hi);
        // As on the axes: a bar spanning less than a few decades gets 1-2-5 (or 1..9) tics, not one lone power.
        if (std::log10(r.hi / r.lo) < kMinDecadesForPowerTics)
          if (const std::string tics = short_log_axis_tics(r); !tics.empty()) s_ << "set cbtics " << tics << "\n";
        break;
      case ColourScale::log1p: {
        const double lo = std::log10(1.0 + std::max(r.lo, 0.0)), hi = std::log10(1.0 + std::max(r.hi, 0.0));
        s_ << fmt::format("set cbrange [{}:{}]\nset cbtics {}\nset mcbtics 1\n", lo, std::max(hi, lo + 1e-3),
                          log1p_tics(lo, hi));
        break;
      }
    }
  }

  std::string colour_spec(const Panel& p, const Series& series) const {
    if (!series.colour.empty()) return fmt::format("lc rgb {}", quoted(series.colour));
    IDEALGAS_ASSERT(p.has_colour_bar && std::isfinite(series.colour_value),
                    "a series without a fixed colour needs the panel's colour bar and a colour value");
    return fmt::format("lc palette cb {}", colour_coordinate(p.colour_bar, series.colour_value));
  }

  void add_series(const Panel& p, const Series& series, std::vector<std::string>& plots) {
    IDEALGAS_ASSERT(series.x.size() == series.y.size(), "series x and y differ in length");
    IDEALGAS_ASSERT(series.style != SeriesStyle::points_with_error || series.y_se.size() == series.x.size(),
                    "points_with_error needs y_se for every point");
    const bool y_log = series.on_y2 ? p.y2.log : p.y.log;
    std::ostringstream points;
    int n = 0;
    for (std::size_t k = 0; k < series.x.size(); ++k) {
      double x = series.x[k], y = series.y[k];
      if (p.has_heat_map) {  // heat maps are drawn in cell-index coordinates
        if (!drawable(x, p.x.log) || !drawable(y, p.y.log)) continue;
        x = index_coordinate(p.heat_map.x_centres, p.x.log, x);
        y = index_coordinate(p.heat_map.y_centres, p.y.log, y);
      } else if (!drawable(x, p.x.log) || !drawable(y, y_log)) {
        if (series.style == SeriesStyle::line || series.style == SeriesStyle::dashed_line) points << "\n";  // gap
        continue;
      }
      points << fmt::format("{} {}", x, y);
      if (series.style == SeriesStyle::points_with_error)
        points << fmt::format(" {}", std::isfinite(series.y_se[k]) ? series.y_se[k] : 0.0);
      points << "\n";
      ++n;
    }
    const std::string title = series.title.empty() ? "notitle" : "title " + quoted(series.title);
    const std::string colour = colour_spec(p, series);
    const std::string axes = series.on_y2 ? " axes x1y2" : "";
    std::string style;
    switch (series.style) {
      case SeriesStyle::points_with_error:
        style = fmt::format("with yerrorbars pt {} ps {} lw 1.5", point_type(series.marker), series.marker_scale);
        break;
      case SeriesStyle::points:
        style = fmt::format("with points pt {} ps {} lw 2.5", point_type(series.marker), series.marker_scale);
        break;
      case SeriesStyle::line: style = fmt::format("with lines lw {} dt 1", series.line_width); break;
      case SeriesStyle::dashed_line: style = fmt::format("with lines lw {} dt (8,5)", series.line_width); break;
    }
    if (n == 0) {
      if (series.title.empty()) return;
      // Legend-only entry: a function that is undefined everywhere draws nothing but its key sample.
      if (series.style == SeriesStyle::points_with_error)
        style = fmt::format("with points pt {} ps {} lw 1.5", point_type(series.marker), series.marker_scale);
      plots.push_back(fmt::format("NaN {} {}{} {}", style, colour, axes, title));
      return;
    }
    const int index = block();
    d_ << points.str();
    const char* columns = series.style == SeriesStyle::points_with_error ? "1:2:3" : "1:2";
    plots.push_back(fmt::format("{} index {} using {} {} {}{} {}", data_file_, index, columns, style, colour, axes,
                                title));
  }

  std::string data_file_;
  std::ostringstream s_, d_;
  int blocks_ = 0;
};

/// A scratch file: no fsync or rename, it lives only while the figure is drawn.
void write_scratch_file(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out.flush()) throw IoError(fmt::format("cannot write {}; is the temporary folder full?", path.string()));
}

}  // namespace

const char* image_format_extension(ImageFormat format) { return format == ImageFormat::png ? "png" : "svg"; }

std::vector<ImageFormat> parse_image_formats(const std::string& list, const std::string& flag) {
  std::vector<ImageFormat> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    ImageFormat f;
    if (item == "png") f = ImageFormat::png;
    else if (item == "svg") f = ImageFormat::svg;
    else
      throw InputError(fmt::format("{} '{}': each format must be png or svg (comma-separated, e.g. png,svg)", flag,
                                   list));
    if (std::find(out.begin(), out.end(), f) != out.end())
      throw InputError(fmt::format("{} '{}': format {} is listed twice", flag, list, item));
    out.push_back(f);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

GnuplotJob gnuplot_job(const Figure& figure, const fs::path& data_file, const std::vector<GnuplotOutput>& outputs) {
  IDEALGAS_ASSERT(figure.rows >= 1 && figure.columns >= 1 &&
                      figure.panels.size() == static_cast<std::size_t>(figure.rows) * figure.columns,
                  "figure " + figure.name + ": panels must fill rows x columns");
  ScriptWriter writer(data_file);
  const double cell_w = static_cast<double>(figure.width_px) / figure.columns;
  const double cell_h = static_cast<double>(figure.height_px) / figure.rows;
  for (std::size_t k = 0; k < figure.panels.size(); ++k) {
    const double row = static_cast<double>(k / figure.columns), col = static_cast<double>(k % figure.columns);
    writer.panel(figure.panels[k], {col * cell_w, (col + 1) * cell_w, row * cell_h, (row + 1) * cell_h},
                 figure.width_px, figure.height_px);
  }
  const std::string draw = writer.script();

  std::ostringstream script;
  script << "# " << figure.title << "\n";
  for (const GnuplotOutput& out : outputs) {
    if (out.format == ImageFormat::png)
      script << fmt::format("set terminal pngcairo size {},{} enhanced font \"{}\" background rgb 'white'\n",
                            figure.width_px, figure.height_px, kFont);
    else
      script << fmt::format("set terminal svg size {},{} enhanced font \"{}\" background rgb 'white'\n",
                            figure.width_px, figure.height_px, kFont);
    script << "set output " << single_quoted(out.file.string()) << "\n";
    // Every panel places itself (margins at screen coordinates), so the multiplot needs no layout.
    script << "set multiplot\n" << draw << "unset multiplot\n";
    script << "unset output\n";
  }
  return {script.str(), writer.data()};
}

namespace {

std::vector<RenderedImage> render_one(const Figure& figure, const std::vector<ImageFormat>& formats,
                                      const fs::path& scratch) {
  const fs::path base = scratch / figure.name;
  std::vector<GnuplotOutput> outputs;
  for (ImageFormat f : formats) outputs.push_back({f, fs::path(base.string() + "." + image_format_extension(f))});
  const fs::path data_file = base.string() + ".dat", script_file = base.string() + ".gp";
  const GnuplotJob job = gnuplot_job(figure, data_file, outputs);
  write_scratch_file(data_file, job.data);
  write_scratch_file(script_file, job.script);
  const ProgramResult run = run_program({"gnuplot", script_file.string()}, scratch, kGnuplotTimeoutSeconds,
                                        "Debian: apt-get install gnuplot-nox; see scripts/setup.sh");
  if (run.timed_out)
    throw IoError(fmt::format("gnuplot did not finish figure {} within {} s", figure.name, kGnuplotTimeoutSeconds));
  if (run.exit_code != 0 || !run.stderr_text.empty())
    throw IoError(fmt::format("gnuplot failed on figure {} (exit status {}): {}", figure.name, run.exit_code,
                              last_line(run.stderr_text)));
  std::vector<RenderedImage> images;
  for (const GnuplotOutput& out : outputs)
    images.push_back({figure.name + "." + image_format_extension(out.format), out.format, read_file(out.file, kMaxTableBytes)});
  return images;
}

}  // namespace

std::vector<RenderedImage> render_figures(const std::vector<Figure>& figures, const std::vector<ImageFormat>& formats) {
  std::set<std::string> names;
  for (const Figure& f : figures) {
    IDEALGAS_ASSERT(!f.name.empty() && f.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos,
                    "figure name '" + f.name + "' must be [a-z0-9_]+ (it names files)");
    IDEALGAS_ASSERT(names.insert(f.name).second, "two figures are named " + f.name);
  }
  ScratchDir scratch("idealgas-figures");
  // One gnuplot process per figure, a few at a time: each is single-threaded and ~0.1-0.3 s.
  std::vector<std::vector<RenderedImage>> per_figure(figures.size());
  std::vector<std::exception_ptr> errors(figures.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k; (k = next++) < figures.size();) {
      try {
        per_figure[k] = render_one(figures[k], formats, scratch.path());
      } catch (...) {
        errors[k] = std::current_exception();
      }
    }
  };
  const std::size_t n_workers =
      std::min<std::size_t>({figures.size(), kMaxGnuplotProcesses, std::max(1u, std::thread::hardware_concurrency())});
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < n_workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);  // the first failing figure, in page order
  std::vector<RenderedImage> images;
  for (auto& group : per_figure)
    for (RenderedImage& im : group) images.push_back(std::move(im));
  return images;
}

}  // namespace idealgas::report
