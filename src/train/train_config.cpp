#include "idealgas/train/train_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/crc32.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/suggest.hpp"
#include "idealgas/core/rng.hpp"
#include "idealgas/measure/knn_exact.hpp"
#include "idealgas/train/train_presets.hpp"

namespace idealgas::train {

namespace {

// Bounds that keep every schedule product inside 64 bits and catch typos (a run of 10^13 iterations would take
// longer than anyone waits).
constexpr long long kMaxIterations = 10'000'000'000'000LL;
constexpr long long kMaxCount = 1'000'000'000LL;  // strides, sizes, per-class counts
constexpr long long kMaxLogPoints = 1'000'000;
constexpr long long kMaxBatch = 1 << 20;
constexpr long long kMaxThreads = 4096;
constexpr double kDefaultHeadNormCe = 10.0, kDefaultHeadNormMse = 1.5;  // docs/paper-setup.md §2
constexpr int kChannelsLastFromWidth = 8;

const std::map<std::string, std::vector<std::string>>& known_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"model",
       {"arch", "width", "practical", "head_norm", "loss", "channels_last", "path", "si_parameters", "si_rtol", "trust", "d",
        "sigma2", "depth"}},
      {"data",
       {"dataset", "path", "train_per_class", "test_per_class", "random_crop", "synthetic_shape", "synthetic_classes",
        "synthetic_train", "synthetic_test"}},
      {"protocol", {"name", "eta", "eta_eff", "lambda", "radius"}},
      {"train",
       {"iterations", "batch_size", "seed", "seed_data", "seed_init", "seed_head", "seed_sgd", "threads",
        "interop_threads", "device", "checkpoint_seconds", "min_radius", "max_radius"}},
      {"measure",
       {"running_stride", "log_dense_stride", "log_dense_until", "log_points", "eval_chunk", "test_metrics",
        "stationary_fraction", "fresh_batches", "queue_size", "queue_stride", "decorrelated_queue_size",
        "decorrelated_queue_stride", "entropy_k"}},
  };
  return keys;
}

std::vector<std::string> all_dotted_keys() {
  std::vector<std::string> out;
  for (const auto& [section, keys] : known_keys())
    for (const std::string& k : keys) out.push_back(section + "." + k);
  return out;
}

std::string origin(const toml::node& node, const std::string& fallback) {
  const auto& path = node.source().path;
  if (!path) return fallback;
  if (node.source().begin.line > 0 && path->rfind("--set", 0) != 0)
    return fmt::format("{}:{}", *path, node.source().begin.line);
  return *path;
}

std::string type_name(const toml::node& node) {
  std::ostringstream ss;
  ss << node.type();
  return ss.str();
}

std::string as_written(const toml::node& node) {
  std::ostringstream ss;
  node.visit([&](auto&& n) {
    if constexpr (toml::is_string<decltype(n)>) ss << '\'' << n.get() << '\'';
    else if constexpr (toml::is_number<decltype(n)> || toml::is_boolean<decltype(n)>) ss << n.get();
    else ss << "a " << n.type();
  });
  return ss.str();
}

// Typed readers: one line naming the key, where it came from, what was written and what is accepted.
class Reader {
 public:
  Reader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}

  const toml::node* find(const std::string& section, const std::string& key) const {
    const toml::table* t = root_[section].as_table();
    return t ? t->get(key) : nullptr;
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& key, const std::string& what) const {
    throw InputError(fmt::format("{}: {} = {}: {}", origin(node, source_), key, as_written(node), what));
  }
  bool get(const std::string& section, const std::string& key, long long lo, long long hi, long long& out) const {
    const toml::node* n = find(section, key);
    if (!n) return false;
    const std::string name = section + "." + key;
    if (!n->is_integer()) fail(*n, name, fmt::format("must be an integer in {}..{}, got a {}", lo, hi, type_name(*n)));
    const long long v = n->value<long long>().value();
    if (v < lo || v > hi) fail(*n, name, fmt::format("must be an integer in {}..{}", lo, hi));
    out = v;
    return true;
  }
  bool get(const std::string& section, const std::string& key, double& out) const {
    const toml::node* n = find(section, key);
    if (!n) return false;
    const std::string name = section + "." + key;
    if (n->is_integer()) {
      const long long v = n->value<long long>().value();
      const double dv = static_cast<double>(v);
      // An integer that a double cannot hold exactly would be rounded: refuse instead.
      if (!(std::fabs(dv) < 9.2e18) || static_cast<long long>(dv) != v)
        fail(*n, name, "is an integer that a double cannot represent exactly; write it as a float");
      out = dv;
      return true;
    }
    if (!n->is_floating_point()) fail(*n, name, fmt::format("must be a number, got a {}", type_name(*n)));
    out = n->value<double>().value();
    if (!std::isfinite(out)) fail(*n, name, "must be finite");
    return true;
  }
  bool get(const std::string& section, const std::string& key, bool& out) const {
    const toml::node* n = find(section, key);
    if (!n) return false;
    if (!n->is_boolean()) fail(*n, section + "." + key, fmt::format("must be true or false, got a {}", type_name(*n)));
    out = n->value<bool>().value();
    return true;
  }
  bool get(const std::string& section, const std::string& key, std::string& out) const {
    const toml::node* n = find(section, key);
    if (!n) return false;
    if (!n->is_string()) fail(*n, section + "." + key, fmt::format("must be a string, got a {}", type_name(*n)));
    out = n->value<std::string>().value();
    return true;
  }
  bool get_seed(const std::string& section, const std::string& key, std::uint64_t& out) const {
    long long v = 0;
    if (!get(section, key, 0, std::numeric_limits<long long>::max(), v)) return false;
    out = static_cast<std::uint64_t>(v);
    return true;
  }
  bool get_shape(const std::string& section, const std::string& key, std::vector<long long>& out) const {
    const toml::node* n = find(section, key);
    if (!n) return false;
    const std::string name = section + "." + key;
    const toml::array* a = n->as_array();
    if (!a || a->size() != 3)
      fail(*n, name, "must be an array of three integers [channels, height, width], e.g. [1, 28, 28]");
    out.clear();
    for (const toml::node& e : *a) {
      if (!e.is_integer()) fail(*n, name, "must be an array of three integers [channels, height, width]");
      out.push_back(e.value<long long>().value());
    }
    return true;
  }
  bool get_strings(const std::string& section, const std::string& key, std::vector<std::string>& out) const {
    const toml::node* n = find(section, key);
    if (!n) return false;
    const std::string name = section + "." + key;
    const toml::array* a = n->as_array();
    if (!a) fail(*n, name, "must be an array of strings, e.g. [\"conv1.weight\", \"conv2.weight\"]");
    out.clear();
    for (const toml::node& e : *a) {
      if (!e.is_string()) fail(*n, name, fmt::format("must be an array of strings, got an element of type {}", type_name(e)));
      out.push_back(e.value<std::string>().value());
    }
    return true;
  }
  const std::string& source() const { return source_; }

 private:
  const toml::table& root_;
  std::string source_;
};

void check_known_keys(const toml::table& root, const std::string& source) {
  const auto& keys = known_keys();
  std::vector<std::string> sections;
  for (const auto& [s, _] : keys) sections.push_back(s);
  for (auto&& [section_view, node] : root) {
    const std::string section(section_view.str());
    const auto it = keys.find(section);
    if (it == keys.end() || !node.is_table()) {
      const std::string where = origin(node, source);
      if (it == keys.end())
        throw InputError(fmt::format("{}: unknown setting '{}'{}; settings live in the sections [model], [data], "
                                     "[protocol], [train], [measure] (docs/train.md)",
                                     where, section, did_you_mean(section, all_dotted_keys())));
      throw InputError(fmt::format("{}: '{}' must be a section ([{}]) of keys, got a {}", where, section, section,
                                   type_name(node)));
    }
    for (auto&& [key_view, value] : *node.as_table()) {
      const std::string key(key_view.str());
      if (std::find(it->second.begin(), it->second.end(), key) == it->second.end())
        throw InputError(fmt::format("{}: unknown key '{}.{}'{}; valid keys of [{}]: {}", origin(value, source),
                                     section, key, did_you_mean(section + "." + key, all_dotted_keys()), section,
                                     fmt::join(it->second, ", ")));
    }
  }
}

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: not valid TOML: {}", source, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
}

// JSON escapes are valid TOML basic-string escapes; invalid UTF-8 becomes U+FFFD rather than an exception.
std::string quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A layer that changes protocol.name starts the [protocol] section afresh: the hyperparameters below it belong to
// another protocol (e.g. a fixed-ELR preset's eta_eff under --set protocol.name=lr), and the new protocol's
// must then be given with it.
void reset_protocol_if_renamed(toml::table& base, const toml::node* new_name) {
  const toml::table* protocol = base["protocol"].as_table();
  if (!protocol || !new_name) return;
  const auto old_name = (*protocol)["name"].value<std::string>();
  const auto name = new_name->value<std::string>();
  if (old_name && name && *old_name != *name) base.insert_or_assign("protocol", toml::table{});
}

// Likewise a layer that changes model.arch starts the [model] section afresh: a preset's width or head norm
// belongs to its built-in architecture (e.g. under --set model.arch=torchscript).
void reset_model_if_arch_changed(toml::table& base, const toml::node* new_arch) {
  const toml::table* model = base["model"].as_table();
  if (!model || !new_arch) return;
  const auto old_arch = (*model)["arch"].value<std::string>();
  const auto arch = new_arch->value<std::string>();
  if (old_arch && arch && *old_arch != *arch) base.insert_or_assign("model", toml::table{});
}

// Moves every node of `over` into `base` (nodes keep their source, for messages); tables merge key by key.
void merge_into(toml::table& base, toml::table& over) {
  if (const toml::table* p = over["protocol"].as_table()) reset_protocol_if_renamed(base, p->get("name"));
  if (const toml::table* m = over["model"].as_table()) reset_model_if_arch_changed(base, m->get("arch"));
  for (auto&& [key, node] : over) {
    if (node.is_table() && base[key].is_table()) {
      merge_into(*base[key].as_table(), *node.as_table());
      continue;
    }
    node.visit([&, k = std::string(key.str())](auto&& n) { base.insert_or_assign(k, std::move(n)); });
  }
}

// One --set: section.key=value; the value in TOML syntax, or a bare word taken as a string.
void apply_set(toml::table& root, const std::string& assignment) {
  const std::size_t eq = assignment.find('=');
  const std::string where = fmt::format("--set {}", assignment);
  if (eq == std::string::npos)
    throw InputError(fmt::format("{}: expected section.key=value, e.g. --set protocol.eta_eff=0.01", where));
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  const std::size_t dot = key.find('.');
  if (dot == std::string::npos || key.find('.', dot + 1) != std::string::npos)
    throw InputError(fmt::format("{}: the key must be section.key (one dot), e.g. train.iterations{}", where,
                                 did_you_mean(key, all_dotted_keys())));
  const std::string section = key.substr(0, dot), name = key.substr(dot + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value, where);
  } catch (const toml::parse_error& e) {
    // What starts like a number and is not TOML (an integer past 2^63, "1e") is that number written wrong: say why.
    if (!value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '+' || value[0] == '-' ||
                           value[0] == '.'))
      throw InputError(fmt::format("{}: '{}' is not a TOML number: {}", where, value, e.description()));
    // A bare word (--set protocol.name=lr) is a string; anything else that is not TOML is refused below by type.
    parsed = toml::parse("v = " + quote(value), where);
  }
  if (parsed.size() != 1 || !parsed.get("v"))  // e.g. a value with a newline and a [table] after it
    throw InputError(fmt::format("{}: the value must be one TOML value, e.g. 0.01, 5000, true or \"text\"", where));
  if (section == "protocol" && name == "name") reset_protocol_if_renamed(root, parsed.get("v"));
  if (section == "model" && name == "arch") reset_model_if_arch_changed(root, parsed.get("v"));
  if (!root[section].is_table()) root.insert_or_assign(section, toml::table{});
  toml::table* t = root[section].as_table();
  parsed.get("v")->visit([&](auto&& n) { t->insert_or_assign(name, std::move(n)); });
}

// CRC-32 (zlib) of a whole file; IoError naming model.path if it cannot be read.
std::uint32_t file_crc32(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(fmt::format("model.path = '{}': {}; save your module with torch.jit.script(model).save(path)", path,
                              std::filesystem::exists(path, ec) ? "is not a regular file" : "does not exist"));
  return crc32_of(read_file(path, max_binary_file_bytes()));
}

void require_range(const std::string& name, long long v, long long lo, long long hi) {
  if (v < lo || v > hi) throw InputError(fmt::format("{} must be an integer in {}..{}, got {}", name, lo, hi, v));
}


std::uint64_t role_key(std::uint64_t master, StreamPurpose p, const std::optional<std::uint64_t>& given) {
  // A given role seed replaces the master seed for that role; the purpose still separates the streams.
  return derive_stream_key(given ? *given : master, {static_cast<std::uint64_t>(p), given ? 1ULL : 0ULL});
}

}  // namespace

ProtocolParams TrainConfig::protocol_params() const {
  const Protocol p = parse_protocol(protocol);
  return ProtocolParams::make(p, p == Protocol::fixed_lr ? eta : eta_eff,
                              p == Protocol::fixed_sphere ? radius : lambda);
}

std::uint64_t TrainConfig::data_key() const { return role_key(run.seed, StreamPurpose::network_data, run.seed_data); }
std::uint64_t TrainConfig::init_key() const { return role_key(run.seed, StreamPurpose::network_init, run.seed_init); }
std::uint64_t TrainConfig::head_key() const { return role_key(run.seed, StreamPurpose::network_head, run.seed_head); }
// The random streams of the dynamics (batches, crops, fresh measurement batches) also derive from the configuration's
// protocol and hyperparameters, as the isotropic simulator's noise does: the configurations of a grid share the
// initial point, the head and the data (the paper's convention) but not their noise, so that each row's error is its
// own and a grid's rows are independent measurements (with one stream for all, every row of a grid moved together:
// a 5 x 5 grid of the isotropic model gave sigma2 equal to 5e-6 in every row and Table 4 fits with residuals 1e-8).
std::uint64_t TrainConfig::dynamics_key(std::uint64_t role) const {
  const ProtocolParams p = protocol_params();
  return derive_stream_key(role, {static_cast<std::uint64_t>(p.kind), double_bits(p.first()), double_bits(p.second())});
}
std::uint64_t TrainConfig::sgd_key() const {
  return dynamics_key(role_key(run.seed, StreamPurpose::network_sgd, run.seed_sgd));
}
std::uint64_t TrainConfig::augment_key() const {
  return dynamics_key(role_key(run.seed, StreamPurpose::network_augment, run.seed_sgd));
}
std::uint64_t TrainConfig::measure_key() const {
  return dynamics_key(role_key(run.seed, StreamPurpose::network_measure, run.seed_sgd));
}

long long stationary_start(const RunConfig& run, const MeasureConfig& m) {
  return run.iterations - std::llround(m.stationary_fraction * static_cast<double>(run.iterations));
}

std::vector<long long> log_schedule(const RunConfig& run, const MeasureConfig& m) {
  std::vector<long long> points;
  const long long dense_end = std::min(m.log_dense_until, run.iterations);
  for (long long t = m.log_dense_stride; t <= dense_end; t += m.log_dense_stride) points.push_back(t);
  if (m.log_points > 0 && run.iterations > dense_end) {
    const double a = std::log(static_cast<double>(std::max<long long>(dense_end, 1)));
    const double b = std::log(static_cast<double>(run.iterations));
    for (long long j = 1; j <= m.log_points; ++j) {
      const double x = m.log_points == 1 ? b : a + (b - a) * static_cast<double>(j) / static_cast<double>(m.log_points);
      points.push_back(std::clamp<long long>(std::llround(std::exp(x)), 1, run.iterations));
    }
  }
  points.push_back(run.iterations);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

void TrainConfig::validate() const {
  if (model.width < 1 || model.width > (1 << 16))
    throw InputError(fmt::format("model.width must be an integer in 1..65536, got {}", model.width));
  require_positive("model.head_norm", model.head_norm);
  if (model.arch == Architecture::mlp && (model.depth < 1 || model.depth > kMaxMlpDepth))
    throw InputError(fmt::format("model.depth must be an integer in 1..{}, got {}", kMaxMlpDepth, model.depth));
  if (model.arch == Architecture::torchscript) {
    if (model.script_path.empty())
      throw InputError("model.path must name the module saved with torch.jit.script(model).save(path) when "
                       "model.arch = torchscript");
    if (model.channels_last)
      throw InputError("model.channels_last = true is not available with model.arch = torchscript (the module's "
                       "layout is its own)");
    NetworkSpec probe = model;  // names and tolerance; channels and classes come from the dataset
    probe.in_channels = 1;
    probe.classes = 2;
    train::validate(probe);
  }
  if (model.arch == Architecture::isotropic) train::validate(model);
  const ProtocolParams p = protocol_params();
  (void)p;

  if (data.dataset != "fashion-mnist" && data.dataset != "cifar10" && data.dataset != "cifar100" &&
      data.dataset != "synthetic")
    throw InputError(fmt::format("data.dataset must be fashion-mnist, cifar10, cifar100 or synthetic, got '{}'{}",
                                 data.dataset,
                                 did_you_mean(data.dataset, {"fashion-mnist", "cifar10", "cifar100", "synthetic"})));
  if ((data.dataset == "cifar10" || data.dataset == "cifar100") && data.path.empty())
    throw InputError(fmt::format("data.path must name the folder of the {} binary files (no default location; "
                                 "see docs/train.md for where to get them)",
                                 data.dataset));
  require_range("data.train_per_class", data.train_per_class, 0, kMaxCount);
  require_range("data.test_per_class", data.test_per_class, 0, kMaxCount);
  if (data.dataset == "synthetic") {
    if (data.synthetic_shape.size() != 3)
      throw InputError("data.synthetic_shape must be [channels, height, width]");
    require_range("data.synthetic_shape channels", data.synthetic_shape[0], 1, 4);
    require_range("data.synthetic_shape height", data.synthetic_shape[1], 1, 32);
    require_range("data.synthetic_shape width", data.synthetic_shape[2], 1, 32);
    if ((32 - data.synthetic_shape[1]) % 2 != 0 || (32 - data.synthetic_shape[2]) % 2 != 0)
      throw InputError(fmt::format("data.synthetic_shape height and width must be even (they are centred on a 32x32 "
                                   "canvas), got {}x{}",
                                   data.synthetic_shape[1], data.synthetic_shape[2]));
    require_range("data.synthetic_classes", data.synthetic_classes, 2, 256);
    require_range("data.synthetic_train", data.synthetic_train, 1, 10'000'000);
    require_range("data.synthetic_test", data.synthetic_test, 1, 10'000'000);
  }

  require_range("train.iterations", run.iterations, 1, kMaxIterations);
  require_range("train.batch_size", run.batch_size, 1, kMaxBatch);
  require_range("train.threads", run.threads, 1, kMaxThreads);
  require_range("train.interop_threads", run.interop_threads, 1, kMaxThreads);
  if (!(run.device == "cpu" || run.device == "cuda" ||
        (run.device.rfind("cuda:", 0) == 0 && run.device.size() > 5 && run.device.size() <= 8 &&
         run.device.find_first_not_of("0123456789", 5) == std::string::npos)))
    throw InputError(fmt::format("train.device must be cpu, cuda or cuda:N, got '{}'", run.device));
  require_non_negative("train.checkpoint_seconds", run.checkpoint_seconds);
  require_positive("train.min_radius", run.min_radius);
  require_positive("train.max_radius", run.max_radius);
  if (!(run.min_radius < run.max_radius))
    throw InputError(fmt::format("train.min_radius ({}) must be below train.max_radius ({})", run.min_radius,
                                 run.max_radius));
  const double r0 = parse_protocol(protocol) == Protocol::fixed_sphere ? radius : 1.0;
  if (!(r0 > run.min_radius && r0 < run.max_radius))
    throw InputError(fmt::format("the initial radius {} lies outside (train.min_radius, train.max_radius) = ({}, {})",
                                 r0, run.min_radius, run.max_radius));

  const MeasureConfig& m = measure;
  require_range("measure.running_stride", m.running_stride, 1, kMaxCount);
  require_range("measure.log_dense_stride", m.log_dense_stride, 1, kMaxIterations);
  require_range("measure.log_dense_until", m.log_dense_until, 0, kMaxIterations);
  require_range("measure.log_points", m.log_points, 0, kMaxLogPoints);
  if (std::min(m.log_dense_until, run.iterations) / m.log_dense_stride > kMaxLogPoints)
    throw InputError(fmt::format("measure.log_dense_until / measure.log_dense_stride = {} dense log points, more than "
                                 "{}; raise log_dense_stride",
                                 std::min(m.log_dense_until, run.iterations) / m.log_dense_stride, kMaxLogPoints));
  require_range("measure.eval_chunk", m.eval_chunk, 1, kMaxBatch);
  if (!(m.stationary_fraction > 0.0 && m.stationary_fraction <= 1.0))
    throw InputError(fmt::format("measure.stationary_fraction must be in (0, 1], got {}", m.stationary_fraction));
  require_range("measure.fresh_batches", m.fresh_batches, 0, kMaxCount);
  if (m.fresh_batches == 1) throw InputError("measure.fresh_batches must be 0 (off) or >= 2 (a variance needs two)");
  // The fresh-batch estimator costs fresh_batches passes at every log point; the paper's 4000 at its 201 log points
  // of 10^6 steps cost 0.8 steps' worth per step. More than 10 per step is a typo, not a measurement (issue 18:
  // 20000 took 80 s per log point, 10^9 would take days), refused before anything runs.
  if (m.fresh_batches > 0) {
    const long long points = static_cast<long long>(log_schedule(run, m).size());
    if (m.fresh_batches * points > 10 * run.iterations)
      throw InputError(fmt::format("measure.fresh_batches = {} at {} log points is {} extra forward/backward passes, more "
                                   "than 10 times the run's {} training steps; lower it (the paper's 4000 at 201 log "
                                   "points of 10^6 steps is 0.8 times)",
                                   m.fresh_batches, points, m.fresh_batches * points, run.iterations));
  }
  require_range("measure.queue_size", m.queue_size, 0, kMaxCount);
  if (m.queue_size == 1) throw InputError("measure.queue_size must be 0 (no entropy) or >= 2");
  // The estimator needs k neighbours besides each snapshot, in both queues.
  for (const auto& [key, size] : {std::pair<const char*, long long>{"measure.queue_size", m.queue_size},
                                  {"measure.decorrelated_queue_size", m.decorrelated_queue_size}})
    if (size > 0 && size <= m.entropy_k)
      throw InputError(fmt::format("{} = {} must exceed measure.entropy_k = {} (or be 0)", key, size, m.entropy_k));
  require_range("measure.queue_stride", m.queue_stride, 1, kMaxCount);
  require_range("measure.decorrelated_queue_size", m.decorrelated_queue_size, 0, kMaxCount);
  if (m.decorrelated_queue_size == 1) throw InputError("measure.decorrelated_queue_size must be 0 (= queue_size) or >= 2");
  require_range("measure.decorrelated_queue_stride", m.decorrelated_queue_stride, 0, kMaxCount);
  require_range("measure.entropy_k", m.entropy_k, 1, kMaxNeighbours);

  const long long window = run.iterations - stationary_start(run, m);
  if (window < 2 * m.running_stride)
    throw InputError(fmt::format("the stationary window (measure.stationary_fraction {} of {} iterations = {}) must "
                                 "hold at least two running blocks of measure.running_stride = {} iterations",
                                 m.stationary_fraction, run.iterations, window, m.running_stride));
  if (m.queue_size > 0) {
    const long long n2 = m.decorrelated_queue_size > 0 ? m.decorrelated_queue_size : m.queue_size;
    if (m.decorrelated_queue_stride == 0 && window / n2 < 1)
      throw InputError(fmt::format("the decorrelated entropy queue ({} snapshots) does not fit into the stationary "
                                   "window of {} iterations; lower measure.decorrelated_queue_size",
                                   n2, window));
  }
}

nlohmann::json TrainConfig::to_json() const {
  auto opt = [](const std::optional<std::uint64_t>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); };
  nlohmann::json proto = {{"name", protocol}};
  const Protocol p = parse_protocol(protocol);
  if (p == Protocol::fixed_lr) proto["eta"] = eta;
  else proto["eta_eff"] = eta_eff;
  if (p == Protocol::fixed_sphere) proto["radius"] = radius;
  else proto["lambda"] = lambda;
  // A TorchScript module has no width or head norm: its [model] section holds what it uses.
  nlohmann::json model_json =
      model.arch == Architecture::isotropic
          ? nlohmann::json{{"arch", architecture_name(model.arch)}, {"d", model.iso_d}, {"sigma2", model.iso_sigma2}}
      : model.arch == Architecture::torchscript
          ? nlohmann::json{{"arch", architecture_name(model.arch)}, {"path", model.script_path},
                           {"si_parameters", model.si_parameters}, {"si_rtol", model.si_rtol}, {"trust", model.trust},
                           {"practical", model.practical}, {"loss", loss_name(model.loss)}}
          : nlohmann::json{{"arch", architecture_name(model.arch)}, {"width", model.width},
                           {"practical", model.practical}, {"head_norm", model.head_norm},
                           {"loss", loss_name(model.loss)}, {"channels_last", model.channels_last}};
  if (model.arch == Architecture::mlp) model_json["depth"] = model.depth;
  return {
      {"model", model_json},
      {"data",
       {{"dataset", data.dataset}, {"path", data.path}, {"train_per_class", data.train_per_class},
        {"test_per_class", data.test_per_class}, {"random_crop", data.random_crop},
        {"synthetic_shape", data.synthetic_shape}, {"synthetic_classes", data.synthetic_classes},
        {"synthetic_train", data.synthetic_train}, {"synthetic_test", data.synthetic_test}}},
      {"protocol", proto},
      {"train",
       {{"iterations", run.iterations}, {"batch_size", run.batch_size}, {"seed", run.seed},
        {"seed_data", opt(run.seed_data)}, {"seed_init", opt(run.seed_init)}, {"seed_head", opt(run.seed_head)},
        {"seed_sgd", opt(run.seed_sgd)}, {"threads", run.threads}, {"interop_threads", run.interop_threads},
        {"device", run.device}, {"checkpoint_seconds", run.checkpoint_seconds}, {"min_radius", run.min_radius},
        {"max_radius", run.max_radius}}},
      {"measure",
       {{"running_stride", measure.running_stride}, {"log_dense_stride", measure.log_dense_stride},
        {"log_dense_until", measure.log_dense_until}, {"log_points", measure.log_points},
        {"eval_chunk", measure.eval_chunk}, {"test_metrics", measure.test_metrics},
        {"stationary_fraction", measure.stationary_fraction}, {"fresh_batches", measure.fresh_batches},
        {"queue_size", measure.queue_size}, {"queue_stride", measure.queue_stride},
        {"decorrelated_queue_size", measure.decorrelated_queue_size},
        {"decorrelated_queue_stride", measure.decorrelated_queue_stride}, {"entropy_k", measure.entropy_k}}},
  };
}

nlohmann::json TrainConfig::result_relevant_json() const {
  nlohmann::json j = to_json();
  j["train"].erase("checkpoint_seconds");
  if (j["model"].contains("trust")) j["model"].erase("trust");  // whether the module's code may reach files: no number
  // The module's file is part of what produced the results: a checkpoint of another file's run is not resumed.
  if (model.arch == Architecture::torchscript) j["model"]["file_crc32"] = file_crc32(model.script_path);
  return j;
}

std::string TrainConfig::to_toml() const {
  // Written by hand from to_json(): fmt's shortest round-trip floats, JSON string escapes (valid TOML), and unset
  // role seeds left out (TOML has no null). Reading the file back gives this config.
  std::string out = "# Effective configuration of an idealgas train run (every setting, defaults included).\n";
  const nlohmann::json j = to_json();
  for (const char* section : {"model", "data", "protocol", "train", "measure"}) {
    out += fmt::format("\n[{}]\n", section);
    for (auto it = j[section].begin(); it != j[section].end(); ++it) {
      const nlohmann::json& v = it.value();
      std::string text;
      if (v.is_null()) continue;
      if (v.is_string()) text = quote(v.get<std::string>());
      else if (v.is_boolean()) text = v.get<bool>() ? "true" : "false";
      else if (v.is_number_float()) {
        text = fmt::format("{}", v.get<double>());
        if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // keep it a TOML float
      } else if (v.is_number_unsigned()) text = fmt::format("{}", v.get<std::uint64_t>());
      else if (v.is_number_integer()) text = fmt::format("{}", v.get<long long>());
      else if (v.is_array()) {
        std::vector<std::string> parts;
        for (const auto& e : v)
          parts.push_back(e.is_string() ? quote(e.get<std::string>()) : fmt::format("{}", e.get<long long>()));
        text = fmt::format("[{}]", fmt::join(parts, ", "));
      }
      out += fmt::format("{} = {}\n", it.key(), text);
    }
  }
  return out;
}

namespace {

TrainConfig from_table(const toml::table& root, const std::string& source) {
  check_known_keys(root, source);
  const Reader r(root, source);
  TrainConfig c;
  std::string s;
  long long v = 0;
  if (r.get("model", "arch", s)) c.model.arch = parse_architecture(s);
  if (r.get("model", "width", 1, 1 << 16, v)) c.model.width = static_cast<int>(v);
  r.get("model", "practical", c.model.practical);
  if (r.get("model", "loss", s)) c.model.loss = parse_loss(s);
  c.model.head_norm = c.model.loss == LossKind::mse ? kDefaultHeadNormMse : kDefaultHeadNormCe;
  r.get("model", "head_norm", c.model.head_norm);
  // channels_last by default where it was measured faster on CPU (bench/README.md: k = 8 -33 %, k = 4 +15 % CPU
  // time per step with oneDNN, 1 thread).
  c.model.channels_last = c.model.width >= kChannelsLastFromWidth;
  r.get("model", "channels_last", c.model.channels_last);
  const bool has_path = r.get("model", "path", c.model.script_path);
  const bool has_si = r.get_strings("model", "si_parameters", c.model.si_parameters);
  const bool has_rtol = r.get("model", "si_rtol", c.model.si_rtol);
  const bool has_trust = r.get("model", "trust", c.model.trust);
  // Exactly the keys of the architecture: a value it does not use is an error, not ignored.
  const bool torchscript = c.model.arch == Architecture::torchscript;
  for (const auto& [key, given] : {std::pair<const char*, bool>{"path", has_path}, {"si_parameters", has_si},
                                   {"si_rtol", has_rtol}, {"trust", has_trust}})
    if (given && !torchscript)
      r.fail(*r.find("model", key), std::string("model.") + key,
             fmt::format("is used only with model.arch = \"torchscript\" (your own module), not {}",
                         architecture_name(c.model.arch)));
  if (torchscript) {
    for (const char* key : {"width", "head_norm", "channels_last"})
      if (const toml::node* n = r.find("model", key))
        r.fail(*n, std::string("model.") + key,
               "is not used with model.arch = \"torchscript\" (the module defines its own architecture)");
    c.model.channels_last = false;
  }
  // The isotropic model (the known answer): its dimension and noise, and none of a network's keys.
  const bool isotropic = c.model.arch == Architecture::isotropic;
  const bool has_d = r.get("model", "d", 2, kMaxIsotropicDimension, v);
  if (has_d) c.model.iso_d = v;
  const bool has_sigma2 = r.get("model", "sigma2", c.model.iso_sigma2);
  for (const auto& [key, given] : {std::pair<const char*, bool>{"d", has_d}, {"sigma2", has_sigma2}})
    if (given && !isotropic)
      r.fail(*r.find("model", key), std::string("model.") + key,
             fmt::format("is used only with model.arch = \"isotropic\" (the isotropic-noise model), not {}",
                         architecture_name(c.model.arch)));
  if (isotropic) {
    for (const char* key : {"width", "head_norm", "channels_last", "practical", "loss"})
      if (const toml::node* n = r.find("model", key))
        r.fail(*n, std::string("model.") + key,
               "is not used with model.arch = \"isotropic\" (a loss on the sphere, not a network)");
    c.model.channels_last = false;
  }

  // The mlp: its depth (a key no other architecture takes), and no layout (its activations are [batch, features]).
  const bool has_depth = r.get("model", "depth", 1, kMaxMlpDepth, v);
  if (has_depth) c.model.depth = static_cast<int>(v);
  if (has_depth && c.model.arch != Architecture::mlp)
    r.fail(*r.find("model", "depth"), "model.depth",
           fmt::format("is used only with model.arch = \"mlp\", not {}", architecture_name(c.model.arch)));
  if (c.model.arch == Architecture::mlp) {  // false is accepted: a run's own config.toml writes every setting
    if (const toml::node* n = r.find("model", "channels_last"); n && c.model.channels_last)
      r.fail(*n, "model.channels_last",
             "must be false with model.arch = \"mlp\" (its activations are [batch, features])");
    c.model.channels_last = false;
  }

  r.get("data", "dataset", c.data.dataset);
  r.get("data", "path", c.data.path);
  r.get("data", "train_per_class", 0, kMaxCount, c.data.train_per_class);
  r.get("data", "test_per_class", 0, kMaxCount, c.data.test_per_class);
  r.get("data", "random_crop", c.data.random_crop);
  r.get_shape("data", "synthetic_shape", c.data.synthetic_shape);
  r.get("data", "synthetic_classes", 2, 256, c.data.synthetic_classes);
  r.get("data", "synthetic_train", 1, 10'000'000, c.data.synthetic_train);
  r.get("data", "synthetic_test", 1, 10'000'000, c.data.synthetic_test);

  // Exactly the protocol's two hyperparameters: a value the protocol does not use is an error, not ignored.
  r.get("protocol", "name", c.protocol);
  const Protocol p = parse_protocol(c.protocol);
  const bool has_eta = r.get("protocol", "eta", c.eta), has_eta_eff = r.get("protocol", "eta_eff", c.eta_eff);
  const bool has_lambda = r.get("protocol", "lambda", c.lambda), has_radius = r.get("protocol", "radius", c.radius);
  const bool need_eta = p == Protocol::fixed_lr, need_radius = p == Protocol::fixed_sphere;
  const auto mismatch = [&](const char* key, bool given, bool needed) {
    if (given == needed) return;
    const char* takes = p == Protocol::fixed_lr ? "eta and lambda"
                        : p == Protocol::fixed_elr ? "eta_eff and lambda" : "eta_eff and radius";
    throw InputError(fmt::format("{}: protocol.{} {} for protocol '{}', which takes protocol.{}", source, key,
                                 given ? "is not used" : "is missing", c.protocol, takes));
  };
  mismatch("eta", has_eta, need_eta);
  mismatch("eta_eff", has_eta_eff, !need_eta);
  mismatch("lambda", has_lambda, !need_radius);
  mismatch("radius", has_radius, need_radius);

  r.get("train", "iterations", 1, kMaxIterations, c.run.iterations);
  r.get("train", "batch_size", 1, kMaxBatch, c.run.batch_size);
  r.get_seed("train", "seed", c.run.seed);
  std::uint64_t seed = 0;
  if (r.get_seed("train", "seed_data", seed)) c.run.seed_data = seed;
  if (r.get_seed("train", "seed_init", seed)) c.run.seed_init = seed;
  if (r.get_seed("train", "seed_head", seed)) c.run.seed_head = seed;
  if (r.get_seed("train", "seed_sgd", seed)) c.run.seed_sgd = seed;
  r.get("train", "threads", 1, kMaxThreads, c.run.threads);
  r.get("train", "interop_threads", 1, kMaxThreads, c.run.interop_threads);
  r.get("train", "device", c.run.device);
  r.get("train", "checkpoint_seconds", c.run.checkpoint_seconds);
  r.get("train", "min_radius", c.run.min_radius);
  r.get("train", "max_radius", c.run.max_radius);

  MeasureConfig& m = c.measure;
  r.get("measure", "running_stride", 1, kMaxCount, m.running_stride);
  r.get("measure", "log_dense_stride", 1, kMaxIterations, m.log_dense_stride);
  r.get("measure", "log_dense_until", 0, kMaxIterations, m.log_dense_until);
  r.get("measure", "log_points", 0, kMaxLogPoints, m.log_points);
  r.get("measure", "eval_chunk", 1, kMaxBatch, m.eval_chunk);
  r.get("measure", "test_metrics", m.test_metrics);
  r.get("measure", "stationary_fraction", m.stationary_fraction);
  r.get("measure", "fresh_batches", 0, kMaxCount, m.fresh_batches);
  r.get("measure", "queue_size", 0, kMaxCount, m.queue_size);
  r.get("measure", "queue_stride", 1, kMaxCount, m.queue_stride);
  r.get("measure", "decorrelated_queue_size", 0, kMaxCount, m.decorrelated_queue_size);
  r.get("measure", "decorrelated_queue_stride", 0, kMaxCount, m.decorrelated_queue_stride);
  r.get("measure", "entropy_k", 1, kMaxNeighbours, m.entropy_k);
  c.validate();
  return c;
}

}  // namespace

TrainConfig TrainConfig::from_toml_string(const std::string& text, const std::string& source) {
  return from_table(parse_toml(text, source), source);
}

TrainConfig TrainConfig::from_preset_and_toml_string(const std::string& preset, const std::string& text,
                                                    const std::string& source) {
  toml::table root;
  if (!preset.empty()) {
    const Preset& p = find_preset(preset);
    root = parse_toml(p.toml, "preset " + p.name);
  }
  toml::table over = parse_toml(text, source);
  merge_into(root, over);
  return from_table(root, source);
}

TrainConfig TrainConfig::load(const std::string& preset, const std::string& toml_path,
                              const std::vector<std::string>& sets) {
  toml::table root;
  std::string source = "defaults";
  if (!preset.empty()) {
    const Preset& p = find_preset(preset);
    root = parse_toml(p.toml, "preset " + p.name);
    source = "preset " + p.name;
  }
  if (!toml_path.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(toml_path, ec))  // a folder cannot be read, a FIFO would block
      throw IoError(fmt::format("config file {} {}; give the path of a TOML file", toml_path,
                                std::filesystem::exists(toml_path, ec) ? "is not a regular file" : "does not exist"));
    toml::table file = parse_toml(read_file(toml_path), toml_path);
    merge_into(root, file);
    source = toml_path;
  }
  for (const std::string& s : sets) apply_set(root, s);
  return from_table(root, source);
}

}  // namespace idealgas::train
