// Building blocks of the self-contained HTML report: escaping, base64, tables, figures inlined as data URIs
// (PNG, else SVG) with links to the image files beside the page, and the page skeleton (one stylesheet, and a
// script that records on <body> whether every image decoded, for the headless-browser check). Text passed in
// is plain text and is escaped here; only the *_html arguments are HTML.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/report/figure.hpp"
#include "idealgas/report/figures_gnuplot.hpp"

namespace idealgas::report {

std::string html_escape(std::string_view text);

/// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

struct HtmlTable {
  std::string caption;                          // plain text above the table; empty: none
  std::vector<std::string> header;              // plain text
  std::vector<std::vector<std::string>> rows;   // plain text cells, each row as long as the header
  std::vector<bool> numeric_columns;            // right-aligned columns; empty: none
};
std::string html_table(const HtmlTable& table);

/// A <figure>: title, the image inlined (PNG if rendered, else SVG), caption, and links to the files under
/// `files_dir` (relative to the page). `images` must hold at least one image of this figure.
std::string html_figure(const Figure& figure, const std::vector<RenderedImage>& images, const std::string& files_dir);

/// The page: <!doctype html> with `title`, the stylesheet and `body_html`. The closing script sets
/// <body data-image-check="ok N" | "broken K of N: names"> once the page has loaded.
std::string html_page(const std::string& title, const std::string& body_html);

/// Value of data-image-check in a DOM dump of html_page's output; "" if absent.
std::string image_check_attribute(const std::string& dom);

/// Every local file the page links to or embeds by path (href/src values that are not data:, http(s): or
/// #fragments), as written in the page.
std::vector<std::string> referenced_local_files(const std::string& html);

/// Numbers for tables: 4 significant digits, "—" for null/NaN; with an SE: "v ± se" (SE to 2 digits).
std::string format_value(double value);
std::string format_value_se(double value, double se);
/// A JSON scalar as table text: numbers as format_value, strings as is, null as "—", booleans yes/no.
std::string format_json_scalar(const nlohmann::json& value);

}  // namespace idealgas::report
