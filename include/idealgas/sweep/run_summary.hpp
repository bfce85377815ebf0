// The result of one run folder, whatever job wrote it: summary.json as `simulate iso` and `idealgas train` both
// write it ({"status": "finished" | "diverged", "divergence", "protocol", "hyperparameters", "d", "stationary":
// {...}}), read into a StationaryRow whose state variables are completed where the job did not write them
// (networks: the hyperparameter columns, P = lambda or lambda_eff, V = r^2/2 from the measured radius, Z with its
// SE), so that every grid analysis reads one kind of row.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_table.hpp"
#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

struct RunSummary {
  std::string status;      // "finished" or "diverged"
  std::string divergence;  // diverged: what went wrong
  ProtocolParams protocol;
  long long d = 0;
  StationaryRow row;       // i = j = 0; NaN where a diverged run measured nothing
  nlohmann::json json;     // summary.json as written
};

/// Parses a summary.json object. Throws InputError naming `source`, the key and what is expected.
RunSummary parse_run_summary(const nlohmann::json& summary, const std::string& source);

/// Reads and parses `file` (IoError if it cannot be read, InputError if it is not such a summary).
RunSummary read_run_summary(const std::filesystem::path& file);

}  // namespace idealgas
