// idealgas report DIR: figures (gnuplot, PNG and SVG) and one self-contained HTML page for a run folder of
// `idealgas reproduce iso`; --open-check then loads the page in headless Chromium and checks every image.
#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "idealgas/report/html_report_iso.hpp"

namespace idealgas::cli {

namespace {

struct ReportCliOptions {
  std::string dir;
  std::string formats = "png,svg";
  bool open_check = false;
};

void run_report(const ReportCliOptions& o) {
  report::ReportOptions options;
  options.formats = report::parse_image_formats(o.formats, "--format");
  options.command = fmt::format("idealgas report {} --format {}{}", o.dir, o.formats, o.open_check ? " --open-check" : "");
  const report::ReportSummary s = report::write_iso_report(o.dir, options);
  for (const std::string& note : s.notes) std::fprintf(stderr, "report: note: %s\n", note.c_str());
  std::printf("report: %d figures (%zu files under %s/%s), %s, %.1f s\n", s.n_figures, s.image_files.size(),
              o.dir.c_str(), report::kFiguresFolder, s.page.c_str(), s.seconds);
  if (o.open_check)
    std::printf("report: chromium loaded the page, images: %s\n", report::check_page_in_browser(s.page).c_str());
}

}  // namespace

void setup_report(CLI::App& app) {
  auto opts = std::make_shared<ReportCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Figures (gnuplot) and a self-contained HTML page, DIR/report.html, for a reproduce-iso run folder");
  cmd->add_option("DIR", opts->dir, "Run folder written by idealgas reproduce iso")->required();
  cmd->add_option("--format", opts->formats, "Image files to write: png, svg or png,svg")->capture_default_str();
  cmd->add_flag("--open-check", opts->open_check,
                "Load the page in headless Chromium and fail unless every figure decodes");
  cmd->callback([opts] { run_report(*opts); });
}

}  // namespace idealgas::cli
