// libFuzzer target: the inputs a sweep reads from users and from run folders, on arbitrary text.
//  - as a grid config: GridConfig::from_toml_string, then (for grids of at most kMaxExpanded configurations) the
//    expansion, which validates every configuration through the iso kind's reader;
//  - as one iso configuration: IsoConfig::point_from_toml_string, validate, point_json;
//  - as a run's summary.json (what `sweep status`, `merge` and `analyze` read back from every run folder):
//    parse_run_summary.
// Every input must give a result or an idealgas::Error naming the problem; anything else (another exception, a crash,
// a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_config.hpp"
#include "idealgas/sweep/grid_config.hpp"
#include "idealgas/sweep/job_kind.hpp"
#include "idealgas/sweep/run_summary.hpp"

namespace {
// Larger grids are parsed and sized but not expanded: a fuzz input must stay fast.
constexpr long long kMaxExpanded = 64;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const idealgas::GridConfig g = idealgas::GridConfig::from_toml_string(text, "fuzz.toml");
    if (g.size() <= kMaxExpanded) {
      const idealgas::JobKinds kinds{{&idealgas::iso_job_kind()}};
      for (const idealgas::SweepConfiguration& c : idealgas::expand_grid(g, kinds.find(g.kind, g.source)))
        (void)c.id;
    }
  } catch (const idealgas::Error&) {
  }
  try {
    const idealgas::IsoConfig c = idealgas::IsoConfig::point_from_toml_string(text, "fuzz.toml");
    c.validate();
    (void)c.point_json().dump();
  } catch (const idealgas::Error&) {
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    try {
      (void)idealgas::parse_run_summary(j, "summary.json");
    } catch (const idealgas::Error&) {
    }
  }
  return 0;
}
