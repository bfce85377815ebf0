// The report of a sweep folder (`idealgas report DIR` when DIR holds grid.toml): the analysis of every grid
// (sweep/folder_analysis.hpp, written as DIR/analysis.json), its figures (report/figures_sweep.hpp: the paper's
// Fig. 2 panels, Fig. 13, the Z map, App. I's learning curves from the runs' trace.csv) drawn with gnuplot into
// DIR/figures/, and one self-contained page DIR/report.html with the check tables (Table 4 with the paper's values
// where the grid names its paper setup), the configurations without a result and why, and the grid config, command
// and versions that produced it. Everything is read and drawn before anything is written; the page is written last.
#pragma once

#include <filesystem>

#include "idealgas/report/html_report_iso.hpp"
#include "idealgas/sweep/job_kind.hpp"

namespace idealgas {

report::ReportSummary write_sweep_report(const std::filesystem::path& dir, const report::ReportOptions& options,
                                         const JobKinds& kinds);

}  // namespace idealgas
