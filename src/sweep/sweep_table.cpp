#include "idealgas/sweep/sweep_table.hpp"

#include <cmath>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/build_info.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/report/summary_csv.hpp"
#include "idealgas/run/run_record.hpp"
#include "idealgas/sweep/run_summary.hpp"

namespace idealgas {

namespace fs = std::filesystem;

namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_value(const nlohmann::json& v) { return csv_escape(v.is_string() ? v.get<std::string>() : toml_value_text(v)); }

}  // namespace

void SweepCounts::add(RunState state) {
  switch (state) {
    case RunState::done: ++done; break;
    case RunState::diverged: ++diverged; break;
    case RunState::failed: ++failed; break;
    case RunState::running: ++running; break;
    case RunState::pending: ++pending; break;
  }
}

namespace {

// Two folders holding the same configuration finished (shards run twice, a folder copied and rerun elsewhere) must
// hold the same results: which one a table shows must not depend on the order of the folders (issue 18: merge
// silently kept the first). Compared: status and every column of the row summary.csv shows (NaN equals NaN),
// not the wall times.
void require_same_results(const SweepConfiguration& c, const fs::path& a, const fs::path& b) {
  const RunSummary x = read_run_summary(a / kRunSummaryFile), y = read_run_summary(b / kRunSummaryFile);
  bool same = x.status == y.status && x.row.flags == y.row.flags;
  for (const SummaryColumn& col : summary_csv_numeric_columns()) {
    const double u = x.row.*(col.field), v = y.row.*(col.field);
    if (!(u == v || (std::isnan(u) && std::isnan(v)))) same = false;
  }
  if (!same)
    throw InputError(fmt::format("configuration {} ({}, run {}) is finished in both {} and {} with different results; "
                                 "keep one: remove the run folder you do not trust, then merge again",
                                 c.index, c.label, c.id, a.string(), b.string()));
}

}  // namespace

SweepTable collect_sweep(const fs::path& dir, const GridConfig& grid, const std::vector<SweepConfiguration>& configs) {
  return collect_sweep(std::vector<fs::path>{dir}, grid, configs);
}

SweepTable collect_sweep(const std::vector<fs::path>& dirs, const GridConfig& grid,
                         const std::vector<SweepConfiguration>& configs) {
  IDEALGAS_ASSERT(!dirs.empty(), "collect_sweep needs a folder");
  SweepTable t;
  t.dir = dirs.front();
  t.grid = grid;
  for (const SweepConfiguration& c : configs) {
    SweepRow row;
    row.configuration = c;
    fs::path run;
    bool finished = false;
    for (const fs::path& dir : dirs) {
      const ConfigurationStatus s = configuration_status(run_folder(dir, c.id));
      const bool here = s.state == RunState::done || s.state == RunState::diverged;
      if (here && finished) require_same_results(c, run, run_folder(dir, c.id));
      if (finished) continue;
      if (run.empty() || here) {
        run = run_folder(dir, c.id);
        row.status = s;
      }
      finished = here;
    }
    if (row.status.state == RunState::done || row.status.state == RunState::diverged)
      row.summary = read_run_summary(run / kRunSummaryFile);
    t.counts.add(row.status.state);
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string sweep_summary_csv(const SweepTable& t) {
  std::vector<std::string> header = {"index", "id", "replica"};
  for (const GridAxis& a : t.grid.axes) header.push_back(csv_escape(kSweepAxisColumnPrefix + a.key));
  for (const char* c : {"protocol", "state", "reason"}) header.emplace_back(c);
  for (const SummaryColumn& c : summary_csv_numeric_columns()) header.emplace_back(c.name);
  header.emplace_back("duplicates");
  header.emplace_back("flags");
  std::string out = fmt::format("{}\n", fmt::join(header, ","));
  for (const SweepRow& r : t.rows) {
    const SweepConfiguration& c = r.configuration;
    out += fmt::format("{},{},{}", c.index, c.id, c.replica);
    for (const GridAxis& a : t.grid.axes) out += "," + csv_value(c.axis_values.at(a.key));
    const StationaryRow row = r.summary ? r.summary->row : StationaryRow{};
    out += fmt::format(",{},{},{}", r.summary ? protocol_name(r.summary->protocol.kind) : "",
                       run_state_name(r.status.state), csv_escape(r.status.reason));
    for (const SummaryColumn& col : summary_csv_numeric_columns()) out += fmt::format(",{}", row.*(col.field));
    out += fmt::format(",{},{}\n", r.summary ? std::to_string(row.duplicates) : "", csv_escape(row.flags));
  }
  return out;
}

nlohmann::json sweep_status_json(const SweepTable& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const SweepRow& r : t.rows) {
    const SweepConfiguration& c = r.configuration;
    nlohmann::json j = {{"index", c.index},  {"id", c.id},       {"label", c.label},
                        {"replica", c.replica}, {"axes", c.axis_values}, {"state", run_state_name(r.status.state)}};
    if (!r.status.reason.empty()) j["reason"] = r.status.reason;
    rows.push_back(std::move(j));
  }
  const SweepCounts& n = t.counts;
  return {{"kind", t.grid.kind},
          {"description", t.grid.description},
          {"grid", kSweepGridFile},
          {"n_configurations", t.rows.size()},
          {"counts",
           {{"done", n.done}, {"diverged", n.diverged}, {"failed", n.failed}, {"running", n.running},
            {"pending", n.pending}}},
          {"updated", utc_now_iso8601()},
          // The program that wrote this table (each run folder records the build that ran its job).
          {"written_by", build_info()},
          {"configurations", rows}};
}

void write_sweep_views(const SweepTable& t) {
  write_file_atomically(t.dir / kSweepSummaryFile, sweep_summary_csv(t));
  write_file_atomically(t.dir / kSweepStatusFile, sweep_status_json(t).dump(2) + "\n");
}

SweepTable merge_sweep_folders(const fs::path& dir, const std::vector<fs::path>& others, const JobKinds& kinds) {
  std::error_code ec;
  for (std::size_t k = 0; k < others.size(); ++k) {
    read_sweep_grid(others[k]);  // each must be a sweep folder
    if (fs::exists(dir, ec) && fs::equivalent(others[k], dir, ec))
      throw InputError(fmt::format("{} is the merge target and a source; list each sweep folder once",
                                   others[k].string()));
  }
  // The target's grid, or (a fresh target) the first source's.
  const bool has_grid = fs::exists(dir / kSweepGridFile, ec);
  if (!has_grid && others.empty()) read_sweep_grid(dir);  // says what is missing
  const GridConfig grid = has_grid ? read_sweep_grid(dir) : read_sweep_grid(others.front());
  const std::vector<SweepConfiguration> configs = expand_grid(grid, kinds.find(grid.kind, grid.source));
  RunFolderLock lock(dir);  // no shard may still write here
  remove_stale_temporaries(dir, false);
  adopt_sweep_grid(dir, grid, configs, kinds);
  for (const fs::path& other : others) {
    const GridConfig g = read_sweep_grid(other);
    adopt_sweep_grid(dir, g, expand_grid(g, kinds.find(g.kind, g.source)), kinds,  // the same grid, else refused
                     fmt::format("{} is not a shard of it: merge takes folders holding shards of one grid", other.string()));
  }
  // Staging folders of a merge that was killed.
  for (auto it = fs::directory_iterator(dir / kSweepRunsFolder, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->path().filename().string().find(".merge.") != std::string::npos) fs::remove_all(it->path(), ec);
  ec.clear();
  for (const SweepConfiguration& c : configs) {
    const fs::path target = run_folder(dir, c.id);
    const RunState here = configuration_status(target).state;
    fs::path first;  // the first run folder holding it finished: every other one must agree
    if (here == RunState::done || here == RunState::diverged) first = target;
    for (const fs::path& other : others) {
      const fs::path source = run_folder(other, c.id);
      const RunState there = configuration_status(source).state;
      if (there == RunState::done || there == RunState::diverged) {
        if (!first.empty()) require_same_results(c, first, source);
        else first = source;
      }
    }
    if (here == RunState::done || here == RunState::diverged) continue;
    for (const fs::path& other : others) {
      const fs::path source = run_folder(other, c.id);
      const RunState there = configuration_status(source).state;
      if (there != RunState::done && there != RunState::diverged) continue;
      if (here == RunState::running)
        throw InputError(fmt::format("configuration {} ({}) is running in {}; wait for it before merging", c.index,
                                     c.label, target.string()));
      // Copy beside the target, then swap it in: a killed merge leaves the old folder or the new one.
      const fs::path staging = target.parent_path() / fmt::format(".{}.merge.{}", c.id, ::getpid());
      fs::create_directories(staging.parent_path(), ec);
      fs::copy(source, staging, fs::copy_options::recursive, ec);
      if (ec) throw IoError(fmt::format("cannot copy {} to {}: {}", source.string(), staging.string(), ec.message()));
      fs::remove(staging / ".lock", ec);
      fs::remove_all(target, ec);
      fs::rename(staging, target, ec);
      if (ec) throw IoError(fmt::format("cannot move {} to {}: {}", staging.string(), target.string(), ec.message()));
      break;
    }
  }
  SweepTable t = collect_sweep(dir, grid, configs);
  write_sweep_views(t);
  return t;
}

}  // namespace idealgas
