#include "idealgas/simulate/iso_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {

void require_at_least(const char* name, long long value, long long min) {
  if (value < min) throw InputError(fmt::format("{} must be an integer >= {}, got {}", name, min, value));
}

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

// Readers that name the key and the expected type.
double get_double(const toml::node& node, const std::string& key, const std::string& source) {
  if (auto v = node.value<double>()) return *v;  // integers convert too
  throw InputError(fmt::format("{}: key '{}' must be a number, got a {}", source, key, toml_type_name(node)));
}

long long get_int(const toml::node& node, const std::string& key, const std::string& source) {
  if (node.is_integer()) return node.value<long long>().value();
  throw InputError(fmt::format("{}: key '{}' must be an integer, got a {}", source, key, toml_type_name(node)));
}

bool get_bool(const toml::node& node, const std::string& key, const std::string& source) {
  if (node.is_boolean()) return node.value<bool>().value();
  throw InputError(fmt::format("{}: key '{}' must be true or false, got a {}", source, key, toml_type_name(node)));
}

LogRange get_range(const toml::node& node, const std::string& key, const std::string& source) {
  const toml::array* arr = node.as_array();
  if (!arr || arr->size() != 2 || !(*arr)[0].value<double>() || !(*arr)[1].value<double>())
    throw InputError(fmt::format("{}: key '{}' must be a two-number array [low, high], e.g. [1e-3, 1e-1]",
                                 source, key));
  return {(*arr)[0].value<double>().value(), (*arr)[1].value<double>().value()};
}

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

IsoSchedule IsoSchedule::scaled_to(long long new_iterations) const {
  IsoSchedule s = *this;
  if (new_iterations <= 0 || iterations <= 0) {
    s.iterations = new_iterations;  // validate() reports it
    return s;
  }
  const double f = static_cast<double>(new_iterations) / static_cast<double>(iterations);
  s.iterations = new_iterations;
  s.stationary_logs = std::max<long long>(1, std::llround(static_cast<double>(stationary_logs) * f));
  s.entropy_stride = std::max<long long>(1, std::llround(static_cast<double>(entropy_stride) * f));
  return s;
}

IsoConfig IsoConfig::resolved() const {
  IsoConfig c = *this;
  if (c.schedule.queue_stride == kAutoQueueStride)
    c.schedule.queue_stride = c.d <= 3 ? kPaperQueueStride
                                       : std::max<long long>(1, c.schedule.iterations / (2 * std::max<long long>(
                                                                                              1, c.schedule.queue_size)));
  return c;
}

void IsoConfig::validate() const {
  require_dimension("d", d);
  require_positive("sigma2", sigma2);
  require_at_least("grid", grid, 1);
  if (threads < 0) throw InputError(fmt::format("threads must be >= 0 (0 = all cores), got {}", threads));
  if (protocols.empty()) throw InputError("protocols must name at least one of lr, elr, sphere");
  require_range("eta", eta);
  require_range("eta_eff", eta_eff);
  require_range("lambda", lambda);
  require_range("radius", radius);
  require_non_negative("checkpoint_seconds", checkpoint_seconds);
  const IsoSchedule& s = schedule;
  require_at_least("iterations", s.iterations, 1);
  require_at_least("log_stride", s.log_stride, 1);
  require_at_least("stationary_logs", s.stationary_logs, 1);
  require_at_least("queue_size", s.queue_size, 2);
  require_at_least("queue_stride", s.queue_stride, 0);  // 0 = auto, see resolved()
  require_at_least("entropy_stride", s.entropy_stride, 1);
  require_at_least("entropy_window", s.entropy_window, 1);
  if (s.stationary_start() < 0)
    throw InputError(fmt::format(
        "the stationary window (stationary_logs {} x log_stride {} = {} iterations) is longer than the run "
        "(iterations {}); lower stationary_logs or raise iterations",
        s.stationary_logs, s.log_stride, s.stationary_logs * s.log_stride, s.iterations));
  if (s.first_entropy_iteration() < s.queue_size * resolved().schedule.queue_stride)
    throw InputError(fmt::format(
        "the first entropy estimate of the window (iteration {} = iterations - (entropy_window - 1) x "
        "entropy_stride) comes before the queue is full (queue_size {} x queue_stride {} = {} iterations); "
        "raise iterations or lower entropy_window, entropy_stride, queue_size or queue_stride",
        s.first_entropy_iteration(), s.queue_size, resolved().schedule.queue_stride,
        s.queue_size * resolved().schedule.queue_stride));
}

nlohmann::json IsoConfig::to_json() const {
  nlohmann::json protos = nlohmann::json::array();
  for (Protocol p : protocols) protos.push_back(protocol_name(p));
  const IsoSchedule& s = schedule;
  return {
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
      {"iterations", s.iterations},
      {"log_stride", s.log_stride},
      {"stationary_logs", s.stationary_logs},
      {"queue_size", s.queue_size},
      {"queue_stride", s.queue_stride},
      {"entropy_stride", s.entropy_stride},
      {"entropy_window", s.entropy_window},
      {"rotate_entropy", s.rotate_entropy},
  };
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
  static const std::set<std::string> kKeys = {
      "d", "sigma2", "seed", "grid", "threads", "protocols", "eta", "eta_eff", "lambda", "radius",
      "checkpoint_seconds", "iterations", "log_stride", "stationary_logs", "queue_size", "queue_stride",
      "entropy_stride", "entropy_window", "rotate_entropy"};
  for (auto&& [key_view, node] : table) {
    const std::string key(key_view.str());
    if (!kKeys.count(key))
      throw InputError(fmt::format("{}: unknown key '{}'; valid keys are: {}", source, key,
                                   fmt::join(kKeys, ", ")));
    if (key == "d") c.d = get_int(node, key, source);
    else if (key == "sigma2") c.sigma2 = get_double(node, key, source);
    else if (key == "seed") {
      const long long seed = get_int(node, key, source);
      if (seed < 0) throw InputError(fmt::format("{}: seed must be >= 0, got {}", source, seed));
      c.seed = static_cast<std::uint64_t>(seed);
    } else if (key == "grid") c.grid = static_cast<int>(get_int(node, key, source));
    else if (key == "threads") c.threads = static_cast<int>(get_int(node, key, source));
    else if (key == "protocols") {
      const toml::array* arr = node.as_array();
      if (!arr) throw InputError(fmt::format("{}: key 'protocols' must be an array like [\"lr\", \"elr\"]", source));
      c.protocols.clear();
      for (auto&& p : *arr) {
        if (!p.is_string())
          throw InputError(fmt::format("{}: 'protocols' entries must be strings: lr, elr or sphere", source));
        c.protocols.push_back(parse_protocol(p.value<std::string>().value()));
      }
    } else if (key == "eta") c.eta = get_range(node, key, source);
    else if (key == "eta_eff") c.eta_eff = get_range(node, key, source);
    else if (key == "lambda") c.lambda = get_range(node, key, source);
    else if (key == "radius") c.radius = get_range(node, key, source);
    else if (key == "checkpoint_seconds") c.checkpoint_seconds = get_double(node, key, source);
    else if (key == "iterations") s.iterations = get_int(node, key, source);
    else if (key == "log_stride") s.log_stride = get_int(node, key, source);
    else if (key == "stationary_logs") s.stationary_logs = get_int(node, key, source);
    else if (key == "queue_size") s.queue_size = get_int(node, key, source);
    else if (key == "queue_stride") s.queue_stride = get_int(node, key, source);
    else if (key == "entropy_stride") s.entropy_stride = get_int(node, key, source);
    else if (key == "entropy_window") s.entropy_window = get_int(node, key, source);
    else if (key == "rotate_entropy") s.rotate_entropy = get_bool(node, key, source);
  }
  return c;
}

}  // namespace idealgas
