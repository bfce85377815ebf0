// A run folder of `idealgas reproduce iso` (docs/outputs.md) read back for the report: run.json (config,
// build), the headline DIR/checks.json, and per protocol summary.csv and the full <protocol>/checks.json.
// Everything is read and validated before anything is drawn, so a bad folder fails with one line and leaves
// nothing behind.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/report/summary_csv_reader.hpp"

namespace idealgas {

struct IsoProtocolRun {
  Protocol protocol = Protocol::fixed_lr;
  SummaryCsv summary;
  nlohmann::json checks;  // <protocol>/checks.json (V1-V4 in full); null if the file is absent
};

struct IsoRunFolder {
  std::filesystem::path dir;
  nlohmann::json run;       // run.json as written
  long long d = 3;          // from run.json's config
  double sigma2 = 1.0;      // from run.json's config
  nlohmann::json headline;  // DIR/checks.json; null if absent
  std::vector<IsoProtocolRun> protocols;  // those with a summary.csv, in the order lr, elr, sphere
  std::vector<std::string> notes;         // what is missing or unusual, for the page

  /// The protocol's run, or nullptr if the folder has none.
  const IsoProtocolRun* find(Protocol p) const;
};

/// `run.json`'s "job" for the isotropic reproduction.
inline constexpr const char* kIsoJobName = "reproduce iso";

/// Throws InputError (one line naming the path and what was expected) if `dir` is missing, is not a
/// `reproduce iso` run folder, has no finished protocol grid, or holds a file that does not parse.
IsoRunFolder load_iso_run_folder(const std::filesystem::path& dir);

}  // namespace idealgas
