#include "idealgas/run/run_record.hpp"

#include <ctime>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas {

namespace fs = std::filesystem;

std::string utc_now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

nlohmann::json read_json_object(const fs::path& path, const std::string& hint) {
  const nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw IoError(fmt::format("{} is not a valid JSON object; {}", path.string(), hint));
  return j;
}

bool holds_own_run_record(const fs::path& out, const std::string& job) {
  try {
    const nlohmann::json j = read_json_object(out / "run.json");
    return j.value("job", nlohmann::json()) == job && j.contains("build");
  } catch (const Error&) {
    return false;  // missing, unreadable or not JSON: not a record of ours
  }
}

nlohmann::json check_run_record(const fs::path& out, const nlohmann::json& now) {
  const fs::path record = out / "run.json";
  if (!fs::exists(record)) return nlohmann::json::object();
  const nlohmann::json old = read_json_object(record);
  const nlohmann::json old_config = old.value("config", nlohmann::json::object());
  nlohmann::json before = nlohmann::json::object();
  if (old_config.is_object())
    for (auto it = old_config.begin(); it != old_config.end(); ++it)
      if (now.contains(it.key())) before[it.key()] = it.value();
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

}  // namespace idealgas
