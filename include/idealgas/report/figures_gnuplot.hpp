// Draws Figures (figure.hpp) with gnuplot: per figure one script and one data file in a scratch folder, one
// gnuplot process (pngcairo and svg terminals), its exit status and stderr checked. Nothing is written outside
// the scratch folder; the images come back in memory so that the caller can write them atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "idealgas/report/figure.hpp"

namespace idealgas::report {

enum class ImageFormat { png, svg };

/// "png", "svg".
const char* image_format_extension(ImageFormat format);

/// Parses a comma-separated list such as "png,svg" (each at most once, at least one). Throws InputError
/// naming `flag` and the value as written.
std::vector<ImageFormat> parse_image_formats(const std::string& list, const std::string& flag);

/// The gnuplot text for one figure: `data` holds one block per series and heat map (gnuplot "index" k),
/// `script` draws the figure into each of `outputs` (paths as gnuplot will see them).
struct GnuplotJob {
  std::string script;
  std::string data;
};
struct GnuplotOutput {
  ImageFormat format;
  std::filesystem::path file;
};
GnuplotJob gnuplot_job(const Figure& figure, const std::filesystem::path& data_file,
                       const std::vector<GnuplotOutput>& outputs);

struct RenderedImage {
  std::string file_name;  // "<figure name>.<ext>"
  ImageFormat format;
  std::string bytes;      // the image file's contents
};

/// Draws every figure in every format. Throws IoError if gnuplot is missing, fails, times out or writes
/// anything on stderr (a warning means a figure is not what was asked for), naming the figure and gnuplot's
/// message.
std::vector<RenderedImage> render_figures(const std::vector<Figure>& figures, const std::vector<ImageFormat>& formats);

}  // namespace idealgas::report
