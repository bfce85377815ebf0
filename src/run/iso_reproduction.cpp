#include "idealgas/run/iso_reproduction.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "idealgas/analyse/iso_stationary.hpp"
#include "idealgas/analyse/validation_checks.hpp"
#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/build_info.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/interrupt.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/report/summary_csv.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Chunks of the grid's longest run between progress reports, checkpoint-time checks and signal polls.
constexpr long long kChunks = 400;
constexpr long long kMinChunk = 1000;

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

nlohmann::json read_json(const fs::path& path) {
  const nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw IoError(fmt::format("{} is not a valid JSON object; delete it or pass --restart", path.string()));
  return j;
}

/// The previous record of the folder, checked against this run's configuration before anything is written.
/// Returns the old record (empty object if none).
nlohmann::json check_run_record(const fs::path& out, const IsoConfig& config) {
  const fs::path record = out / "run.json";
  if (!fs::exists(record)) return nlohmann::json::object();
  const nlohmann::json old = read_json(record);
  const nlohmann::json now = config.result_relevant_json();
  const nlohmann::json old_config = old.value("config", nlohmann::json::object());
  nlohmann::json before = nlohmann::json::object();
  for (auto it = old_config.begin(); it != old_config.end(); ++it)
    if (now.contains(it.key()) || it.key() == "schedule") before[it.key()] = it.value();
  for (const char* key : {"threads", "checkpoint_seconds", "protocols"}) before.erase(key);
  if (before != now) {
    std::string diff;
    for (auto it = now.begin(); it != now.end(); ++it)
      if (!before.contains(it.key()) || before[it.key()] != it.value())
        diff += fmt::format(" {}: folder has {}, now {};", it.key(),
                            before.contains(it.key()) ? before[it.key()].dump() : "nothing", it.value().dump());
    throw InputError(fmt::format("{} holds results of another configuration ({}); choose another output folder or "
                                 "pass --restart to remove them and start over",
                                 out.string(), diff));
  }
  return old;
}

/// Everything this job writes into a folder, removed by --restart (nothing else is touched).
void remove_results(const fs::path& out) {
  std::error_code ec;
  for (const char* p : {"lr", "elr", "sphere"}) fs::remove_all(out / p, ec);
  for (const char* f : {"checks.json", "run.json", "report.html"}) fs::remove(out / f, ec);
}

IsoGrid run_protocol(const IsoConfig& config, Protocol p, const fs::path& dir,
                     const std::function<void(const IsoProgress&)>& progress) {
  const fs::path ckpt = dir / "checkpoint.bin";
  IsoGrid grid = fs::exists(ckpt) ? IsoGrid::load_checkpoint(ckpt.string(), config, p) : IsoGrid(config, p);
  IsoProgress report;
  report.protocol = p;
  report.resumed_from = grid.iteration();
  const long long total = grid.max_iterations();
  const long long chunk = std::max(kMinChunk, total / kChunks);
  const auto start = Clock::now();
  auto last_save = start;
  const double work_total = grid.work_total(), work_start = grid.work_done();
  while (!grid.finished()) {
    grid.advance_to(std::min(total, grid.iteration() + chunk));
    const auto now = Clock::now();
    const bool interrupted = interrupt_requested();
    if (interrupted || grid.finished() ||
        std::chrono::duration<double>(now - last_save).count() >= config.checkpoint_seconds) {
      grid.save_checkpoint(ckpt.string());
      last_save = now;
    }
    if (interrupted)
      throw Interrupted(fmt::format("{} received: the {} grid is saved at iteration {} of {} in {}; run the same "
                                    "command again to resume",
                                    interrupt_signal_name(), protocol_name(p), grid.iteration(), total, ckpt.string()));
    if (progress) {
      report.elapsed_seconds = std::chrono::duration<double>(now - start).count();
      const double done = grid.work_done();
      report.fraction = done / work_total;
      report.eta_seconds = report.elapsed_seconds / std::max(1.0, done - work_start) * (work_total - done);
      report.finished = grid.finished();
      progress(report);
    }
  }
  return grid;
}

}  // namespace

IsoReproductionResult run_iso_reproduction(const IsoReproductionOptions& o) {
  const IsoConfig& config = o.config;
  config.validate();
  const fs::path& out = o.out;
  RunFolderLock lock(out);
  remove_stale_temporaries(out);
  nlohmann::json old_record = o.restart ? nlohmann::json::object() : check_run_record(out, config);
  if (o.restart) remove_results(out);

  // The record names every protocol with results in the folder (earlier runs' and this run's).
  nlohmann::json record = {{"job", "reproduce iso"},   {"config", config.to_json()}, {"build", build_info()},
                           {"seed", config.seed},       {"started", now_iso8601()},  {"command", o.command_line}};
  record["first_started"] = old_record.value("first_started", old_record.value("started", record["started"]));
  nlohmann::json results = old_record.value("results", nlohmann::json::object());
  record["results"] = results;
  write_file_atomically(out / "run.json", record.dump(2) + "\n");

  nlohmann::json checks = nlohmann::json::object();
  if (!o.restart && fs::exists(out / "checks.json")) checks = read_json(out / "checks.json");
  checks.erase("wall_seconds");
  IsoReproductionResult result;
  const auto start = Clock::now();
  for (Protocol p : config.protocols) {
    const fs::path dir = out / protocol_name(p);
    const auto protocol_start = Clock::now();
    const IsoGrid grid = run_protocol(config, p, dir, o.progress);
    const IsoStationaryTable t = iso_stationary_table(grid);
    write_file_atomically(dir / "summary.csv", summary_csv(t.table, t.status));
    write_file_atomically(dir / "checks.json", validation_report(t.table).dump(2) + "\n");
    checks[protocol_name(p)] = iso_headline_checks(t.table, t.status);
    for (const std::string& s : t.status)
      if (s != "ok") result.incomplete.push_back(s);
    results[protocol_name(p)] = {
        {"finished", now_iso8601()},
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
