#include "idealgas/report/html_report_iso.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/report/external_program.hpp"
#include "idealgas/report/html_report.hpp"

namespace idealgas::report {

namespace fs = std::filesystem;

namespace {

// The paper's entropy slopes over its 17 x 17 grids at d = 3 (docs/paper-setup.md §1), divided by R = 1.
struct PaperSlope {
  Protocol protocol;
  const char* key;  // key in DIR/checks.json
  double value, se;
};
constexpr PaperSlope kPaperSlopes[] = {
    {Protocol::fixed_lr, "dS_dlog_eta", 1.0139, 0.0090},
    {Protocol::fixed_lr, "dS_dlog_lambda", 0.0131, 0.0071},
    {Protocol::fixed_elr, "dS_dlog_lambda", -0.9989, 0.0052},
};
// The paper's isotropic setup (docs/paper-setup.md §1): its numbers compare directly only at this size.
constexpr long long kPaperD = 3;
constexpr long long kPaperIterations = 2'000'000;
constexpr int kPaperGrid = 17;
// Chromium loads a page of inlined images in well under a second; this bounds a hang.
constexpr double kBrowserTimeoutSeconds = 120.0;
// Virtual time Chromium gives the page to fire its load event before the DOM is dumped.
constexpr int kBrowserVirtualTimeMs = 10000;

const char* protocol_title(Protocol p) {
  switch (p) {
    case Protocol::fixed_lr: return "fixed LR";
    case Protocol::fixed_elr: return "fixed ELR";
    case Protocol::fixed_sphere: return "sphere";
  }
  return "?";
}

// Fields of run.json and checks.json are read by name and type: a missing or mistyped one shows as a dash
// (or the fallback) instead of stopping the report.
double number_or_nan(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return kNaN;
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : kNaN;
}

std::string string_or(const nlohmann::json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool bool_or(const nlohmann::json& j, const char* key, bool fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

long long integer_or(const nlohmann::json& j, const char* key, long long fallback) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return buf;
}

// ------------------------------------------------------------------------------------------------------
// Check tables.

bool is_estimate(const nlohmann::json& j) { return j.is_object() && (j.contains("value") || j.contains("over_R")); }

/// One row per number of a headline object, read by name so that keys added later still show: an object
/// with "value" (or "over_R", shown over R) is one "v ± se" row with its target, a key with a sibling
/// "<key>_se" is shown with it, nested objects are flattened with " / ".
void flatten_checks(const nlohmann::json& j, const std::string& path, std::vector<std::vector<std::string>>& rows) {
  if (is_estimate(j)) {
    const bool over_r = j.contains("over_R");
    const double value = number_or_nan(j, over_r ? "over_R" : "value");
    const double se = number_or_nan(j, over_r ? "over_R_se" : "se");
    const double target = number_or_nan(j, over_r ? "target_over_R" : "target");
    rows.push_back({path + (over_r ? " (÷ R)" : ""), format_value_se(value, se), format_value(target)});
    static const std::set<std::string> shown = {"value", "se", "target", "over_R", "over_R_se", "target_over_R"};
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!shown.count(it.key())) flatten_checks(it.value(), path + " / " + it.key(), rows);
    return;
  }
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const std::string child = path.empty() ? key : path + " / " + key;
      if (key.size() > 3 && key.compare(key.size() - 3, 3, "_se") == 0 && j.contains(key.substr(0, key.size() - 3)) &&
          j.at(key.substr(0, key.size() - 3)).is_number())
        continue;  // shown beside its value
      if (it->is_number() && j.contains(key + "_se") && j.at(key + "_se").is_number()) {
        rows.push_back({child, format_value_se(it->get<double>(), j.at(key + "_se").get<double>()), ""});
        continue;
      }
      flatten_checks(it.value(), child, rows);
    }
    return;
  }
  rows.push_back({path, j.is_array() ? j.dump() : format_json_scalar(j), ""});
}

std::string paper_comparison(const IsoRunFolder& run) {
  HtmlTable t;
  t.caption = "Entropy slopes over the grid (V3), divided by R = (d−1)/2: the paper's values beside this run's";
  t.header = {"protocol", "slope", "target", "paper (docs/paper-setup.md §1)", "this run", "(run − target)/SE",
              "(run − paper)/SE"};
  t.numeric_columns = {false, false, true, true, true, true, true};
  for (const IsoProtocolRun& p : run.protocols) {
    const nlohmann::json* headline = nullptr;
    if (run.headline.is_object() && run.headline.contains(protocol_name(p.protocol)))
      headline = &run.headline.at(protocol_name(p.protocol));
    if (headline == nullptr || !headline->is_object()) continue;
    for (auto it = headline->begin(); it != headline->end(); ++it) {
      if (it.key().rfind("dS_dlog_", 0) != 0 || !is_estimate(it.value())) continue;
      const double v = number_or_nan(*it, "over_R"), se = number_or_nan(*it, "over_R_se");
      const double target = number_or_nan(*it, "target_over_R");
      std::string paper = "—", vs_paper = "—";
      for (const PaperSlope& ps : kPaperSlopes)
        if (ps.protocol == p.protocol && it.key() == ps.key) {
          paper = format_value_se(ps.value, ps.se);
          vs_paper = format_value((v - ps.value) / std::hypot(se, ps.se));
        }
      t.rows.push_back({protocol_title(p.protocol), it.key(), format_value(target), paper, format_value_se(v, se),
                        format_value((v - target) / se), vs_paper});
    }
  }
  if (t.rows.empty()) return "<p>No headline checks (checks.json is absent).</p>\n";
  std::string out = html_table(t);
  const nlohmann::json& config = run.run.at("config");
  const long long iterations = integer_or(config, "iterations", 0);
  const long long grid = integer_or(config, "grid", 0);
  if (run.d != kPaperD || iterations != kPaperIterations || grid != kPaperGrid)
    out += fmt::format(
        "<p class=\"notes\">This run (d = {}, {} × {} grid, {} iterations) is not at the paper's size (d = 3, 17 × 17, "
        "2,000,000 iterations): its slopes carry larger errors and the comparison with the paper is indicative.</p>\n",
        run.d, grid, grid, iterations);
  return out;
}

std::string headline_table(const IsoRunFolder& run, const IsoProtocolRun& p) {
  if (!run.headline.is_object() || !run.headline.contains(protocol_name(p.protocol))) return "";
  HtmlTable t;
  t.caption = fmt::format("Headline checks, {} (DIR/checks.json; keys: docs/outputs.md)", protocol_title(p.protocol));
  t.header = {"check", "value", "target"};
  t.numeric_columns = {false, true, true};
  flatten_checks(run.headline.at(protocol_name(p.protocol)), "", t.rows);
  return html_table(t);
}

std::string axis_values(const IsoProtocolRun& p, int i, int j) {
  const GridTable& t = p.summary.table;
  if (i < 0 || j < 0 || i >= t.n_first || j >= t.n_second) return "—";
  const StationaryRow& r = t.at(i, j);
  const bool sphere = p.protocol == Protocol::fixed_sphere;
  return fmt::format("{} = {:.3g}, {} = {:.3g}", sphere || p.protocol == Protocol::fixed_elr ? "η_eff" : "η", r.eta,
                     sphere ? "r" : "λ", sphere ? r.radius : r.lambda);
}

/// A grid index from checks.json, or -1 if absent or not an index.
int index_or_none(const nlohmann::json& j, const char* key) {
  const long long v = integer_or(j, key, -1);
  return v >= 0 && v <= std::numeric_limits<int>::max() ? static_cast<int>(v) : -1;
}

std::string v1_table(const IsoProtocolRun& p) {
  if (!p.checks.is_object() || !p.checks.contains("v1") || !p.checks.at("v1").is_object()) return "";
  const nlohmann::json& v1 = p.checks.at("v1");
  HtmlTable t;
  t.caption = fmt::format("V1, {}: measured {} against its predictions (SDE regime: {})", protocol_title(p.protocol),
                          string_or(v1, "quantity", "?"), string_or(v1, "regime_rule", "?"));
  t.header = {"prediction, rows", "rows", "max |relative error|", "signed, ± SE", "where"};
  t.numeric_columns = {false, true, true, true, false};
  const std::pair<const char*, const char*> subsets[] = {{"sde_in_regime", "SDE, SDE regime"},
                                                         {"discrete_in_regime", "discrete-time, SDE regime"},
                                                         {"sde_all", "SDE, whole grid"},
                                                         {"discrete_all", "discrete-time, whole grid"}};
  for (const auto& [key, label] : subsets) {
    if (!v1.contains(key) || !v1.at(key).is_object()) continue;
    const nlohmann::json& s = v1.at(key);
    t.rows.push_back({label, format_json_scalar(s.contains("n_rows") ? s.at("n_rows") : nlohmann::json()),
                      format_value(number_or_nan(s, "max_abs_rel_err")),
                      format_value_se(number_or_nan(s, "rel_err"), number_or_nan(s, "rel_err_se")),
                      axis_values(p, index_or_none(s, "i"), index_or_none(s, "j"))});
  }
  return t.rows.empty() ? "" : html_table(t);
}

std::string v2_table(const IsoProtocolRun& p) {
  if (!p.checks.is_object() || !p.checks.contains("v2") || !p.checks.at("v2").is_object()) return "";
  const nlohmann::json& v2 = p.checks.at("v2");
  if (!v2.contains("paper") || !v2.at("paper").is_array()) return "";
  HtmlTable t;
  t.caption = fmt::format("V2, {}: the heat-map references, {} minimised at the reference?", protocol_title(p.protocol),
                          string_or(v2, "potential", "the potential"));
  t.header = {"reference", "argmin", "result", "(best other − reference) / T_ref (> 0: exact)",
              "(best non-neighbour − reference) / T_ref (> 0: pass)"};
  t.numeric_columns = {false, false, false, true, true};
  for (const nlohmann::json& r : v2.at("paper")) {
    if (!r.is_object()) continue;
    const bool exact = bool_or(r, "exact", false), pass = bool_or(r, "pass", false);
    const std::string result =
        !bool_or(r, "evaluable", true) ? "not evaluable" : exact ? "exact" : pass ? "neighbour" : "FAIL";
    t.rows.push_back({axis_values(p, index_or_none(r, "i"), index_or_none(r, "j")),
                      axis_values(p, index_or_none(r, "argmin_i"), index_or_none(r, "argmin_j")), result,
                      format_value_se(number_or_nan(r, "exact_gap_over_T"), number_or_nan(r, "exact_gap_over_T_se")),
                      format_value_se(number_or_nan(r, "gap_over_T"), number_or_nan(r, "gap_over_T_se"))});
  }
  return t.rows.empty() ? "" : html_table(t);
}

// ------------------------------------------------------------------------------------------------------
// Run record.

std::string run_section(const IsoRunFolder& run, const ReportOptions& options) {
  std::string out = "<h2 id=\"run\">How this run was made</h2>\n";
  out += "<p>Report drawn by <code>" + html_escape(options.command) + "</code> on " + html_escape(now_utc()) +
         ".</p>\n";
  const std::string started = string_or(run.run, "started", "?");
  const std::string first = string_or(run.run, "first_started", started);
  out += "<p>Run: <code>idealgas " + html_escape(string_or(run.run, "job", "?")) + "</code>, started " +
         html_escape(first) + (first != started ? ", last resumed " + html_escape(started) : std::string()) +
         ". Its effective configuration (every setting, defaults included) reruns it exactly: save it as "
         "<code>run.toml</code> and run <code>idealgas reproduce iso --config run.toml --out NEW_DIR</code>.</p>\n";
  out += "<pre>" + html_escape(config_toml(run.run.at("config"))) + "</pre>\n";
  HtmlTable build;
  build.caption = "Build and machine (run.json \"build\")";
  build.header = {"item", "value"};
  if (run.run.contains("build")) flatten_checks(run.run.at("build"), "", build.rows);
  for (auto& row : build.rows) row.pop_back();  // no target column
  if (!build.rows.empty()) out += html_table(build);
  return out;
}

}  // namespace

std::string config_toml(const nlohmann::json& config) {
  return "# effective configuration of the run (run.json \"config\")\n" + json_to_toml_text(config);
}

std::string iso_report_html(const IsoRunFolder& run, const IsoFigures& figures, const std::vector<RenderedImage>& images,
                            const ReportOptions& options) {
  std::string body = "<h1>Ideal-gas reproduction, isotropic-noise model</h1>\n";
  body += fmt::format(
      "<p class=\"meta\">Run folder <code>{}</code> · d = {}, σ² = {} · {} · git {}</p>\n",
      html_escape(run.dir.string()), run.d, format_value(run.sigma2),
      html_escape(string_or(run.run, "started", "")),
      html_escape(string_or(run.run.contains("build") ? run.run.at("build") : nlohmann::json(), "git_revision", "?")));
  body += "<p class=\"toc\">";
  for (const IsoProtocolRun& p : run.protocols)
    body += fmt::format("<a href=\"#{}\">{}</a>", protocol_name(p.protocol), protocol_title(p.protocol));
  body += "<a href=\"#run\">how this run was made</a></p>\n";
  std::vector<std::string> notes = run.notes;
  notes.insert(notes.end(), figures.notes.begin(), figures.notes.end());
  if (!notes.empty()) {
    body += "<div class=\"notes\"><strong>Notes</strong><ul>\n";
    for (const std::string& n : notes) body += "<li>" + html_escape(n) + "</li>\n";
    body += "</ul></div>\n";
  }
  body += "<h2>The paper's numbers beside this run's</h2>\n" + paper_comparison(run);

  for (const IsoProtocolRun& p : run.protocols) {
    const std::string heading = iso_section_heading(p.protocol);
    body += fmt::format("<h2 id=\"{}\">{}</h2>\n", protocol_name(p.protocol), html_escape(heading));
    body += headline_table(run, p) + v1_table(p) + v2_table(p);
    for (const Figure& f : figures.figures)
      if (f.section == heading) body += html_figure(f, images, kFiguresFolder);
  }
  body += run_section(run, options);
  return html_page("idealgas report: " + run.dir.filename().string(), body);
}

ReportSummary write_iso_report(const fs::path& dir, const ReportOptions& options_in) {
  const auto start = std::chrono::steady_clock::now();
  ReportOptions options = options_in;
  if (options.command.empty()) options.command = "idealgas report " + dir.string();
  if (options.formats.empty()) throw InputError("report: at least one image format (png or svg) is needed");
  // Read and draw everything first: a bad folder or a failing gnuplot leaves nothing behind.
  const IsoRunFolder run = load_iso_run_folder(dir);
  const IsoFigures figures = iso_figures(run);
  const std::vector<RenderedImage> images = render_figures(figures.figures, options.formats);
  const std::string page = iso_report_html(run, figures, images, options);

  ReportSummary summary;
  for (const RenderedImage& im : images) {
    const fs::path file = dir / kFiguresFolder / im.file_name;
    write_file_atomically(file, im.bytes);
    summary.image_files.push_back(file);
  }
  summary.page = dir / kReportPage;
  write_file_atomically(summary.page, page);
  summary.n_figures = static_cast<int>(figures.figures.size());
  summary.notes = run.notes;
  summary.notes.insert(summary.notes.end(), figures.notes.begin(), figures.notes.end());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

std::string check_page_in_browser(const fs::path& page) {
  ScratchDir scratch("idealgas-chromium");
  const fs::path profile = scratch.path() / "profile";
  fs::create_directories(profile);
  const std::string url = "file://" + fs::absolute(page).string();
  const ProgramResult r = run_program(
      {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + profile.string(), fmt::format("--virtual-time-budget={}", kBrowserVirtualTimeMs),
       "--dump-dom", url},
      scratch.path(), kBrowserTimeoutSeconds, "Debian: apt-get install chromium; see scripts/setup.sh");
  if (r.timed_out) throw IoError(fmt::format("chromium did not load {} within {} s", page.string(), kBrowserTimeoutSeconds));
  if (r.exit_code != 0)
    throw IoError(fmt::format("chromium failed on {} (exit status {}): {}", page.string(), r.exit_code,
                              last_line(r.stderr_text)));
  const std::string check = image_check_attribute(r.stdout_text);
  if (check.empty())
    throw IoError(fmt::format("chromium loaded {} but the page's image check did not run (no data-image-check)",
                              page.string()));
  if (check.rfind("ok ", 0) != 0)
    throw IoError(fmt::format("{}: images do not decode in chromium: {}", page.string(), check));
  return check;
}

}  // namespace idealgas::report
