// `idealgas report DIR` as a user runs it, on a real 3 x 3 run folder made by `idealgas reproduce iso`: the page
// names no missing file and every inlined figure decodes to an image of its stated size; the optional and extra
// columns of summary.csv are handled by name; bad folders get one line, exit 2 and nothing written; the page
// loads in headless Chromium with every image decoded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "idealgas/report/html_report.hpp"
#include "support/cli_folder_test.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;
using testing::cli_built;
using testing::run_cli;
using testing::slurp;

// Figures of a full three-protocol run: per protocol (a), (b), (c), (d), (e), Fig. 13 and the Z map.
constexpr int kFiguresPerProtocol = 7;
constexpr int kProtocols = 3;


void spit(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = value(c);
    if (v < 0) ADD_FAILURE() << "not base64: '" << c << "'";
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::uint32_t big_endian_u32(const std::string& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<unsigned char>(b[at + k]);
  return v;
}

struct InlinedImage {
  std::string mime, alt;
  int width_attribute = -1;
  std::string bytes;
};

/// Every <img ...> of the page with its data URI decoded.
std::vector<InlinedImage> inlined_images(const std::string& html) {
  std::vector<InlinedImage> out;
  for (std::size_t at = html.find("<img "); at != std::string::npos; at = html.find("<img ", at + 1)) {
    const std::string tag = html.substr(at, html.find('>', at) - at);
    auto attribute = [&](const std::string& name) {
      const std::size_t b = tag.find(" " + name + "=\"");
      if (b == std::string::npos) return std::string();
      const std::size_t s = b + name.size() + 3;
      return tag.substr(s, tag.find('"', s) - s);
    };
    InlinedImage im;
    im.alt = attribute("alt");
    const std::string src = attribute("src");
    const std::string w = attribute("width");
    im.width_attribute = w.empty() ? -1 : std::stoi(w);
    const std::size_t comma = src.find(";base64,");
    if (src.rfind("data:", 0) == 0 && comma != std::string::npos) {
      im.mime = src.substr(5, comma - 5);
      im.bytes = base64_decode(src.substr(comma + 8));
    }
    out.push_back(im);
  }
  return out;
}

class ReportCli : public ::testing::Test {
 protected:
  // One real run folder for the whole suite (a 3 x 3 grid of each protocol runs in seconds).
  static void SetUpTestSuite() {
    if (!cli_built()) return;
    root_ = fs::temp_directory_path() / ("idealgas_report_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    spit(root_ / "small.toml", "eta = [3e-2, 1e-1]\neta_eff = [3e-2, 1e-1]\nlambda = [3e-2, 1e-1]\n"
                               "radius = [0.5, 2.0]\nsnapshots = 200\nse_blocks = 4\nbatches = 4\n"
                               "window_relaxations = 20\n");
    const auto r = run_cli("reproduce iso --out '" + (root_ / "run").string() + "' --config '" +
                           (root_ / "small.toml").string() + "' --grid 3 --iters 20000 --quiet");
    made_ = r.exit_code == 0;
    made_output_ = r.output;
  }
  static void TearDownTestSuite() {
    if (!root_.empty()) fs::remove_all(root_);
  }
  void SetUp() override {
    if (!cli_built()) GTEST_SKIP() << "the idealgas program is not built";
    ASSERT_TRUE(made_) << "reproduce iso failed:\n" << made_output_;
  }

  /// A copy of the run folder without its report, for a test to change.
  fs::path fresh_copy(const std::string& name) const {
    const fs::path dst = root_ / name;
    fs::remove_all(dst);
    fs::copy(root_ / "run", dst, fs::copy_options::recursive);
    fs::remove_all(dst / "figures");
    fs::remove(dst / "report.html");
    return dst;
  }
  static std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }
  static bool wrote_nothing(const fs::path& dir) {
    return !fs::exists(dir / "report.html") && !fs::exists(dir / "figures");
  }

  static inline fs::path root_;
  static inline bool made_ = false;
  static inline std::string made_output_;
};

TEST_F(ReportCli, ThePageNamesNoMissingFileAndEveryInlinedFigureDecodes) {
  // reproduce iso ends by writing the report; `report` redraws it in a copy without one.
  EXPECT_TRUE(fs::exists(root_ / "run" / "report.html"));
  EXPECT_NE(made_output_.find("report: "), std::string::npos) << made_output_;
  const fs::path dir = fresh_copy("full");
  const auto r = run_cli("report " + quoted(dir));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(std::to_string(kFiguresPerProtocol * kProtocols) + " figures"), std::string::npos)
      << r.output;
  const std::string html = slurp(dir / "report.html");
  const std::vector<std::string> files = report::referenced_local_files(html);
  EXPECT_EQ(files.size(), 2u * kFiguresPerProtocol * kProtocols);  // a PNG and an SVG link per figure
  for (const std::string& f : files) EXPECT_TRUE(fs::is_regular_file(dir / f)) << "page names missing file " << f;
  const std::vector<InlinedImage> images = inlined_images(html);
  ASSERT_EQ(images.size(), static_cast<std::size_t>(kFiguresPerProtocol * kProtocols));
  for (const InlinedImage& im : images) {
    EXPECT_EQ(im.mime, "image/png") << im.alt;
    ASSERT_GT(im.bytes.size(), 24u) << im.alt;
    EXPECT_EQ(im.bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << im.alt;
    // The inlined image is the file on disk, at the width the page states (PNG IHDR: width at byte 16).
    EXPECT_EQ(static_cast<int>(big_endian_u32(im.bytes, 16)), im.width_attribute) << im.alt;
    EXPECT_EQ(im.bytes, slurp(dir / "figures" / (im.alt + ".png"))) << im.alt;
  }
  // The paper's figures, its reference slopes (docs/paper-setup.md §1) and the run record.
  for (const char* text : {"(paper Figure 1)", "(paper Figure 3)", "(paper Figure 4)", "Fig. 13 (fixed LR)",
                           "1.0139 ± 0.0090", "0.0131 ± 0.0071", "-0.9989 ± 0.0052", "grid = 3",
                           "idealgas reproduce iso --config run.toml", "git_revision"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
}

TEST_F(ReportCli, SvgOnlyInlinesSvgAndWritesNoPng) {
  const fs::path dir = fresh_copy("svg");
  const auto r = run_cli("report " + quoted(dir) + " --format svg");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int svgs = 0;
  for (const auto& e : fs::directory_iterator(dir / "figures")) {
    EXPECT_EQ(e.path().extension(), ".svg") << e.path();
    ++svgs;
  }
  EXPECT_EQ(svgs, kFiguresPerProtocol * kProtocols);
  for (const InlinedImage& im : inlined_images(slurp(dir / "report.html"))) {
    EXPECT_EQ(im.mime, "image/svg+xml") << im.alt;
    EXPECT_NE(im.bytes.find("<svg"), std::string::npos) << im.alt;
  }
}

TEST_F(ReportCli, BadFoldersGetOneLineExitTwoAndNothingWritten) {
  struct Case {
    std::string name;
    std::function<void(const fs::path&)> spoil;
    std::string args, must_mention;
  };
  const std::vector<Case> cases = {
      {"missing", [](const fs::path& d) { fs::remove_all(d); }, "", "does not exist"},
      {"empty", [](const fs::path& d) { fs::remove_all(d), fs::create_directories(d); }, "", "no run.json"},
      {"not_json", [](const fs::path& d) { spit(d / "run.json", "{ not json"); }, "", "run.json is not a JSON object"},
      {"other_job", [](const fs::path& d) { spit(d / "run.json", R"({"job": "sweep", "config": {}})"); }, "",
       "\"sweep\" run"},
      {"corrupt_csv",
       [](const fs::path& d) {
         std::string csv = slurp(d / "lr" / "summary.csv");
         const std::size_t line2 = csv.find('\n') + 1, line3 = csv.find('\n', line2) + 1;
         const std::size_t field = csv.find(",0.03,", line2);  // eta of row (0, 0)
         ASSERT_LT(field, line3);
         csv.replace(field + 1, 4, "0.x3");
         spit(d / "lr" / "summary.csv", csv);
       },
       "", "summary.csv line 2: column eta is '0.x3'"},
      {"truncated_csv",
       [](const fs::path& d) {
         const std::string csv = slurp(d / "sphere" / "summary.csv");
         spit(d / "sphere" / "summary.csv", csv.substr(0, csv.rfind('\n', csv.size() - 2) + 1));
       },
       "", "8 rows, but indices up to (i, j) = (2, 2) make a 3 x 3 grid"},
      {"no_grid",
       [](const fs::path& d) {
         for (const char* p : {"lr", "elr", "sphere"}) fs::remove(d / p / "summary.csv");
       },
       "", "holds no finished grid"},
      {"bad_format", [](const fs::path&) {}, " --format png,jpg", "--format 'png,jpg'"},
  };
  for (const Case& c : cases) {
    const fs::path dir = fresh_copy(c.name);
    c.spoil(dir);
    const auto r = run_cli("report " + quoted(dir) + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << c.name << ": " << r.output;
    EXPECT_NE(r.output.find(c.must_mention), std::string::npos) << c.name << ": " << r.output;
    if (fs::exists(dir)) EXPECT_TRUE(wrote_nothing(dir)) << c.name;
  }
}

TEST_F(ReportCli, ColumnsAreReadByNameMissingOptionalOnesSkipTheirFigures) {
  const fs::path dir = fresh_copy("columns");
  // lr: drop r_discrete (Fig. 13 needs it) and append a column a newer writer might add.
  std::istringstream in(slurp(dir / "lr" / "summary.csv"));
  std::string out, line;
  std::size_t drop = std::string::npos;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream ls(line);
    for (std::string f; std::getline(ls, f, ',');) fields.push_back(f);
    if (drop == std::string::npos)
      drop = static_cast<std::size_t>(std::find(fields.begin(), fields.end(), "r_discrete") - fields.begin());
    ASSERT_LT(drop, fields.size());
    fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(drop));
    fields.push_back(out.empty() ? "ess_S" : "123.5");
    for (std::size_t k = 0; k < fields.size(); ++k) out += (k ? "," : "") + fields[k];
    out += "\n";
  }
  spit(dir / "lr" / "summary.csv", out);
  const auto r = run_cli("report " + quoted(dir) + " --format png");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = slurp(dir / "report.html");
  EXPECT_NE(html.find("Fig. 13 (fixed LR) not drawn: lr/summary.csv has no column r_discrete"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "figures" / "fig13_lr.png"));
  EXPECT_TRUE(fs::exists(dir / "figures" / "fig13_elr.png"));
  EXPECT_EQ(inlined_images(html).size(), static_cast<std::size_t>(kFiguresPerProtocol * kProtocols - 1));
}

TEST_F(ReportCli, APartialRunIsDrawnForTheGridsThatFinished) {
  const fs::path dir = fresh_copy("partial");
  fs::remove(dir / "elr" / "summary.csv");
  fs::remove_all(dir / "sphere");
  fs::remove(dir / "checks.json");
  const auto r = run_cli("report " + quoted(dir) + " --format png");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = slurp(dir / "report.html");
  EXPECT_EQ(inlined_images(html).size(), static_cast<std::size_t>(kFiguresPerProtocol));
  EXPECT_NE(html.find("elr/ has no summary.csv"), std::string::npos);
  EXPECT_EQ(html.find("(paper Figure 3)"), std::string::npos);
}

TEST_F(ReportCli, HeadlessChromiumLoadsThePageAndDecodesEveryImage) {
  const fs::path dir = fresh_copy("browser");
  const auto r = run_cli("report " + quoted(dir) + " --format png --open-check");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("images: ok " + std::to_string(kFiguresPerProtocol * kProtocols)), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace idealgas
