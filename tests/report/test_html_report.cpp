// The HTML building blocks: base64 (RFC 4648 test vectors), escaping, numbers written with their SE, the
// attribute scans the page checks rely on, and the run's config written as TOML that reproduce iso reads back
// to the same effective configuration.
#include "idealgas/report/html_report.hpp"

#include <gtest/gtest.h>

#include "idealgas/report/html_report_iso.hpp"
#include "idealgas/simulate/iso_config.hpp"

namespace idealgas::report {
namespace {

TEST(Base64, MatchesTheRfc4648TestVectors) {
  // RFC 4648 §10.
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");  // high bytes and a NUL
}

TEST(HtmlText, EscapesMarkupAndWritesValuesToTheirStandardError) {
  EXPECT_EQ(html_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  // The paper's numbers as the paper writes them (docs/paper-setup.md §1).
  EXPECT_EQ(format_value_se(1.0139, 0.0090), "1.0139 ± 0.0090");
  EXPECT_EQ(format_value_se(-0.9989, 0.0052), "-0.9989 ± 0.0052");
  EXPECT_EQ(format_value_se(2.0, 0.0015), "2.0000 ± 0.0015");
  EXPECT_EQ(format_value_se(1234.5, 37.0), "1234 ± 37");  // SE of two digits before the point: 3 sig. is enough
  EXPECT_EQ(format_value_se(1.5e-9, 2e-11), "1.5e-09 ± 2e-11");
  EXPECT_EQ(format_value_se(kNaN, 0.1), "—");
  EXPECT_EQ(format_value_se(0.25, kNaN), "0.25");
  EXPECT_EQ(format_value(0.123456789), "0.1235");
  EXPECT_EQ(format_json_scalar(nlohmann::json()), "—");
  EXPECT_EQ(format_json_scalar(nlohmann::json(3)), "3");
  EXPECT_EQ(format_json_scalar(nlohmann::json("eta*lambda <= 0.001")), "eta*lambda <= 0.001");
}

TEST(HtmlPage, ListsLocalReferencesAndReadsTheImageCheck) {
  const std::string body =
      "<a href=\"figures/a.svg\">a</a><img alt=\"x\" src=\"data:image/png;base64,AAAA\">"
      "<a href=\"#lr\">lr</a><a href=\"https://example.org\">e</a><img src=\"b.png\">";
  const std::string page = html_page("t", body);
  EXPECT_EQ(referenced_local_files(page), (std::vector<std::string>{"figures/a.svg", "b.png"}));
  EXPECT_EQ(image_check_attribute("<body data-image-check=\"ok 21\">"), "ok 21");
  EXPECT_EQ(image_check_attribute(page), "");  // set by the browser, not written
  EXPECT_EQ(page.rfind("<!doctype html>", 0), 0u);
}

TEST(ConfigToml, ReadsBackToTheSameEffectiveConfiguration) {
  IsoConfig c;
  c.d = 10;
  c.grid = 5;
  c.sigma2 = 0.5;
  c.seed = 7;
  c.protocols = {Protocol::fixed_lr, Protocol::fixed_sphere};
  c.radius = {0.25, 4.0};
  c.schedule = c.schedule.scaled_to(200000);
  c.checkpoint_seconds = 30.0;  // a whole number stored as a float: written 30.0, not 30
  const nlohmann::json config = c.to_json();
  const IsoConfig back = IsoConfig::from_toml_string(config_toml(config), "run.toml");
  EXPECT_EQ(back.to_json(), config) << config_toml(config);
}

}  // namespace
}  // namespace idealgas::report
