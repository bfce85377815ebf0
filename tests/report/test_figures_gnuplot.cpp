// Figures drawn by gnuplot: the script and data for a figure (which points are drawn, one block per series,
// legend-only entries, heat-map cells), real PNG and SVG output of the asked size, and gnuplot's errors and a
// missing program reported as one IoError line that names the figure.
#include "idealgas/report/figures_gnuplot.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>

#include "idealgas/core/error.hpp"
#include "idealgas/report/external_program.hpp"

namespace idealgas::report {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

Figure small_figure() {
  Figure f;
  f.name = "test_figure";
  f.title = "test";
  f.width_px = 640;
  f.height_px = 480;
  Panel p;
  p.title = "a log-log panel";
  p.x = {"x", true};
  p.y = {"y [nats]", true};
  p.has_colour_bar = true;
  p.colour_bar.label = "λ";
  p.colour_bar.scale = ColourScale::log;
  Series markers;
  markers.style = SeriesStyle::points_with_error;
  markers.colour_value = 1e-2;
  markers.x = {1.0, -1.0, kNaN, 10.0, 100.0};  // -1 and NaN cannot be drawn on a log axis
  markers.y = {2.0, 3.0, 4.0, 0.0, 20.0};      // 0 neither
  markers.y_se = {0.1, 0.1, 0.1, 0.1, kNaN};   // a missing SE draws the marker without a bar
  Series line;
  line.style = SeriesStyle::line;
  line.colour = "#c0392b";
  line.title = "theory";
  line.x = {1.0, 10.0, 100.0};
  line.y = {2.0, 6.0, 20.0};
  Series legend_only;
  legend_only.title = "measured ± SE";
  legend_only.style = SeriesStyle::points_with_error;
  legend_only.colour = "#505050";
  p.series = {markers, line, legend_only};
  f.panels = {p};
  return f;
}

TEST(ImageFormats, ParsesAListAndRejectsAnythingElseNamingTheFlag) {
  EXPECT_EQ(parse_image_formats("png,svg", "--format"), (std::vector<ImageFormat>{ImageFormat::png, ImageFormat::svg}));
  EXPECT_EQ(parse_image_formats("svg", "--format"), std::vector<ImageFormat>{ImageFormat::svg});
  for (const char* bad : {"", "jpg", "png,", "png,png", "PNG", "png svg"}) {
    const std::string msg = error_of([&] { parse_image_formats(bad, "--format"); });
    EXPECT_NE(msg.find("--format '" + std::string(bad) + "'"), std::string::npos) << msg;
  }
}

TEST(GnuplotJob, DrawsOnlyDrawablePointsOneBlockPerSeriesAndEveryOutput) {
  const GnuplotJob job =
      gnuplot_job(small_figure(), "/tmp/d.dat", {{ImageFormat::png, "/tmp/a.png"}, {ImageFormat::svg, "/tmp/a.svg"}});
  // Blocks are separated by two blank lines; the marker block keeps (1, 2) and (100, 20) only.
  EXPECT_EQ(job.data, "1 2 0.1\n100 20 0\n\n\n1 2\n10 6\n100 20\n");
  EXPECT_NE(job.script.find("set terminal pngcairo size 640,480"), std::string::npos);
  EXPECT_NE(job.script.find("set terminal svg size 640,480"), std::string::npos);
  EXPECT_NE(job.script.find("set output '/tmp/a.png'"), std::string::npos);
  EXPECT_NE(job.script.find("lc palette cb 0.01"), std::string::npos);  // the line's hyperparameter colour
  EXPECT_NE(job.script.find("NaN with points"), std::string::npos);     // the legend-only entry
  EXPECT_NE(job.script.find("title \"measured ± SE\""), std::string::npos);
  EXPECT_NE(job.script.find("set logscale cb"), std::string::npos);
}

TEST(GnuplotJob, HeatMapsDrawFiniteCellsInIndexCoordinatesWithMarkersOnThem) {
  Figure f;
  f.name = "heat";
  Panel p;
  p.x = {"η", true};
  p.y = {"λ", true};
  p.has_heat_map = true;
  p.has_colour_bar = true;
  p.colour_bar.scale = ColourScale::log1p;
  p.heat_map.x_centres = {1e-3, 1e-2, 1e-1};
  p.heat_map.y_centres = {1e-3, 1e-1};
  p.heat_map.z = {0.0, 9.0, kNaN, 99.0, 0.5, 1.0};  // [2, 3]
  Series marker;
  marker.colour = "#ffffff";
  marker.x = {1e-2};
  marker.y = {1e-1};
  p.series = {marker};
  f.panels = {p};
  const GnuplotJob job = gnuplot_job(f, "d.dat", {{ImageFormat::png, "a.png"}});
  // Cells (ix iy log10(1 + z)); the NaN cell is left out; the marker sits on cell (1, 1).
  EXPECT_EQ(job.data, "0 0 0\n1 0 1\n0 1 2\n1 1 0.17609125905568124\n2 1 0.3010299956639812\n\n\n1 1\n");
  EXPECT_NE(job.script.find("set xtics (\"10^{-3}\" 0, \"10^{-2}\" 1, \"10^{-1}\" 2)"), std::string::npos)
      << job.script;
  EXPECT_NE(job.script.find("unset key"), std::string::npos);  // no titled series: no empty key box
}

TEST(RenderFigures, WritesAPngAndAnSvgOfTheAskedSize) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<RenderedImage> images = render_figures({small_figure()}, {ImageFormat::png, ImageFormat::svg});
  ASSERT_EQ(images.size(), 2u);
  const RenderedImage& png = images[0];
  EXPECT_EQ(png.file_name, "test_figure.png");
  ASSERT_GT(png.bytes.size(), 1000u);
  EXPECT_EQ(png.bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian_u32(png.bytes, 16), 640u);  // width, then height (PNG spec, IHDR)
  EXPECT_EQ(big_endian_u32(png.bytes, 20), 480u);
  const RenderedImage& svg = images[1];
  EXPECT_EQ(svg.file_name, "test_figure.svg");
  EXPECT_NE(svg.bytes.find("<svg"), std::string::npos);
  EXPECT_NE(svg.bytes.find("width=\"640\""), std::string::npos);
  EXPECT_NE(svg.bytes.find("measured ± SE"), std::string::npos);
  // One small figure is one gnuplot start: well under a second even on a loaded machine.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 20.0);
}

TEST(RenderFigures, AGnuplotErrorNamesTheFigureAndGnuplotsMessage) {
  Figure bad = small_figure();
  bad.panels[0].key_position = "nowhere-known";
  const std::string msg = error_of([&] { render_figures({bad}, {ImageFormat::png}); });
  EXPECT_NE(msg.find("gnuplot failed on figure test_figure"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line"), std::string::npos) << msg;  // gnuplot's "<script> line N: ..." message
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ExternalProgram, AMissingProgramNamesItAndHowToInstallIt) {
  ScratchDir scratch("idealgas-test");
  const std::string msg = error_of([&] {
    run_program({"idealgas-no-such-program"}, scratch.path(), 5.0, "apt-get install nothing");
  });
  EXPECT_EQ(msg, "idealgas-no-such-program not found on PATH; install it (apt-get install nothing)");
}

TEST(ExternalProgram, CapturesOutputAndStatusAndKillsAHungProgram) {
  ScratchDir scratch("idealgas-test");
  const ProgramResult r = run_program({"sh", "-c", "echo out; echo err >&2; exit 3"}, scratch.path(), 10.0, "");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_EQ(last_line("a\n  b c \n\n"), "b c");
  const auto start = std::chrono::steady_clock::now();
  const ProgramResult hung = run_program({"sleep", "30"}, scratch.path(), 0.3, "");
  EXPECT_TRUE(hung.timed_out);
  EXPECT_EQ(hung.exit_code, -1);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
}

TEST(ExternalProgram, TheScratchFolderIsRemovedWithItsFiles) {
  std::filesystem::path folder;
  {
    ScratchDir scratch("idealgas-test");
    folder = scratch.path();
    run_program({"sh", "-c", "echo x > '" + (folder / "f.txt").string() + "'"}, folder, 10.0, "");
    ASSERT_TRUE(std::filesystem::exists(folder / "f.txt"));
  }
  EXPECT_FALSE(std::filesystem::exists(folder));
}

}  // namespace
}  // namespace idealgas::report
