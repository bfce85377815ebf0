#include "idealgas/sweep/sweep_report.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/report/csv_records.hpp"
#include "idealgas/report/figures_sweep.hpp"
#include "idealgas/report/html_report.hpp"
#include "idealgas/run/run_record.hpp"
#include "idealgas/sweep/folder_analysis.hpp"

namespace idealgas {

namespace fs = std::filesystem;
using report::Figure;
using report::HtmlTable;
using report::html_escape;
using report::format_value;
using report::format_value_se;

namespace {

// A run's time series at its log points (`idealgas train` writes it; docs/train.md).
constexpr const char* kTraceFile = "trace.csv";

double number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : kNaN;
}

std::string text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

const char* protocol_title(Protocol p) {
  switch (p) {
    case Protocol::fixed_lr: return "fixed learning rate";
    case Protocol::fixed_elr: return "fixed effective learning rate";
    case Protocol::fixed_sphere: return "fixed sphere";
  }
  return "?";
}

std::string grid_title(const AssembledGrid& g) {
  return fmt::format("{} grid{}", protocol_title(g.table.protocol), g.group.empty() ? "" : " (" + g.group + ")");
}

/// Numeric columns of a CSV by name (a field that is not a number is NaN).
std::map<std::string, std::vector<double>> numeric_columns(const fs::path& file) {
  const std::vector<CsvRecord> records = split_csv(read_file(file, kMaxTableBytes), file.string());
  std::map<std::string, std::vector<double>> out;
  if (records.empty()) return out;
  const std::vector<std::string>& header = records.front().fields;
  for (std::size_t r = 1; r < records.size(); ++r)
    for (std::size_t c = 0; c < header.size(); ++c) {
      double v = kNaN;
      if (c < records[r].fields.size()) {
        const std::string& f = records[r].fields[c];
        char* end = nullptr;
        const double parsed = std::strtod(f.c_str(), &end);
        if (!f.empty() && end == f.c_str() + f.size()) v = parsed;
      }
      out[header[c]].push_back(v);
    }
  return out;
}

/// App. I's curves of one grid: the configurations along its first hyperparameter at the middle value of the second
/// (replica 0), from each run's trace.csv; empty where the runs keep no time series (isotropic jobs).
std::vector<report::LearningCurve> learning_curves(const FolderAnalysis& a, const AssembledGrid& g,
                                                   std::vector<std::string>& notes) {
  std::vector<report::LearningCurve> out;
  if (!a.sweep) return out;
  const GridTable& t = g.table;
  const bool sphere = t.protocol == Protocol::fixed_sphere;
  const StationaryRow& middle = t.at(0, t.n_second / 2);
  const double second = sphere ? middle.radius : middle.lambda;
  for (const SweepRow& r : a.sweep->rows) {
    if (!r.summary || r.configuration.replica != 0 || r.summary->protocol.kind != t.protocol) continue;
    if (r.summary->protocol.second() != second) continue;
    // The group of this row (as the analysis formed it) must be the grid's.
    const fs::path trace = run_folder(a.dir, r.configuration.id) / kTraceFile;
    if (!fs::exists(trace)) continue;
    std::map<std::string, std::vector<double>> columns;
    try {
      columns = numeric_columns(trace);
    } catch (const Error& e) {
      notes.push_back(fmt::format("learning curve of {} not drawn: {}", r.configuration.label, e.what()));
      continue;
    }
    report::LearningCurve c;
    c.label = r.configuration.label;
    c.colour_value = r.summary->protocol.first();
    c.iteration = columns["iteration"];
    c.loss = columns["train_loss"];
    c.radius = columns["radius"];
    c.tr_sigma = columns.count("tr_sigma_steps") ? columns["tr_sigma_steps"] : columns["tr_sigma_fresh"];
    c.grad_norm_sq = columns["grad_norm_sq_unit"];
    if (c.iteration.empty()) continue;
    out.push_back(std::move(c));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------ tables

std::string table4_table(const nlohmann::json& t4) {
  if (!text(t4, "error").empty()) return "<p>V3 (Table 4): not evaluated: " + html_escape(text(t4, "error")) + "</p>\n";
  HtmlTable t;
  t.caption = fmt::format("V3 as the paper's Table 4: quadratic fit of S in the log-hyperparameters (Eq. 30); SE from "
                          "the fit and from {} bootstrap resamples of the {} ({} could be fitted)",
                          t4["n_bootstrap"].get<int>(), text(t4, "resampling"), t4["n_used"].get<int>());
  t.header = {"quantity", "measured ± fit SE", "bootstrap SE", "theory", "paper (Table 4)"};
  t.numeric_columns = {false, true, true, true, true};
  for (const nlohmann::json& v : t4["values"])
    t.rows.push_back({text(v, "name"), format_value_se(number(v, "value"), number(v, "ols_se")),
                      format_value(number(v, "bootstrap_se")), format_value(number(v, "target")),
                      format_value(number(v, "paper"))});
  return report::html_table(t);
}

std::string checks_table(const nlohmann::json& g) {
  HtmlTable t;
  t.caption = "The grid's checks (analysis.json; values ± SE)";
  t.header = {"check", "value", "what it says"};
  t.numeric_columns = {false, true, false};
  const nlohmann::json& s = g["sigma2_collapse"];
  if (s.value("constant", false)) {
    t.rows.push_back({"σ² collapse", format_value(number(s, "sigma2_min")), "σ² is the model's constant: exact"});
  } else if (!text(s, "error").empty()) {
    t.rows.push_back({"σ² collapse", "—", "not tested: " + text(s, "error")});
  } else {
    t.rows.push_back({"σ² collapse: slope along " + text(s, "other_variable"),
                      format_value_se(number(s, "other_slope"), number(s, "other_slope_se")),
                      fmt::format("0 if σ² depends on {} only; {:.2g} SE from 0; residual sd of log σ² about the "
                                  "curve {:.3g}",
                                  text(s, "variable"), number(s, "other_slope_z"), number(s, "residual_sd"))});
  }
  t.rows.push_back({"temperature T", fmt::format("{} – {}", format_value(number(g["temperature"], "min")),
                                                 format_value(number(g["temperature"], "max"))),
                    "range over the grid (measured σ²)"});
  const nlohmann::json& v1 = g["v1"];
  if (v1.contains("error")) {
    t.rows.push_back({"V1", "—", "not evaluated: " + text(v1, "error")});
  } else {
    if (v1.contains("meaning")) t.rows.push_back({"V1 meaning", "—", text(v1, "meaning")});
    t.rows.push_back({"V1 " + text(v1, "quantity") + " vs SDE, in its regime",
                      format_value_se(number(v1["sde_in_regime"], "max_abs_rel_err"), number(v1["sde_in_regime"], "rel_err_se")),
                      "largest |measured/prediction − 1| where " + text(v1, "regime_rule")});
    t.rows.push_back({"V1 " + text(v1, "quantity") + " vs discrete time",
                      format_value_se(number(v1["discrete_all"], "max_abs_rel_err"), number(v1["discrete_all"], "rel_err_se")),
                      "largest |measured/prediction − 1| over the grid (App. H)"});
  }
  const nlohmann::json& v2 = g["v2"];
  if (v2.contains("applicable"))
    t.rows.push_back({"V2 potential minimum", "not testable", text(v2, "reason")});
  else if (!v2.contains("error"))
    t.rows.push_back({"V2 potential minimum", fmt::format("{:.0f} %", 100 * number(v2["all_summary"], "pass_rate")),
                      fmt::format("references whose potential is least at themselves or a neighbour ({:.0f} % exactly)",
                                  100 * number(v2["all_summary"], "exact_rate"))});
  const nlohmann::json& v4 = g["v4"];
  if (v4.contains("applicable") && v4.contains("reason"))
    t.rows.push_back({"V4 adiabat", "not testable", text(v4, "reason")});
  else if (v4.contains("summary"))
    t.rows.push_back({"V4 adiabat", format_value_se(number(v4["summary"], "max_abs_slope_over_R"),
                                                    number(v4["summary"], "slope_over_R_se")),
                      "largest |dS/dlog λ|/R along η = const (0 on the adiabat)"});
  const nlohmann::json& z = g["compressibility"];
  t.rows.push_back({"Z = PV/(RT)", fmt::format("mean {}", format_value(number(z, "mean"))),
                    fmt::format("largest |Z − 1| {}, largest |Z − 1|/SE {}",
                                format_value_se(number(z, "max_abs_Z_minus_1"), number(z, "at_max_Z_se")),
                                format_value(number(z, "max_abs_Z_minus_1_over_se")))});
  t.rows.push_back({"Z: verdict", "—", text(z, "verdict")});
  for (const nlohmann::json& c : g["replica_calibration"])
    if (c["n_points"].get<int>() > 0)
      t.rows.push_back({"replica spread / SE: " + text(c, "quantity"), format_value(number(c, "sd_over_se")),
                        fmt::format("~1 when the reported SEs are honest ({} points)", c["n_points"].get<int>())});
  return report::html_table(t);
}

std::string without_result_table(const SweepTable& s) {
  HtmlTable t;
  t.caption = "Configurations without a result (sweep.json; a rerun of the sweep retries the failed ones)";
  t.header = {"#", "id", "configuration", "state", "reason"};
  for (const SweepRow& r : s.rows)
    if (r.status.state != RunState::done)
      t.rows.push_back({std::to_string(r.configuration.index), r.configuration.id, r.configuration.label,
                        run_state_name(r.status.state), r.status.reason});
  return t.rows.empty() ? "" : report::html_table(t);
}

std::string run_section(const FolderAnalysis& a, const report::ReportOptions& options) {
  std::string out = "<h2 id=\"run\">How this sweep was made</h2>\n";
  out += "<p>Report drawn by <code>" + html_escape(options.command) + "</code> on " + html_escape(utc_now_iso8601()) +
         ". Each configuration ran as its own process into <code>runs/&lt;id&gt;/</code> (its <code>config.toml</code> "
         "reruns it alone); the grid config below reruns the sweep: <code>idealgas sweep grid.toml --out DIR</code>.</p>\n";
  out += "<pre>" + html_escape(a.sweep->grid.text) + "</pre>\n";
  // The build that ran the first finished configuration.
  for (const SweepRow& r : a.sweep->rows) {
    if (!r.summary) continue;
    const fs::path dir = run_folder(a.dir, r.configuration.id);
    for (const char* record : {"run.json", "meta.json"}) {
      if (!fs::exists(dir / record)) continue;
      const nlohmann::json j = nlohmann::json::parse(read_file(dir / record), nullptr, false);
      if (!j.is_object() || !j.contains("build") || !j["build"].is_object()) continue;
      HtmlTable build;
      build.caption = fmt::format("Build and machine (runs/{}/{} \"build\")", r.configuration.id, record);
      build.header = {"item", "value"};
      for (auto it = j["build"].begin(); it != j["build"].end(); ++it)
        build.rows.push_back({it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump()});
      return out + report::html_table(build);
    }
  }
  return out;
}

}  // namespace

report::ReportSummary write_sweep_report(const fs::path& dir, const report::ReportOptions& options_in,
                                         const JobKinds& kinds) {
  const auto start = std::chrono::steady_clock::now();
  report::ReportOptions options = options_in;
  if (options.command.empty()) options.command = "idealgas report " + dir.string();
  if (options.formats.empty()) throw InputError("report: at least one image format (png or svg) is needed");
  // Read, analyse and draw everything first: a bad folder or a failing gnuplot leaves nothing behind.
  FolderAnalysis a = analyse_folder(dir, {}, kinds);
  if (!a.sweep) throw InputError(fmt::format("{} is not a sweep folder", dir.string()));
  std::vector<Figure> figures;
  std::vector<std::string> notes;
  std::vector<std::string> sections;
  for (std::size_t k = 0; k < a.grids.size(); ++k) {
    const AssembledGrid& g = a.grids[k];
    const std::string stem = report::figure_stem(grid_file_stem(g));
    sections.push_back(grid_title(g));
    for (Figure& f : report::sweep_grid_figures(g, stem, sections.back())) figures.push_back(std::move(f));
    const std::vector<report::LearningCurve> curves = learning_curves(a, g, notes);
    if (!curves.empty())
      figures.push_back(report::learning_curves_figure(
          curves, g.table.protocol == Protocol::fixed_lr ? "learning rate η" : "effective learning rate η_{eff}", stem,
          sections.back()));
    else
      notes.push_back(fmt::format("{}: no learning curves (its runs keep no trace.csv: isotropic jobs log no time "
                                  "series)",
                                  grid_title(g)));
  }
  const std::vector<report::RenderedImage> images = report::render_figures(figures, options.formats);

  const SweepCounts& n = a.sweep->counts;
  std::string body = "<h1>Sweep report: " + html_escape(a.sweep->grid.description.empty() ? dir.filename().string()
                                                                                            : a.sweep->grid.description) +
                     "</h1>\n";
  body += fmt::format("<p class=\"meta\">Sweep folder <code>{}</code> · kind {} · {} configurations: {} done, {} "
                      "diverged, {} failed, {} running, {} pending</p>\n",
                      html_escape(dir.string()), html_escape(a.sweep->grid.kind), a.sweep->rows.size(), n.done,
                      n.diverged, n.failed, n.running, n.pending);
  body += "<p class=\"toc\">";
  for (std::size_t k = 0; k < a.grids.size(); ++k) body += fmt::format("<a href=\"#grid{}\">{}</a>", k, html_escape(sections[k]));
  body += "<a href=\"#run\">how this sweep was made</a></p>\n";
  if (!notes.empty()) {
    body += "<div class=\"notes\"><strong>Notes</strong><ul>\n";
    for (const std::string& note : notes) body += "<li>" + html_escape(note) + "</li>\n";
    body += "</ul></div>\n";
  }
  body += without_result_table(*a.sweep);
  for (std::size_t k = 0; k < a.grids.size(); ++k) {
    const nlohmann::json& g = a.json["grids"][k];
    body += fmt::format("<h2 id=\"grid{}\">{}</h2>\n", k, html_escape(sections[k]));
    body += fmt::format("<p>{} × {} grid points, d = {}, at most {} replica(s) per point; {} point(s) without a result. "
                        "Grid table: <code>{}</code>.</p>\n",
                        g["n_first"].get<int>(), g["n_second"].get<int>(), g["d"].get<long long>(),
                        g["max_replicas"].get<long long>(), g["points_without_result"].size(),
                        html_escape(text(g, "table_file")));
    body += checks_table(g) + table4_table(g["table4"]);
    for (const Figure& f : figures)
      if (f.section == sections[k]) body += report::html_figure(f, images, report::kFiguresFolder);
  }
  body += run_section(a, options);
  const std::string page = report::html_page("idealgas sweep report: " + dir.filename().string(), body);

  write_folder_analysis(a);
  report::ReportSummary summary;
  for (const report::RenderedImage& im : images) {
    const fs::path file = dir / report::kFiguresFolder / im.file_name;
    write_file_atomically(file, im.bytes);
    summary.image_files.push_back(file);
  }
  summary.page = dir / report::kReportPage;
  write_file_atomically(summary.page, page);
  summary.n_figures = static_cast<int>(figures.size());
  summary.notes = notes;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace idealgas
