#include "idealgas/sweep/grid_config.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "idealgas/analyse/paper_table4.hpp"
#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/checked.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/interrupt.hpp"
#include "idealgas/core/rng.hpp"
#include "idealgas/core/suggest.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/simulate/iso_config.hpp"

namespace idealgas {

namespace {

const std::vector<std::string> kTopKeys = {"kind", "description", "replicas", "preset", "paper_setup", "base", "axis"};
const std::vector<std::string> kAxisKeys = {"key", "log", "linear", "values"};
constexpr long long kMaxReplicas = 10'000;
// Part of a replica's seed key, so that replica seeds never coincide with another purpose's streams.
constexpr std::uint64_t kReplicaSeedTag = 0x7265706c696361ULL;  // "replica"

std::string type_name(const nlohmann::json& v) {
  if (v.is_object()) return "table";
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "float";
  return "null";
}

void require_known_keys(const nlohmann::json& object, const std::vector<std::string>& known, const std::string& where) {
  for (auto it = object.begin(); it != object.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      throw InputError(fmt::format("{}: unknown key '{}'{}; valid keys are: {}", where, it.key(),
                                   did_you_mean(it.key(), known), fmt::join(known, ", ")));
}

std::string get_string(const nlohmann::json& v, const std::string& where, const std::string& key) {
  if (!v.is_string())
    throw InputError(fmt::format("{}: key '{}' must be a string, got a {} ({})", where, key, type_name(v),
                                 toml_value_text(v)));
  return v.get<std::string>();
}

// A number exactly as written: a TOML integer must be exactly a double.
double get_number(const nlohmann::json& v, const std::string& where, const std::string& what) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) throw InputError(fmt::format("{}: {} must be finite, got {}", where, what, toml_value_text(v)));
    return d;
  }
  if (v.is_number_integer()) {
    const long long i = v.get<long long>();
    const double d = static_cast<double>(i);
    constexpr double kTwoTo63 = 9223372036854775808.0;  // casting it (or more) to long long would be UB
    if (d >= kTwoTo63 || static_cast<long long>(d) != i)
      throw InputError(fmt::format("{}: {} = {} is not exactly a double; write it as a float", where, what, i));
    return d;
  }
  throw InputError(fmt::format("{}: {} must be a number, got a {} ({})", where, what, type_name(v),
                               toml_value_text(v)));
}

// [lo, hi, n] of a log or linear axis.
std::vector<nlohmann::json> spaced_values(const nlohmann::json& spec, bool log, const std::string& where) {
  const char* name = log ? "log" : "linear";
  if (!spec.is_array() || spec.size() != 3)
    throw InputError(fmt::format("{}: '{}' must be [low, high, count], e.g. {} = [1e-3, 1e-1, 17], got {}", where,
                                 name, name, toml_value_text(spec)));
  const double lo = get_number(spec[0], where, fmt::format("{} low end", name));
  const double hi = get_number(spec[1], where, fmt::format("{} high end", name));
  if (!spec[2].is_number_integer() || spec[2].get<long long>() < 1 ||
      spec[2].get<long long>() > GridConfig::kMaxAxisValues)
    throw InputError(fmt::format("{}: the count of '{}' must be an integer in [1, {}], got {}", where, name,
                                 GridConfig::kMaxAxisValues, toml_value_text(spec[2])));
  const int n = static_cast<int>(spec[2].get<long long>());
  if (log && !(lo > 0.0 && hi > 0.0))
    throw InputError(fmt::format("{}: a log axis needs positive ends, got [{}, {}]", where, lo, hi));
  if (n == 1 ? lo != hi : !(lo < hi))
    throw InputError(fmt::format("{}: '{}' needs low < high for several values (low = high for one), got [{}, {}, {}]",
                                 where, name, lo, hi, n));
  std::vector<nlohmann::json> out;
  if (log) {
    for (double v : log_spaced(LogRange{lo, hi}, n)) out.emplace_back(v);
  } else {
    for (int k = 0; k < n; ++k) out.emplace_back(k == n - 1 ? hi : lo + (hi - lo) * k / (n - 1));
  }
  return out;
}

GridAxis read_axis(const nlohmann::json& a, const std::string& where) {
  if (!a.is_object())
    throw InputError(fmt::format("{}: each axis is a table ([[axis]] key = \"eta\", log = [1e-3, 1e-1, 17]), got {}",
                                 where, toml_value_text(a)));
  require_known_keys(a, kAxisKeys, where);
  if (!a.contains("key")) throw InputError(fmt::format("{}: missing 'key', the config key the axis varies", where));
  GridAxis axis;
  axis.key = get_string(a.at("key"), where, "key");
  if (axis.key.empty() || axis.key.front() == '.' || axis.key.back() == '.' ||
      axis.key.find("..") != std::string::npos)
    throw InputError(fmt::format("{}: key \"{}\" is not a config key (e.g. \"eta\" or \"protocol.eta_eff\")", where,
                                 axis.key));
  const std::string at = fmt::format("{} (axis '{}')", where, axis.key);
  int specs = 0;
  for (const char* s : {"log", "linear", "values"}) specs += a.contains(s) ? 1 : 0;
  if (specs != 1)
    throw InputError(fmt::format("{}: give exactly one of log = [low, high, count], linear = [low, high, count] or "
                                 "values = [...]",
                                 at));
  if (a.contains("log") || a.contains("linear")) {
    const bool log = a.contains("log");
    const nlohmann::json& spec = a.at(log ? "log" : "linear");
    axis.values = spaced_values(spec, log, at);
    axis.spec = fmt::format("{} = {}", log ? "log" : "linear", toml_value_text(spec));
  } else {
    const nlohmann::json& values = a.at("values");
    if (!values.is_array() || values.empty() || values.size() > static_cast<std::size_t>(GridConfig::kMaxAxisValues))
      throw InputError(fmt::format("{}: 'values' must be a non-empty array of at most {} values, got {}", at,
                                   GridConfig::kMaxAxisValues, toml_value_text(values)));
    for (const nlohmann::json& v : values) {
      if (v.is_object() || v.is_array())
        throw InputError(fmt::format("{}: 'values' holds numbers, strings or booleans, got {}", at, toml_value_text(v)));
      if (v.is_number_float() && !std::isfinite(v.get<double>()))
        throw InputError(fmt::format("{}: 'values' must be finite, got {}", at, toml_value_text(v)));
      axis.values.push_back(v);
    }
    axis.spec = "values = " + toml_value_text(values);
  }
  return axis;
}

// Sets `value` at the dotted `key` of `config`, creating tables on the way.
void set_dotted(nlohmann::json& config, const std::string& key, const nlohmann::json& value, const std::string& where) {
  nlohmann::json* node = &config;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      (*node)[part] = value;
      return;
    }
    nlohmann::json& next = (*node)[part];
    if (next.is_null()) next = nlohmann::json::object();
    if (!next.is_object())
      throw InputError(fmt::format("{}: key '{}' goes through '{}', which the base sets to a value, not a table", where,
                                   key, key.substr(0, dot)));
    node = &next;
    start = dot + 1;
  }
}

// FNV-1a, 64 bits, then a mixer: stable across machines and builds.
std::uint64_t hash64(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

}  // namespace

GridConfig GridConfig::from_toml_string(const std::string& toml_text, const std::string& source) {
  const nlohmann::json doc = toml_text_to_json(toml_text, source);
  require_known_keys(doc, kTopKeys, source);
  GridConfig g;
  g.source = source;
  g.text = toml_text;
  if (!doc.contains("kind"))
    throw InputError(fmt::format("{}: missing key 'kind': the job kind every configuration runs (iso or train)", source));
  g.kind = get_string(doc.at("kind"), source, "kind");
  if (doc.contains("description")) g.description = get_string(doc.at("description"), source, "description");
  if (doc.contains("preset")) g.preset = get_string(doc.at("preset"), source, "preset");
  if (doc.contains("paper_setup")) {
    g.paper_setup = get_string(doc.at("paper_setup"), source, "paper_setup");
    try {
      paper_table4(g.paper_setup, Protocol::fixed_lr);  // a known setup
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", source, e.what()));
    }
  }
  if (doc.contains("replicas")) {
    const nlohmann::json& r = doc.at("replicas");
    if (!r.is_number_integer() || r.get<long long>() < 1 || r.get<long long>() > kMaxReplicas)
      throw InputError(fmt::format("{}: key 'replicas' must be an integer in [1, {}], got {}", source, kMaxReplicas,
                                   toml_value_text(r)));
    g.replicas = r.get<long long>();
  }
  if (doc.contains("base")) {
    if (!doc.at("base").is_object())
      throw InputError(fmt::format("{}: 'base' must be a table ([base]) of the kind's config keys, got {}", source,
                                   toml_value_text(doc.at("base"))));
    g.base = doc.at("base");
  }
  if (doc.contains("axis")) {
    const nlohmann::json& axes = doc.at("axis");
    if (!axes.is_array())
      throw InputError(fmt::format("{}: 'axis' must be an array of tables ([[axis]] ...), got {}", source,
                                   toml_value_text(axes)));
    for (std::size_t k = 0; k < axes.size(); ++k) {
      GridAxis axis = read_axis(axes[k], fmt::format("{} [[axis]] #{}", source, k + 1));
      for (const GridAxis& other : g.axes) {
        const auto prefix_of = [](const std::string& a, const std::string& b) {
          return b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '.';
        };
        if (other.key == axis.key || prefix_of(other.key, axis.key) || prefix_of(axis.key, other.key))
          throw InputError(fmt::format("{}: axes '{}' and '{}' set the same key; give each key one axis", source,
                                       other.key, axis.key));
      }
      g.axes.push_back(std::move(axis));
    }
  }
  g.size();  // throws if the product is too large
  return g;
}

GridConfig GridConfig::from_toml_file(const std::string& path) { return from_toml_string(read_file(path), path); }

long long GridConfig::size() const {
  long long n = replicas;
  for (const GridAxis& a : axes) {
    n = checked_mul<long long>("the number of configurations", n, static_cast<long long>(a.values.size()));
    if (n > kMaxConfigurations)
      throw InputError(fmt::format("{}: the grid has more than {} configurations (axes x replicas); split it", source,
                                   kMaxConfigurations));
  }
  return n;
}

std::string configuration_id(const std::string& kind, const nlohmann::json& result_relevant) {
  return fmt::format("{:016x}", hash64(kind + "\n" + result_relevant.dump()));
}

std::vector<SweepConfiguration> expand_grid(const GridConfig& grid, const JobKind& kind) {
  if (!grid.preset.empty() && !kind.has_presets())
    throw InputError(fmt::format("{}: key 'preset': jobs of kind '{}' have no presets; put the settings in [base]",
                                 grid.source, kind.name()));
  for (const GridAxis& a : grid.axes)
    if (a.key == kind.seed_key() && grid.replicas > 1)
      throw InputError(fmt::format("{}: an axis over '{}' and replicas = {} both set the seed; use one of them",
                                   grid.source, a.key, grid.replicas));
  const long long n = grid.size();
  std::vector<SweepConfiguration> out;
  out.reserve(static_cast<std::size_t>(n));
  std::map<std::string, long long> by_id;
  std::uint64_t master_seed = 0;
  for (long long k = 0; k < n; ++k) {
    // A grid of 10^6 configurations takes a minute to plan: a signal stops it (nothing is written before the plan).
    if (interrupt_requested())
      throw Interrupted(fmt::format("{} received while planning the grid ({} of {} configurations); nothing written",
                                    interrupt_signal_name(), k, n));
    SweepConfiguration c;
    c.index = k;
    c.replica = k % grid.replicas;
    nlohmann::json config = grid.base;
    long long rest = k / grid.replicas;
    std::vector<std::size_t> index(grid.axes.size());
    for (std::size_t a = grid.axes.size(); a-- > 0;) {
      const long long size = static_cast<long long>(grid.axes[a].values.size());
      index[a] = static_cast<std::size_t>(rest % size);
      rest /= size;
    }
    std::vector<std::string> parts;
    for (std::size_t a = 0; a < grid.axes.size(); ++a) {
      const nlohmann::json& v = grid.axes[a].values[index[a]];
      set_dotted(config, grid.axes[a].key, v, grid.source);
      c.axis_values[grid.axes[a].key] = v;
      parts.push_back(grid.axes[a].key + "=" + toml_value_text(v));
    }
    if (c.replica > 0) {
      // Independent of every other replica: a seed derived from the configuration's own (replica 0's).
      const std::uint64_t seed = derive_stream_key(master_seed, {kReplicaSeedTag, static_cast<std::uint64_t>(c.replica)}) &
                                 static_cast<std::uint64_t>(std::numeric_limits<long long>::max());
      set_dotted(config, kind.seed_key(), static_cast<long long>(seed), grid.source);
      parts.push_back(fmt::format("replica={}", c.replica));
    }
    c.label = parts.empty() ? "base" : fmt::format("{}", fmt::join(parts, " "));
    c.job = kind.resolve(config, grid.preset, fmt::format("{} (configuration {}: {})", grid.source, k, c.label));
    if (c.replica == 0) master_seed = c.job.seed;
    c.id = configuration_id(kind.name(), c.job.result_relevant);
    if (const auto [it, fresh] = by_id.emplace(c.id, k); !fresh)
      throw InputError(fmt::format("{}: configurations {} ({}) and {} ({}) have the same settings; list each axis "
                                   "value once",
                                   grid.source, it->second, out[static_cast<std::size_t>(it->second)].label, k,
                                   c.label));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace idealgas
