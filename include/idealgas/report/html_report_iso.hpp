// The report of an isotropic-noise run folder (`idealgas report DIR`, and the last step of
// `idealgas reproduce iso`): DIR/figures/<name>.{png,svg} and one self-contained page DIR/report.html with the
// figures inlined, the check tables (the paper's values beside ours), and the config, command and versions
// that produced the run. The folder is read and every figure drawn before anything is written; each file is
// written atomically, the page last.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "idealgas/report/figures_gnuplot.hpp"
#include "idealgas/report/figures_iso.hpp"
#include "idealgas/report/iso_run_folder.hpp"

namespace idealgas::report {

struct ReportOptions {
  std::vector<ImageFormat> formats = {ImageFormat::png, ImageFormat::svg};
  std::string command;  // the command that drew the report, shown on the page; empty: "idealgas report DIR"
};

struct ReportSummary {
  std::filesystem::path page;                      // DIR/report.html
  std::vector<std::filesystem::path> image_files;  // DIR/figures/...
  int n_figures = 0;
  std::vector<std::string> notes;  // what the folder lacks and what was not drawn
  double seconds = 0.0;            // wall time
};

/// Folder name of the image files, relative to the run folder.
inline constexpr const char* kFiguresFolder = "figures";
/// File name of the page in the run folder.
inline constexpr const char* kReportPage = "report.html";

ReportSummary write_iso_report(const std::filesystem::path& dir, const ReportOptions& options);

/// The page's HTML (write_iso_report's content, for tests).
std::string iso_report_html(const IsoRunFolder& run, const IsoFigures& figures, const std::vector<RenderedImage>& images,
                            const ReportOptions& options);

/// TOML text of a flat JSON config (run.json's "config"), readable by `reproduce iso --config`.
std::string config_toml(const nlohmann::json& config);

/// Opens `page` in headless Chromium and returns the page's own image check ("ok N"). Throws IoError if
/// Chromium is missing, fails or times out, if the check did not run, or if an image does not decode.
std::string check_page_in_browser(const std::filesystem::path& page);

}  // namespace idealgas::report
