#include "idealgas/simulate/iso_config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/checked.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/suggest.hpp"
#include "idealgas/theory/ideal_gas.hpp"

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

// Keys of both forms (model, run), of the grid form, of the point form, and by the schedule that uses them.
const std::set<std::string> kCommonKeys = {"d",        "sigma2",     "seed",          "threads", "checkpoint_seconds",
                                           "schedule", "iterations", "log_stride",    "rotate_entropy"};
const std::set<std::string> kGridKeys = {"grid", "protocols", "eta", "eta_eff", "lambda", "radius"};
const std::set<std::string> kPointKeys = {"protocol", "eta", "eta_eff", "lambda", "radius"};
// Settings that change no number of a run.
const char* const kNotResultRelevant[] = {"threads", "checkpoint_seconds", "protocols"};

enum class Form { grid, point };
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
  // Last: cheap checks first, so that absurd sizes (d = 6.6e18, which costs the Bessel moments seconds under the
  // sanitizers: fuzz_iso_config) are refused by the memory bound before the closed forms are evaluated.
  require_closed_forms_defined();
}

void IsoConfig::require_closed_forms_defined() const {
  // Every result row carries the closed-form predictions at its hyperparameters; where they underflow or overflow
  // (eta = lambda = 1e-300: T = 0) the run could not be summarised, so refuse it before anything is written. The
  // predictions are monotone in each hyperparameter, so the grid's corners are the extremes.
  for (Protocol p : protocols) {
    const LogRange& first = p == Protocol::fixed_lr ? eta : eta_eff;
    const LogRange& second = p == Protocol::fixed_sphere ? radius : lambda;
    for (double a : {first.lo, first.hi})
      for (double b : {second.lo, second.hi}) {
        const ProtocolParams params = ProtocolParams::make(p, a, b);
        try {
          const theory::StationaryState s = theory::stationary_state(p, theory::stationary_inputs(params, d, sigma2));
          for (double v : {s.T, s.U, s.S})  // lr, elr: r; sphere: lambda_eff (the other one is NaN by design)
            if (!std::isfinite(v)) throw InputError(fmt::format("T, U or S is {}", v));
          if (std::isinf(s.r) || std::isinf(s.lambda_eff)) throw InputError("r or lambda_eff is infinite");
        } catch (const InputError& e) {
          throw InputError(fmt::format("{} with {} = {}, {} = {}, d = {}, sigma2 = {} is outside the range of the closed "
                                       "forms every result is compared with ({}); choose less extreme values",
                                       protocol_name(p), p == Protocol::fixed_lr ? "eta" : "eta_eff", a,
                                       p == Protocol::fixed_sphere ? "radius" : "lambda", b, d, sigma2, e.what()));
        }
      }
  }
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
  for (const char* key : kNotResultRelevant) j.erase(key);
  return j;
}

IsoConfig IsoConfig::from_toml_file(const std::string& path) {
  return from_toml_string(read_file(path), path);
}

namespace {

toml::table parse_toml(const std::string& toml_text, const std::string& source) {
  try {
    return toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: not valid TOML: {}", source, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
}

// The protocol's two hyperparameter keys in grid order.
std::pair<const char*, const char*> hyperparameter_keys(Protocol p) {
  switch (p) {
    case Protocol::fixed_lr: return {"eta", "lambda"};
    case Protocol::fixed_elr: return {"eta_eff", "lambda"};
    case Protocol::fixed_sphere: return {"eta_eff", "radius"};
  }
  return {"", ""};
}

IsoConfig read_config(const toml::table& table, const std::string& source, Form form) {
  IsoConfig c;
  IsoSchedule& s = c.schedule;
  constexpr long long kMaxLong = std::numeric_limits<long long>::max();
  constexpr long long kMaxIterations = IsoSchedule::kMaxIterations;  // fuzz_iso_config: 2^63 - 1 wrapped sums
  // The schedule decides which keys are valid, and the protocol which hyperparameters, so read them first.
  if (const toml::node* node = table.get("schedule")) s.kind = parse_schedule(get_string(*node, "schedule", source));
  Protocol point_protocol = Protocol::fixed_lr;
  if (form == Form::point) {
    const toml::node* node = table.get("protocol");
    if (!node)
      throw InputError(fmt::format("{}: missing key 'protocol': one configuration names its protocol (lr, elr or "
                                   "sphere) and its two hyperparameters, e.g. protocol = \"lr\", eta = 0.01, "
                                   "lambda = 0.001",
                                   source));
    try {
      point_protocol = parse_protocol(get_string(*node, "protocol", source));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: key 'protocol': {}", source, e.what()));
    }
  }
  const std::set<std::string>& form_keys = form == Form::grid ? kGridKeys : kPointKeys;
  const std::set<std::string>& own = s.kind == ScheduleKind::paper ? kPaperKeys : kDynamicsKeys;
  const std::set<std::string>& other = s.kind == ScheduleKind::paper ? kDynamicsKeys : kPaperKeys;
  std::set<std::string> known_set(kCommonKeys);
  known_set.insert(form_keys.begin(), form_keys.end());
  known_set.insert(own.begin(), own.end());
  const std::vector<std::string> known(known_set.begin(), known_set.end());
  const auto [first_key, second_key] = hyperparameter_keys(point_protocol);
  double first = kNaN, second = kNaN;
  for (auto&& [key_view, node] : table) {
    const std::string key(key_view.str());
    if (other.count(key))
      throw InputError(fmt::format("{}: key '{}' belongs to schedule = '{}', but this config uses schedule = '{}'",
                                   source, key, schedule_name(s.kind == ScheduleKind::paper ? ScheduleKind::dynamics
                                                                                            : ScheduleKind::paper),
                                   schedule_name(s.kind)));
    if (!known_set.count(key)) {
      const std::string hint =
          form == Form::point && kGridKeys.count(key)
              ? " (one configuration has no grid or protocol list: give protocol and its two hyperparameters)"
              : did_you_mean(key, known);
      throw InputError(fmt::format("{}: unknown key '{}'{}; valid keys are: {}", source, key, hint,
                                   fmt::join(known, ", ")));
    }
    if (key == "d") c.d = get_int(node, key, source, 2, kMaxLong);
    else if (key == "sigma2") c.sigma2 = get_double(node, key, source);
    else if (key == "seed") c.seed = static_cast<std::uint64_t>(get_int(node, key, source, 0, kMaxLong));
    else if (key == "grid") c.grid = static_cast<int>(get_int(node, key, source, 1, IsoConfig::kMaxGrid));
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
    } else if (key == "protocol") continue;  // read above
    else if (form == Form::point && kPointKeys.count(key)) {
      if (key != first_key && key != second_key)
        throw InputError(fmt::format("{}: key '{}' is not a hyperparameter of protocol '{}', which takes {} and {}",
                                     source, key, protocol_name(point_protocol), first_key, second_key));
      (key == first_key ? first : second) = get_double(node, key, source);
    } else if (key == "eta") c.eta = get_range(node, key, source);
    else if (key == "eta_eff") c.eta_eff = get_range(node, key, source);
    else if (key == "lambda") c.lambda = get_range(node, key, source);
    else if (key == "radius") c.radius = get_range(node, key, source);
    else if (key == "checkpoint_seconds") c.checkpoint_seconds = get_double(node, key, source);
    else if (key == "schedule") continue;  // read above
    else if (key == "iterations") s.iterations = get_int(node, key, source, 1, kMaxIterations);
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
    else if (key == "max_iterations") s.max_iterations = get_int(node, key, source, 1, kMaxIterations);
  }
  if (form == Form::point) {
    for (const auto& [name, value] : {std::pair{first_key, first}, std::pair{second_key, second}})
      if (std::isnan(value))
        throw InputError(fmt::format("{}: missing key '{}': protocol '{}' takes {} and {}", source, name,
                                     protocol_name(point_protocol), first_key, second_key));
    try {
      ProtocolParams::make(point_protocol, first, second);  // positive and finite
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", source, e.what()));
    }
    c.grid = 1;
    c.protocols = {point_protocol};
    if (point_protocol == Protocol::fixed_lr) c.eta = {first, first};
    else c.eta_eff = {first, first};
    if (point_protocol == Protocol::fixed_sphere) c.radius = {second, second};
    else c.lambda = {second, second};
  }
  // Values that read fine one by one but not together (ranges, schedule arithmetic, memory, the closed forms'
  // range): named with the file they came from, like every error above.
  try {
    c.validate();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", source, e.what()));
  }
  return c;
}

}  // namespace

IsoConfig IsoConfig::from_toml_string(const std::string& toml_text, const std::string& source) {
  return read_config(parse_toml(toml_text, source), source, Form::grid);
}

IsoConfig IsoConfig::point_from_toml_file(const std::string& path) {
  return point_from_toml_string(read_file(path), path);
}

IsoConfig IsoConfig::point_from_toml_string(const std::string& toml_text, const std::string& source) {
  return read_config(parse_toml(toml_text, source), source, Form::point);
}

IsoConfig IsoConfig::point_or_grid_from_toml_string(const std::string& toml_text, const std::string& source) {
  const toml::table table = parse_toml(toml_text, source);
  return read_config(table, source, table.contains("protocol") ? Form::point : Form::grid);
}

bool IsoConfig::is_point() const {
  if (grid != 1 || protocols.size() != 1) return false;
  const Protocol p = protocols.front();
  const LogRange first = p == Protocol::fixed_lr ? eta : eta_eff;
  const LogRange second = p == Protocol::fixed_sphere ? radius : lambda;
  return first.lo == first.hi && second.lo == second.hi;
}

nlohmann::json IsoConfig::point_json() const {
  IDEALGAS_ASSERT(is_point(), "point_json of a grid config");
  nlohmann::json j = to_json();
  for (const std::string& key : kGridKeys) j.erase(key);
  const Protocol p = protocols.front();
  const auto [first_key, second_key] = hyperparameter_keys(p);
  j["protocol"] = protocol_name(p);
  j[first_key] = (p == Protocol::fixed_lr ? eta : eta_eff).lo;
  j[second_key] = (p == Protocol::fixed_sphere ? radius : lambda).lo;
  return j;
}

nlohmann::json IsoConfig::point_result_relevant_json() const {
  nlohmann::json j = point_json();
  for (const char* key : kNotResultRelevant) j.erase(key);
  return j;
}

}  // namespace idealgas
