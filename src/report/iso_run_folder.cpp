#include "idealgas/report/iso_run_folder.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas {

namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& file) {
  nlohmann::json j = nlohmann::json::parse(read_file(file), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw InputError(fmt::format("{} is not a JSON object; the run folder is damaged (rerun idealgas reproduce iso)",
                                 file.string()));
  return j;
}

}  // namespace

const IsoProtocolRun* IsoRunFolder::find(Protocol p) const {
  for (const IsoProtocolRun& r : protocols)
    if (r.protocol == p) return &r;
  return nullptr;
}

IsoRunFolder load_iso_run_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw InputError(fmt::format("run folder '{}' does not exist; give the --out folder of idealgas reproduce iso",
                                 dir.string()));
  if (!fs::is_directory(dir, ec))
    throw InputError(fmt::format("'{}' is not a folder; give the --out folder of idealgas reproduce iso", dir.string()));
  IsoRunFolder out;
  out.dir = dir;
  const fs::path run_file = dir / "run.json";
  if (!fs::exists(run_file, ec))
    throw InputError(fmt::format("'{}' is not a run folder: it has no run.json (idealgas reproduce iso writes one)",
                                 dir.string()));
  out.run = read_json(run_file);
  const auto job = out.run.find("job");
  if (job == out.run.end() || !job->is_string())
    throw InputError(fmt::format("{} has no \"job\" string; expected \"{}\"", run_file.string(), kIsoJobName));
  if (*job != kIsoJobName)
    throw InputError(fmt::format("{} is a \"{}\" run; idealgas report draws \"{}\" runs", run_file.string(),
                                 job->get<std::string>(), kIsoJobName));
  const auto config = out.run.find("config");
  if (config == out.run.end() || !config->is_object())
    throw InputError(fmt::format("{} has no \"config\" object; the run folder is damaged", run_file.string()));
  const auto d = config->find("d");
  if (d == config->end() || !d->is_number_integer())
    throw InputError(fmt::format("{}: config.d must be an integer, got {}", run_file.string(),
                                 d == config->end() ? "nothing" : d->dump()));
  out.d = require_dimension(run_file.string() + ": config.d", d->get<long long>());
  const auto sigma2 = config->find("sigma2");
  if (sigma2 == config->end() || !sigma2->is_number())
    throw InputError(fmt::format("{}: config.sigma2 must be a number, got {}", run_file.string(),
                                 sigma2 == config->end() ? "nothing" : sigma2->dump()));
  out.sigma2 = require_positive(run_file.string() + ": config.sigma2", sigma2->get<double>());

  if (fs::exists(dir / "checks.json", ec)) out.headline = read_json(dir / "checks.json");
  else out.notes.push_back("checks.json is absent (the run has not finished): no headline checks");

  for (Protocol p : {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere}) {
    const fs::path sub = dir / protocol_name(p);
    if (!fs::exists(sub / "summary.csv", ec)) {
      if (fs::exists(sub, ec))
        out.notes.push_back(fmt::format("{}/ has no summary.csv (the grid has not finished): not drawn", protocol_name(p)));
      continue;
    }
    IsoProtocolRun r;
    r.protocol = p;
    r.summary = read_summary_csv(sub / "summary.csv", out.d, out.sigma2);
    if (r.summary.table.protocol != p)
      throw InputError(fmt::format("{}: protocol column says '{}', but the file is in the {}/ folder",
                                   (sub / "summary.csv").string(), protocol_name(r.summary.table.protocol),
                                   protocol_name(p)));
    if (fs::exists(sub / "checks.json", ec)) r.checks = read_json(sub / "checks.json");
    if (r.summary.n_failed() > 0)
      out.notes.push_back(fmt::format("{}: {} of {} configurations have no measurement ({})", protocol_name(p),
                                      r.summary.n_failed(), r.summary.status.size(),
                                      *std::find_if(r.summary.status.begin(), r.summary.status.end(),
                                                    [](const std::string& s) { return s != "ok"; })));
    if (!r.summary.missing_optional.empty()) {
      std::string names;
      for (const std::string& n : r.summary.missing_optional) names += (names.empty() ? "" : ", ") + n;
      out.notes.push_back(fmt::format("{}/summary.csv has no column {}: what needs it is not drawn", protocol_name(p),
                                      names));
    }
    out.protocols.push_back(std::move(r));
  }
  if (out.protocols.empty())
    throw InputError(fmt::format("'{}' holds no finished grid: none of lr/, elr/, sphere/ has a summary.csv yet",
                                 dir.string()));
  return out;
}

}  // namespace idealgas
