#include "idealgas/simulate/iso_config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/checked.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/suggest.hpp"

namespace idealgas {

namespace {

void require_range(const char* name, LogRange r) {
  require_positive(fmt::format("{} lower end", name), r.lo);
  require_positive(fmt::format("{} upper end", name), r.hi);
  if (!(r.lo <= r.hi))
    throw InputError(fmt::format("{} range must have lower end <= upper end, got [{}, {}]", name, r.lo, r.hi));
}

std::string toml_type_name(const toml::node& node) {
  std::ostringstream ss;
  ss << node.type();
  return ss.str();
}

// Readers that name the key and the expected type. A number is read exactly as written: integers as 64-bit
// integers (toml++ rejects literals beyond them), never truncated to int.
double get_double(const toml::node& node, const std::string& key, const std::string& source) {
  if (node.is_floating_point()) return node.value<double>().value();
  if (node.is_integer()) {
    const long long v = node.value<long long>().value();
    const double d = static_cast<double>(v);
    constexpr double kTwoTo63 = 9223372036854775808.0;  // casting it (or more) to long long would be UB
    if (d >= kTwoTo63 || static_cast<long long>(d) != v)
      throw InputError(fmt::format("{}: key '{}' = {} is not exactly representable as a double; write it as a float",
                                   source, key, v));
    return d;
  }
  throw InputError(fmt::format("{}: key '{}' must be a number, got a {}", source, key, toml_type_name(node)));
}

long long get_int(const toml::node& node, const std::string& key, const std::string& source, long long min,
                  long long max) {
  if (!node.is_integer())
    throw InputError(fmt::format("{}: key '{}' must be an integer, got a {}", source, key, toml_type_name(node)));
  const long long v = node.value<long long>().value();
  if (v < min || v > max)
    throw InputError(fmt::format("{}: key '{}' must be an integer in [{}, {}], got {}", source, key, min, max, v));
  return v;
}

bool get_bool(const toml::node& node, const std::string& key, const std::string& source) {
  if (node.is_boolean()) return node.value<bool>().value();
  throw InputError(fmt::format("{}: key '{}' must be true or false, got a {}", source, key, toml_type_name(node)));
}

std::string get_string(const toml::node& node, const std::string& key, const std::string& source) {
  if (node.is_string()) return node.value<std::string>().value();
  throw InputError(fmt::format("{}: key '{}' must be a string, got a {}", source, key, toml_type_name(node)));
}

LogRange get_range(const toml::node& node, const std::string& key, const std::string& source) {
  const toml::array* arr = node.as_array();
  if (!arr || arr->size() != 2 || !(*arr)[0].is_number() || !(*arr)[1].is_number())
    throw InputError(fmt::format("{}: key '{}' must be a two-number array [low, high], e.g. [1e-3, 1e-1]",
                                 source, key));
  return {get_double((*arr)[0], key, source), get_double((*arr)[1], key, source)};
}

// Keys by the schedule that uses them.
const std::set<std::string> kCommonKeys = {"d", "sigma2", "seed", "grid", "threads", "protocols", "eta", "eta_eff",
                                           "lambda", "radius", "checkpoint_seconds", "schedule", "iterations",
                                           "log_stride", "rotate_entropy"};
const std::set<std::string> kPaperKeys = {"stationary_logs", "queue_size", "queue_stride", "entropy_stride",
                                          "entropy_window"};
const std::set<std::string> kDynamicsKeys = {"burn_in_relaxations", "window_relaxations", "snapshot_relaxations",
                                             "snapshots", "se_blocks", "batches", "max_iterations"};

}  // namespace

std::vector<double> log_spaced(LogRange range, int n) {
  IDEALGAS_ASSERT(n >= 1, "log_spaced needs n >= 1");
  std::vector<double> v(static_cast<std::size_t>(n));
  const double a = std::log10(range.lo), b = std::log10(range.hi);
  for (int k = 0; k < n; ++k) v[k] = n == 1 ? range.lo : std::pow(10.0, a + (b - a) * k / (n - 1));
  // Endpoints exactly as given, so that a configuration has the same hyperparameter bits (hence the same
  // noise stream) in any grid that shares the value.
  v.front() = range.lo;
  if (n > 1) v.back() = range.hi;
  return v;
}

void IsoConfig::validate() const {
  require_dimension("d", d);
  require_positive("sigma2", sigma2);
  if (grid < 1 || grid > kMaxGrid)
    throw InputError(fmt::format("grid must be an integer in [1, {}], got {}", kMaxGrid, grid));
  if (threads < 0) throw InputError(fmt::format("threads must be >= 0 (0 = all cores), got {}", threads));
  if (protocols.empty()) throw InputError("protocols must name at least one of lr, elr, sphere");
  require_range("eta", eta);
  require_range("eta_eff", eta_eff);
  require_range("lambda", lambda);
  require_range("radius", radius);
  require_non_negative("checkpoint_seconds", checkpoint_seconds);
  validate_schedule(schedule);
  // Every configuration of a grid holds its snapshot queue at the end of the run: refuse what cannot fit, before
  // anything runs (an allocation failure deep inside the parallel loop would be no way to say it).
  const long long queue = schedule.kind == ScheduleKind::paper ? schedule.queue_size : schedule.snapshots;
  const long long walkers = static_cast<long long>(grid) * grid;
  // In doubles: the product of absurd values must give this message, not an overflow.
  const double bytes = static_cast<double>(walkers) * static_cast<double>(queue) * static_cast<double>(d) * 8.0;
  if (bytes > static_cast<double>(kMaxQueueBytes))
    throw InputError(fmt::format("grid {} x {} with d = {} needs {:.3g} GB of snapshot queues ({} snapshots of {} "
                                 "doubles per configuration), more than the {} GB this job allows; lower d, grid or "
                                 "the number of snapshots",
                                 grid, grid, d, bytes / 1e9, queue, d, kMaxQueueBytes / 1'000'000'000));
}

nlohmann::json IsoConfig::to_json() const {
  nlohmann::json protos = nlohmann::json::array();
  for (Protocol p : protocols) protos.push_back(protocol_name(p));
  const IsoSchedule& s = schedule;
  nlohmann::json j = {
      {"d", d},
      {"sigma2", sigma2},
      {"seed", seed},
      {"grid", grid},
      {"threads", threads},
      {"protocols", protos},
      {"eta", {eta.lo, eta.hi}},
      {"eta_eff", {eta_eff.lo, eta_eff.hi}},
      {"lambda", {lambda.lo, lambda.hi}},
      {"radius", {radius.lo, radius.hi}},
      {"checkpoint_seconds", checkpoint_seconds},
      {"schedule", schedule_name(s.kind)},
      {"iterations", s.iterations},
      {"log_stride", s.log_stride},
      {"rotate_entropy", s.rotate_entropy},
  };
  if (s.kind == ScheduleKind::paper) {
    j["stationary_logs"] = s.stationary_logs;
    j["queue_size"] = s.queue_size;
    j["queue_stride"] = s.queue_stride;
    j["entropy_stride"] = s.entropy_stride;
    j["entropy_window"] = s.entropy_window;
  } else {
    j["burn_in_relaxations"] = s.burn_in_relaxations;
    j["window_relaxations"] = s.window_relaxations;
    j["snapshot_relaxations"] = s.snapshot_relaxations;
    j["snapshots"] = s.snapshots;
    j["se_blocks"] = s.se_blocks;
    j["batches"] = s.batches;
    j["max_iterations"] = s.max_iterations;
  }
  return j;
}

nlohmann::json IsoConfig::result_relevant_json() const {
  nlohmann::json j = to_json();
  for (const char* key : {"threads", "checkpoint_seconds", "protocols"}) j.erase(key);
  return j;
}

IsoConfig IsoConfig::from_toml_file(const std::string& path) {
  return from_toml_string(read_file(path), path);
}

IsoConfig IsoConfig::from_toml_string(const std::string& toml_text, const std::string& source) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: not valid TOML: {}", source, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  IsoConfig c;
  IsoSchedule& s = c.schedule;
  constexpr long long kMaxLong = std::numeric_limits<long long>::max();
  // The schedule decides which keys are valid, so read it first.
  if (const toml::node* node = table.get("schedule")) s.kind = parse_schedule(get_string(*node, "schedule", source));
  const std::set<std::string>& own = s.kind == ScheduleKind::paper ? kPaperKeys : kDynamicsKeys;
  const std::set<std::string>& other = s.kind == ScheduleKind::paper ? kDynamicsKeys : kPaperKeys;
  std::vector<std::string> known(kCommonKeys.begin(), kCommonKeys.end());
  known.insert(known.end(), own.begin(), own.end());
  for (auto&& [key_view, node] : table) {
    const std::string key(key_view.str());
    if (other.count(key))
      throw InputError(fmt::format("{}: key '{}' belongs to schedule = '{}', but this config uses schedule = '{}'",
                                   source, key, schedule_name(s.kind == ScheduleKind::paper ? ScheduleKind::dynamics
                                                                                            : ScheduleKind::paper),
                                   schedule_name(s.kind)));
    if (!kCommonKeys.count(key) && !own.count(key))
      throw InputError(fmt::format("{}: unknown key '{}'{}; valid keys are: {}", source, key,
                                   did_you_mean(key, known), fmt::join(known, ", ")));
    if (key == "d") c.d = get_int(node, key, source, 2, kMaxLong);
    else if (key == "sigma2") c.sigma2 = get_double(node, key, source);
    else if (key == "seed") c.seed = static_cast<std::uint64_t>(get_int(node, key, source, 0, kMaxLong));
    else if (key == "grid") c.grid = static_cast<int>(get_int(node, key, source, 1, kMaxGrid));
    else if (key == "threads") c.threads = static_cast<int>(get_int(node, key, source, 0, 4096));
    else if (key == "protocols") {
      const toml::array* arr = node.as_array();
      if (!arr) throw InputError(fmt::format("{}: key 'protocols' must be an array like [\"lr\", \"elr\"]", source));
      c.protocols.clear();
      for (auto&& p : *arr) {
        if (!p.is_string())
          throw InputError(fmt::format("{}: 'protocols' entries must be strings: lr, elr or sphere", source));
        const Protocol proto = parse_protocol(p.value<std::string>().value());
        if (std::find(c.protocols.begin(), c.protocols.end(), proto) != c.protocols.end())
          throw InputError(fmt::format("{}: 'protocols' lists {} twice", source, protocol_name(proto)));
        c.protocols.push_back(proto);
      }
    } else if (key == "eta") c.eta = get_range(node, key, source);
    else if (key == "eta_eff") c.eta_eff = get_range(node, key, source);
    else if (key == "lambda") c.lambda = get_range(node, key, source);
    else if (key == "radius") c.radius = get_range(node, key, source);
    else if (key == "checkpoint_seconds") c.checkpoint_seconds = get_double(node, key, source);
    else if (key == "schedule") continue;  // read above
    else if (key == "iterations") s.iterations = get_int(node, key, source, 1, kMaxLong);
    else if (key == "log_stride") s.log_stride = get_int(node, key, source, 1, kMaxLong);
    else if (key == "rotate_entropy") s.rotate_entropy = get_bool(node, key, source);
    else if (key == "stationary_logs") s.stationary_logs = get_int(node, key, source, 1, kMaxLong);
    else if (key == "queue_size") s.queue_size = get_int(node, key, source, 2, kMaxLong);
    else if (key == "queue_stride") s.queue_stride = get_int(node, key, source, 1, kMaxLong);
    else if (key == "entropy_stride") s.entropy_stride = get_int(node, key, source, 1, kMaxLong);
    else if (key == "entropy_window") s.entropy_window = get_int(node, key, source, 1, kMaxLong);
    else if (key == "burn_in_relaxations") s.burn_in_relaxations = get_double(node, key, source);
    else if (key == "window_relaxations") s.window_relaxations = get_double(node, key, source);
    else if (key == "snapshot_relaxations") s.snapshot_relaxations = get_double(node, key, source);
    else if (key == "snapshots") s.snapshots = get_int(node, key, source, 4, kMaxLong);
    else if (key == "se_blocks") s.se_blocks = get_int(node, key, source, 2, kMaxLong);
    else if (key == "batches") s.batches = get_int(node, key, source, 2, kMaxLong);
    else if (key == "max_iterations") s.max_iterations = get_int(node, key, source, 1, kMaxLong);
  }
  return c;
}

}  // namespace idealgas
