#include "idealgas/report/html_report.hpp"

#include <cmath>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::report {

namespace {

constexpr const char* kStyle = R"css(
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0 auto; max-width: 1560px; padding: 16px 28px;
       color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #d0d7e2; padding-bottom: 4px; margin-top: 2.2em; }
h3 { font-size: 1.1em; margin-bottom: 0.4em; }
.meta { color: #555; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; background: #f4f6f9; }
code { padding: 1px 4px; border-radius: 3px; }
pre { padding: 10px 14px; border: 1px solid #dde3ea; border-radius: 4px; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em 0; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #d5dbe3; padding: 4px 10px; vertical-align: top; }
th { background: #eef2f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafbfd; }
figure { margin: 1.6em 0 2.4em 0; padding: 0; }
figure h3 { margin: 0 0 0.3em 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e7ed; }
figcaption { max-width: 1100px; margin-top: 0.4em; color: #333; }
.files { font-size: 0.85em; color: #666; }
.notes { background: #fff8e1; border: 1px solid #f0d58c; padding: 8px 14px; border-radius: 4px; }
.toc a { margin-right: 1.2em; }
)css";

// Beyond this many decimals a value ± SE is written in exponent form instead.
constexpr int kMaxFixedDecimals = 8;

// Sets <body data-image-check>: every <img> must have decoded to a non-empty image.
constexpr const char* kImageCheckScript = R"js(
window.addEventListener("load", function () {
  var images = document.images, broken = [];
  for (var k = 0; k < images.length; ++k)
    if (!images[k].complete || images[k].naturalWidth === 0) broken.push(images[k].alt || ("image " + k));
  document.body.setAttribute("data-image-check", broken.length === 0 ? "ok " + images.length
      : "broken " + broken.length + " of " + images.length + ": " + broken.join("; "));
});
)js";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t k = 0;
  for (; k + 3 <= bytes.size(); k += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[k]) << 16 | static_cast<unsigned char>(bytes[k + 1]) << 8 |
                       static_cast<unsigned char>(bytes[k + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  const std::size_t left = bytes.size() - k;
  if (left == 1) {
    const unsigned v = static_cast<unsigned char>(bytes[k]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (left == 2) {
    const unsigned v = static_cast<unsigned char>(bytes[k]) << 16 | static_cast<unsigned char>(bytes[k + 1]) << 8;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::string html_table(const HtmlTable& table) {
  std::string out = "<table>\n";
  if (!table.caption.empty()) out += "<caption>" + html_escape(table.caption) + "</caption>\n";
  out += "<tr>";
  for (const std::string& h : table.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr>\n";
  for (const auto& row : table.rows) {
    IDEALGAS_ASSERT(row.size() == table.header.size(), "table row and header differ in length");
    out += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool numeric = c < table.numeric_columns.size() && table.numeric_columns[c];
      out += (numeric ? "<td class=\"num\">" : "<td>") + html_escape(row[c]) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string html_figure(const Figure& figure, const std::vector<RenderedImage>& images, const std::string& files_dir) {
  const RenderedImage* shown = nullptr;
  for (const RenderedImage& im : images)
    if (im.file_name.rfind(figure.name + ".", 0) == 0 && (shown == nullptr || im.format == ImageFormat::png)) shown = &im;
  IDEALGAS_ASSERT(shown != nullptr, "figure " + figure.name + " has no rendered image");
  const char* mime = shown->format == ImageFormat::png ? "image/png" : "image/svg+xml";
  std::string out = fmt::format("<figure id=\"{}\">\n<h3>{}</h3>\n", html_escape(figure.name), html_escape(figure.title));
  out += fmt::format("<img alt=\"{}\" width=\"{}\" src=\"data:{};base64,{}\">\n", html_escape(figure.name),
                     figure.width_px, mime, base64_encode(shown->bytes));
  out += "<figcaption>" + html_escape(figure.caption);
  if (!figure.paper_panel.empty()) out += " <em>Reproduces the paper's " + html_escape(figure.paper_panel) + ".</em>";
  out += "<br><span class=\"files\">files:";
  for (const RenderedImage& im : images)
    if (im.file_name.rfind(figure.name + ".", 0) == 0)
      out += fmt::format(" <a href=\"{0}/{1}\">{1}</a>", html_escape(files_dir), html_escape(im.file_name));
  return out + "</span></figcaption>\n</figure>\n";
}

std::string html_page(const std::string& title, const std::string& body_html) {
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n{}<script>{}</script>\n</body>\n</html>\n",
      html_escape(title), kStyle, body_html, kImageCheckScript);
}

namespace {

/// Values of every `name="..."` attribute in `html`, in order. A plain scan: std::regex recurses per character
/// and overflows the stack on the page's long base64 attributes.
std::vector<std::string> attribute_values(const std::string& html, const std::string& name) {
  std::vector<std::string> out;
  const std::string key = name + "=\"";
  for (std::size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    // Only a whole attribute name: preceded by a space or a tag boundary.
    if (at > 0 && html[at - 1] != ' ' && html[at - 1] != '\n' && html[at - 1] != '<') continue;
    const std::size_t begin = at + key.size(), end = html.find('"', begin);
    if (end == std::string::npos) break;
    out.push_back(html.substr(begin, end - begin));
  }
  return out;
}

}  // namespace

std::string image_check_attribute(const std::string& dom) {
  const std::vector<std::string> values = attribute_values(dom, "data-image-check");
  return values.empty() ? "" : values.front();
}

std::vector<std::string> referenced_local_files(const std::string& html) {
  std::vector<std::string> out;
  for (const char* name : {"href", "src"})
    for (const std::string& target : attribute_values(html, name)) {
      if (target.rfind("data:", 0) == 0 || target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0 ||
          target.rfind("#", 0) == 0)
        continue;
      out.push_back(target);
    }
  return out;
}

std::string format_value(double value) { return std::isfinite(value) ? fmt::format("{:.4g}", value) : "—"; }

std::string format_value_se(double value, double se) {
  if (!std::isfinite(value)) return "—";
  if (!std::isfinite(se) || se < 0.0) return format_value(value);
  // Value and SE to the SE's second significant digit (1.0139 ± 0.0090), where that stays readable.
  const int decimals = se > 0.0 ? 1 - static_cast<int>(std::floor(std::log10(se))) : -1;
  if (decimals < 0 || decimals > kMaxFixedDecimals || std::abs(value) >= 1e6)
    return fmt::format("{:.4g} ± {:.2g}", value, se);
  return fmt::format("{:.{}f} ± {:.{}f}", value, decimals, se, decimals);
}

std::string format_json_scalar(const nlohmann::json& value) {
  if (value.is_null()) return "—";
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) return format_value(value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace idealgas::report
