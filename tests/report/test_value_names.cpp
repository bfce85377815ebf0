// Names and figures built from values (issue 18): two groups that an old name mapping merged ("/x y", "/x_y"; "X=1",
// "x=1") get distinct table and figure files, a 300-character value a short name, and gnuplot draws any finite data
// (1e-300 next to 1e300, 1e-16 next to 1e16, one extreme value alone) without an "undefined variable: inf".
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "idealgas/analyse/grid_analysis.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/file_stem.hpp"
#include "idealgas/report/figures_gnuplot.hpp"
#include "idealgas/report/figures_sweep.hpp"

namespace idealgas {
namespace {

AssembledGrid grid_of(const std::string& group) {
  AssembledGrid g;
  g.group = group;
  g.table.protocol = Protocol::fixed_elr;
  return g;
}

TEST(ValueNames, GroupsGetDistinctBoundedTableAndFigureNames) {
  // Unchanged for the usual groups (the names users and docs know).
  EXPECT_EQ(grid_file_stem(grid_of("")), "elr");
  EXPECT_EQ(grid_file_stem(grid_of("model.width=8")), "elr_model.width=8");
  const std::vector<std::string> groups = {"data.path=/x y", "data.path=/x_y", "data.path=x_y", "sigma2=1e-16",
                                           "sigma2=1e+16",   "sigma2=1e+300",  "sigma2=1e-300", "sigma2=inf",
                                           "X=1",            "x=1",            std::string(300, 'v'),
                                           std::string(299, 'v') + "w"};
  std::set<std::string> tables, figures;
  for (const std::string& group : groups) {
    const std::string table = grid_file_stem(grid_of(group)), figure = report::figure_stem(table);
    // "elr_" + a bounded stem; the figure name adds "z_map_" and ".png": all far below 255 bytes.
    EXPECT_LE(table.size(), 4 + kFileStemMax) << group;
    EXPECT_LE(figure.size(), kFileStemMax) << group;
    EXPECT_EQ(table.find('/'), std::string::npos) << table;
    EXPECT_EQ(figure.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_~"), std::string::npos) << figure;
    tables.insert(table);
    figures.insert(figure);
  }
  EXPECT_EQ(tables.size(), groups.size());   // no two groups share a table file
  EXPECT_EQ(figures.size(), groups.size());  // nor a figure file ("X=1" and "x=1" included)
}

report::Figure extreme_figure(const std::vector<double>& x, const std::vector<double>& y, bool x_log, bool y_log,
                              double colour) {
  report::Figure f;
  f.name = "extreme";
  f.width_px = 320;
  f.height_px = 240;
  report::Panel p;
  p.x = {"x", x_log};
  p.y = {"y", y_log};
  p.has_colour_bar = true;
  p.colour_bar.scale = report::ColourScale::log;
  report::Series s;
  s.style = report::SeriesStyle::points_with_error;
  s.colour_value = colour;
  s.x = x;
  s.y = y;
  s.y_se = std::vector<double>(y.size(), kNaN);
  p.series = {s};
  f.panels = {p};
  return f;
}

TEST(ValueNames, GnuplotDrawsAnyFiniteRange) {
  struct Case {
    const char* what;
    std::vector<double> x, y;
    bool x_log, y_log;
    double colour;
  };
  const Case cases[] = {
      {"1e-300 .. 1e300 on log axes", {1e-300, 1.0, 1e300}, {1e300, 1.0, 1e-300}, true, true, 1e300},
      {"1e-16 and 1e16 on linear axes", {1e-16, 1e16}, {1e16, 1e-16}, false, false, 1e-16},
      {"-1e300 .. 1e300 linear", {-1e300, 0.0, 1e300}, {1e300, 0.0, -1e300}, false, false, 1.0},
      {"the largest doubles", {-1.7e308, 1.7e308}, {1.7e308, 4.9e-324}, false, true, 1.7e308},
      {"one value 1e-16", {1e-16}, {1e-16}, false, false, 1e-16},
      {"one value 1e300 on log axes", {1e300}, {1e300}, true, true, 1e300},
      {"two values equal to 1e-16 of their size", {1.0, 1.0 + 1e-16 * 4}, {2.0, 2.0}, false, false, 2.0},
  };
  for (const Case& c : cases) {
    try {
      const std::vector<report::RenderedImage> images =
          report::render_figures({extreme_figure(c.x, c.y, c.x_log, c.y_log, c.colour)}, {report::ImageFormat::png});
      ASSERT_EQ(images.size(), 1u) << c.what;
      EXPECT_EQ(images[0].bytes.substr(1, 3), "PNG") << c.what;  // PNG signature bytes 1-3
    } catch (const Error& e) {
      ADD_FAILURE() << c.what << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace idealgas
