// A grid config (TOML): one job kind, a base configuration of that kind, axes over any of its config keys and
// optional independent replicas (docs/sweep.md):
//
//   kind = "iso"                      # iso | train
//   description = "..."               # optional, one line
//   replicas = 1                      # optional: independent seeds per configuration
//   preset = "..."                    # optional, kinds with presets: the base's base
//   paper_setup = "convnet-cifar10"   # optional: compare V3 with this row of the paper's Table 4
//   [base]                            # any of the kind's config keys ([base.train], ... for sectioned kinds)
//   protocol = "lr"
//   [[axis]]                          # in order: the last axis varies fastest
//   key = "eta"                       # a config key, dotted for sections ("protocol.eta_eff")
//   log = [1e-3, 1e-1, 17]            # or linear = [lo, hi, n], or values = [v, ...]
//
// Expansion is deterministic. Configuration k = ((a_0 n_1 + a_1) n_2 + ...) R + replica; log-spaced values are
// those of reproduce iso's grids (simulate/iso_config.hpp log_spaced, endpoints exact), so a sweep of a paper grid
// runs the very configurations of `reproduce iso`. Replica 0 keeps the configuration's seed; replica r >= 1 gets a
// seed derived from (that seed, r). Each configuration is validated by its kind and gets a stable id: a hash of
// its kind and result-relevant settings (so a thread count or checkpoint interval does not change it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/sweep/job_kind.hpp"

namespace idealgas {

struct GridAxis {
  std::string key;                     // config key, dotted for sections
  std::string spec;                    // as written, for messages: "log = [0.001, 0.1, 17]"
  std::vector<nlohmann::json> values;  // [n] scalars, in order
};

struct GridConfig {
  std::string source;       // file name or "preset NAME", for messages
  std::string text;         // the TOML as given (a sweep folder keeps it as grid.toml)
  std::string kind;         // job kind name
  std::string description;  // one line; may be empty
  std::string preset;       // the kind's preset under the base; may be empty
  std::string paper_setup;  // a setup of the paper's Table 4 (analyse/paper_table4.hpp); may be empty
  nlohmann::json base = nlohmann::json::object();  // the kind's keys (nested objects for sections)
  std::vector<GridAxis> axes;
  long long replicas = 1;

  /// Most configurations one grid may expand to (each gets a folder; beyond this no one means it).
  static constexpr long long kMaxConfigurations = 1'000'000;
  /// Most values of one axis.
  static constexpr long long kMaxAxisValues = 100'000;

  /// Parses and checks the grid's own keys; InputError names `source`, the key and what is accepted.
  static GridConfig from_toml_string(const std::string& toml_text, const std::string& source);
  static GridConfig from_toml_file(const std::string& path);
  /// Number of configurations: the product of the axis sizes times replicas.
  long long size() const;
};

/// One configuration of a grid, validated by its kind.
struct SweepConfiguration {
  long long index = 0;               // position in the grid's order
  std::string id;                    // 16 hex digits: its folder under runs/
  long long replica = 0;
  nlohmann::json axis_values = nlohmann::json::object();  // {axis key: value}
  std::string label;                 // "eta=0.001 lambda=0.01" (+ " replica=2")
  ResolvedJob job;
};

/// Every configuration of `grid`, validated by `kind` (InputError names the grid's source, the configuration and
/// the key). Two configurations with the same settings (e.g. an axis listing a value twice) are refused.
std::vector<SweepConfiguration> expand_grid(const GridConfig& grid, const JobKind& kind);

/// The id of a configuration: 16 hex digits of a 64-bit hash of its kind and result-relevant settings.
std::string configuration_id(const std::string& kind, const nlohmann::json& result_relevant);

}  // namespace idealgas
