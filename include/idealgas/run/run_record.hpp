// The record a run keeps in its folder (run.json: the effective configuration, the build, start times), and the
// rule that keeps a folder consistent (docs/outputs.md): a run resumes or merges only into a folder whose recorded
// result-relevant settings equal its own; otherwise it is refused before anything is written. Shared by every job
// that owns a results folder (reproduce iso, simulate iso).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace idealgas {

/// The current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now_iso8601();

/// Reads a JSON object from `path`. Throws IoError naming the file (and `hint`, the way out) if it cannot be read
/// or is not a JSON object.
nlohmann::json read_json_object(const std::filesystem::path& path,
                                const std::string& hint = "it is not a record idealgas wrote (or was damaged): move "
                                                          "it out of the folder, or choose another output folder");

/// True if `out`/run.json is a record idealgas wrote for `job` ("reproduce iso", "simulate iso"): a JSON object with
/// that "job" and a "build". What --restart requires before it removes anything (core/run_folder.hpp).
bool holds_own_run_record(const std::filesystem::path& out, const std::string& job);

/// Checks `out`/run.json (if any) against this run: its "config" restricted to the keys of `result_relevant` (the
/// settings that change a number; threads and the like are left out by the caller) must equal `result_relevant`.
/// Throws InputError listing every differing key and the way out (another folder, or --restart) otherwise.
/// Returns the old record (an empty object if there is none).
nlohmann::json check_run_record(const std::filesystem::path& out, const nlohmann::json& result_relevant);

}  // namespace idealgas
