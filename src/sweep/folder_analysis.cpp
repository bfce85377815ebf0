#include "idealgas/sweep/folder_analysis.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/report/iso_run_folder.hpp"
#include "idealgas/report/summary_csv.hpp"
#include "idealgas/run/run_record.hpp"
#include "idealgas/sweep/sweep_folder.hpp"

namespace idealgas {

namespace fs = std::filesystem;

std::vector<GridPoint> sweep_grid_points(const SweepTable& table, const JobKind& kind) {
  const std::vector<std::string> hyper = kind.hyperparameter_keys();
  std::vector<GridPoint> points;
  for (const SweepRow& r : table.rows) {
    const SweepConfiguration& c = r.configuration;
    GridPoint p;
    std::string group;
    for (const GridAxis& a : table.grid.axes) {
      if (std::find(hyper.begin(), hyper.end(), a.key) != hyper.end() || a.key == kind.seed_key()) continue;
      group += (group.empty() ? "" : " ") + a.key + "=" + toml_value_text(c.axis_values.at(a.key));
    }
    p.group = group;
    p.replica = c.replica;
    if (r.summary) {
      p.protocol = r.summary->protocol.kind;
      p.d = r.summary->d;
      p.first = r.summary->protocol.first();
      p.second = r.summary->protocol.second();
      p.row = r.summary->row;
      p.status = r.status.state == RunState::done ? "ok" : "diverged: " + r.status.reason;
    } else {
      // No result yet: the point is known from its resolved configuration.
      const nlohmann::json config = toml_text_to_json(c.job.config_toml, c.label);
      // Both kinds record the protocol by name and its hyperparameters by key, flat (iso) or under [protocol].
      const nlohmann::json& proto = config.contains("protocol") && config["protocol"].is_object() ? config["protocol"]
                                                                                                  : config;
      const std::string name = proto.contains("name") ? proto["name"].get<std::string>()
                                                      : proto.value("protocol", std::string("lr"));
      const Protocol kind_of = parse_protocol(name);
      p.protocol = kind_of;
      p.d = config.value("d", 0LL);
      p.first = proto.value(kind_of == Protocol::fixed_lr ? "eta" : "eta_eff", kNaN);
      p.second = proto.value(kind_of == Protocol::fixed_sphere ? "radius" : "lambda", kNaN);
      p.status = fmt::format("{}{}", run_state_name(r.status.state), r.status.reason.empty() ? "" : ": " + r.status.reason);
    }
    points.push_back(std::move(p));
  }
  // A point that never ran has no measured d; it belongs with its protocol's measured runs.
  for (GridPoint& p : points) {
    if (p.d > 0) continue;
    for (const GridPoint& q : points)
      if (q.d > 0 && q.protocol == p.protocol && q.group == p.group) {
        p.d = q.d;
        break;
      }
  }
  points.erase(std::remove_if(points.begin(), points.end(), [](const GridPoint& p) { return p.d < 2; }), points.end());
  return points;
}

FolderAnalysis analyse_folder(const fs::path& dir, const std::vector<fs::path>& others, const JobKinds& kinds,
                              const GridAnalysisOptions& options_in) {
  FolderAnalysis out;
  out.dir = dir;
  GridAnalysisOptions options = options_in;
  std::error_code ec;
  if (fs::exists(dir / kSweepGridFile, ec)) {
    out.source = "sweep";
    const GridConfig grid = read_sweep_grid(dir);
    if (options.paper_setup.empty()) options.paper_setup = grid.paper_setup;
    const JobKind& kind = kinds.find(grid.kind, grid.source);
    const std::vector<SweepConfiguration> configs = expand_grid(grid, kind);
    std::vector<fs::path> dirs = {dir};
    for (const fs::path& o : others) {
      for (const fs::path& seen : dirs)
        if (fs::equivalent(o, seen, ec))
          throw InputError(fmt::format("{} is listed twice (as {}); list each folder once", o.string(), seen.string()));
      // The shard's own configurations against this folder's grid (DIR has its grid.toml: nothing is written).
      const GridConfig g = read_sweep_grid(o);
      adopt_sweep_grid(dir, g, expand_grid(g, kinds.find(g.kind, g.source)), kinds,
                       fmt::format("{} is not a shard of it: analyze takes a sweep folder and folders holding shards "
                                   "of the same grid; analyze each grid on its own",
                                   o.string()));
      dirs.push_back(o);
    }
    out.sweep = collect_sweep(dirs, grid, configs);
    out.grids = assemble_grids(sweep_grid_points(*out.sweep, kind));
    // Every kind but the isotropic simulator's ("iso") measures its noise: a network's grid.
    for (AssembledGrid& g : out.grids) g.table.network = kind.name() != "iso";
  } else if (fs::exists(dir / "run.json", ec)) {
    if (!others.empty())
      throw InputError(fmt::format("{} is a reproduce iso folder: analyze takes it alone", dir.string()));
    out.source = kIsoJobName;
    const IsoRunFolder run = load_iso_run_folder(dir);
    for (const IsoProtocolRun& p : run.protocols) {
      AssembledGrid g;
      g.table = p.summary.table;
      g.status = p.summary.status;
      for (const StationaryRow& row : g.table.rows) g.replicas.push_back({row});
      for (std::size_t k = 0; k < g.status.size(); ++k)
        if (g.status[k] != "ok") g.replicas[k].clear();
      out.grids.push_back(std::move(g));
    }
  } else {
    throw InputError(fmt::format("{} is neither a sweep folder ({}) nor a reproduce iso folder (run.json); give the "
                                 "folder a sweep or reproduce iso wrote",
                                 dir.string(), kSweepGridFile));
  }
  if (out.grids.empty())
    throw InputError(fmt::format("{} has no result to analyse yet (idealgas sweep status {})", dir.string(), dir.string()));

  // Each grid's table is a file named by its stem: two grids with one name would overwrite each other's table.
  std::set<std::string> stems;
  for (const AssembledGrid& g : out.grids)
    IDEALGAS_ASSERT(stems.insert(grid_file_stem(g)).second,
                    "two grids of " + dir.string() + " share the file name " + grid_file_stem(g));
  nlohmann::json grids = nlohmann::json::array();
  for (const AssembledGrid& g : out.grids) {
    nlohmann::json a = analyse_grid(g, options);
    a["table_file"] = fmt::format("{}/{}.csv", kAnalysisFolder, grid_file_stem(g));
    grids.push_back(std::move(a));
  }
  out.json = {{"source", out.source}, {"folder", dir.string()}, {"written", utc_now_iso8601()}, {"grids", grids}};
  return out;
}

void write_folder_analysis(FolderAnalysis& a) {
  for (const AssembledGrid& g : a.grids) {
    const fs::path file = a.dir / kAnalysisFolder / (grid_file_stem(g) + ".csv");
    write_file_atomically(file, summary_csv(g.table, g.status));
    a.files.push_back(file);
  }
  write_file_atomically(a.dir / kAnalysisFile, a.json.dump(2) + "\n");
  a.files.push_back(a.dir / kAnalysisFile);
}

}  // namespace idealgas
