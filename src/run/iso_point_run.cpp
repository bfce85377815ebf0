#include "idealgas/run/iso_point_run.hpp"

#include <chrono>

#include "idealgas/analyse/iso_stationary.hpp"
#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/build_info.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/report/summary_csv.hpp"
#include "idealgas/report/summary_json.hpp"
#include "idealgas/run/run_record.hpp"

namespace idealgas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Everything this job writes into its folder: what --restart removes, nothing else.
OwnFiles own_files() { return {{"run.json", "checkpoint.bin", "summary.csv", "summary.json"}, {}}; }

}  // namespace

IsoPointRunResult run_iso_point(const IsoPointRunOptions& o) {
  const IsoConfig& config = o.config;
  config.validate();
  if (!config.is_point())
    throw InputError("simulate iso runs one configuration (a protocol and its two hyperparameters); for grids use "
                     "reproduce iso or sweep");
  const auto start = Clock::now();
  RunFolderLock lock(o.out);
  remove_stale_temporaries(o.out);
  nlohmann::json record;
  {
    const FolderRecordsLock records(o.out);  // from the check to run.json (a sweep may be writing config.toml)
    const nlohmann::json old_record =
        o.restart ? nlohmann::json::object() : check_run_record(o.out, config.point_result_relevant_json());
    if (o.restart) remove_own_files(o.out, own_files(), "run.json", holds_own_run_record(o.out, kIsoPointJobName));
    record = {{"job", kIsoPointJobName}, {"config", config.point_json()}, {"build", build_info()},
              {"seed", config.seed},     {"started", utc_now_iso8601()},  {"command", o.command_line}};
    record["first_started"] = old_record.value("first_started", old_record.value("started", record["started"]));
    write_file_atomically(o.out / "run.json", record.dump(2) + "\n");
  }

  const Protocol p = config.protocols.front();
  const IsoGrid grid = run_iso_grid(config, p, o.out / "checkpoint.bin", o.progress);
  const IsoStationaryTable t = iso_stationary_table(grid);
  IDEALGAS_ASSERT(t.table.rows.size() == 1 && grid.walkers().size() == 1, "a point config is a 1 x 1 grid");
  const std::string& divergence = grid.walkers().front().divergence;

  IsoPointRunResult result;
  result.diverged = !divergence.empty();
  result.summary = {{"status", result.diverged ? "diverged" : "finished"},
                    {"divergence", result.diverged ? nlohmann::json(divergence) : nlohmann::json(nullptr)},
                    {"row_status", t.status.front()},
                    {"protocol", protocol_name(p)},
                    {"hyperparameters", grid.walkers().front().protocol.settings()},
                    {"d", config.d},
                    {"sigma2", config.sigma2},
                    {"stationary", stationary_row_json(t.table.rows.front())}};
  write_file_atomically(o.out / "summary.csv", summary_csv(t.table, t.status));
  write_file_atomically(o.out / "summary.json", result.summary.dump(2) + "\n");
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  record["finished"] = utc_now_iso8601();
  write_file_atomically(o.out / "run.json", record.dump(2) + "\n");
  return result;
}

}  // namespace idealgas
