#include "idealgas/run/iso_reproduction.hpp"

#include <chrono>

#include <fmt/format.h>

#include "idealgas/analyse/iso_stationary.hpp"
#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/build_info.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/report/html_report_iso.hpp"
#include "idealgas/report/summary_csv.hpp"
#include "idealgas/run/run_record.hpp"

namespace idealgas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kJobName = "reproduce iso";

/// Everything this job (and `report` on its folder) writes into a folder: what --restart removes, nothing else.
OwnFiles own_files() {
  const OwnFiles protocol{{"checkpoint.bin", "summary.csv", "checks.json"}, {}};
  return {{"checks.json", "run.json", "report.html"},
          {{"lr", protocol},
           {"elr", protocol},
           {"sphere", protocol},
           {report::kFiguresFolder, {{"*.png", "*.svg"}, {}}}}};
}

}  // namespace

IsoReproductionResult run_iso_reproduction(const IsoReproductionOptions& o) {
  const IsoConfig& config = o.config;
  config.validate();
  const fs::path& out = o.out;
  RunFolderLock lock(out);
  remove_stale_temporaries(out);
  nlohmann::json old_record, record, results;
  {
    const FolderRecordsLock records(out);  // from the check to run.json: no process finds the folder half-claimed
    old_record = o.restart ? nlohmann::json::object() : check_run_record(out, config.result_relevant_json());
    if (o.restart) remove_own_files(out, own_files(), "run.json", holds_own_run_record(out, kJobName));
    // The record names every protocol with results in the folder (earlier runs' and this run's).
    record = {{"job", kJobName},     {"config", config.to_json()},    {"build", build_info()},
              {"seed", config.seed}, {"started", utc_now_iso8601()}, {"command", o.command_line}};
    record["first_started"] = old_record.value("first_started", old_record.value("started", record["started"]));
    results = old_record.value("results", nlohmann::json::object());
    record["results"] = results;
    write_file_atomically(out / "run.json", record.dump(2) + "\n");
  }

  nlohmann::json checks = nlohmann::json::object();
  if (!o.restart && fs::exists(out / "checks.json")) checks = read_json_object(out / "checks.json");
  checks.erase("wall_seconds");
  IsoReproductionResult result;
  const auto start = Clock::now();
  for (Protocol p : config.protocols) {
    const fs::path dir = out / protocol_name(p);
    const auto protocol_start = Clock::now();
    const IsoGrid grid = run_iso_grid(config, p, dir / "checkpoint.bin", o.progress);
    const IsoStationaryTable t = iso_stationary_table(grid);
    write_file_atomically(dir / "summary.csv", summary_csv(t.table, t.status));
    write_file_atomically(dir / "checks.json", validation_report(t.table).dump(2) + "\n");
    checks[protocol_name(p)] = iso_headline_checks(t.table, t.status);
    for (const std::string& s : t.status)
      if (s != "ok") result.incomplete.push_back(s);
    results[protocol_name(p)] = {
        {"finished", utc_now_iso8601()},
        {"wall_seconds", std::chrono::duration<double>(Clock::now() - protocol_start).count()}};
    record["results"] = results;
    write_file_atomically(out / "run.json", record.dump(2) + "\n");
  }
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  write_file_atomically(out / "checks.json", checks.dump(2) + "\n");
  result.checks = checks;
  result.verdict = iso_verdict(checks);
  result.verdict_text = format_verdict(result.verdict, checks);
  return result;
}

}  // namespace idealgas
