// What a sweep needs to know about one kind of job (`iso`: simulate iso; `train`: idealgas train), so that
// isotropic and network grids go through the same machinery: how to validate one configuration and write it out
// in full, which key holds its master seed and thread count, and the command line that runs it into a folder.
// Every job writes the same results shape (run summary: sweep/run_summary.hpp), so reading results needs no kind.
// The iso kind lives here; the train kind lives with the trainer (it needs TrainConfig), and the CLI hands the
// kinds it has to the sweep (JobKinds).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace idealgas {

/// One configuration validated by its kind.
struct ResolvedJob {
  std::string config_toml;          // the effective configuration, every key (the run folder's config.toml)
  nlohmann::json result_relevant;   // the settings that change a number: a configuration's identity
  std::uint64_t seed = 0;           // its master seed
};

class JobKind {
 public:
  virtual ~JobKind() = default;
  /// "iso", "train": the grid config's `kind`.
  virtual std::string name() const = 0;
  /// One line for --list-presets and messages.
  virtual std::string description() const = 0;
  /// The config key of the master seed ("seed", "train.seed"; dotted for sections): replicas set it.
  virtual std::string seed_key() const = 0;
  /// The config key of the thread count ("threads", "train.threads").
  virtual std::string threads_key() const = 0;
  /// The config keys of the protocol and its hyperparameters ("protocol", "eta", ...): axes over them span a grid's
  /// points; axes over any other key separate grids (analysis groups).
  virtual std::vector<std::string> hyperparameter_keys() const = 0;
  /// Whether the grid may name a preset of this kind as the base of every configuration.
  virtual bool has_presets() const = 0;
  /// Validates one configuration (`config`: the kind's keys as a JSON object, nested for sections; over `preset`
  /// when not empty). Throws InputError naming `source`, the key, the value and what is accepted.
  virtual ResolvedJob resolve(const nlohmann::json& config, const std::string& preset,
                              const std::string& source) const = 0;
  /// The arguments after the program that run `config_file` into `run_dir`, quietly. `threads`, when given,
  /// overrides the configuration's thread count (only for kinds whose results do not depend on it).
  virtual std::vector<std::string> command(const std::filesystem::path& config_file,
                                           const std::filesystem::path& run_dir, std::optional<int> threads) const = 0;
  /// The thread count to pass to each of `jobs` parallel workers when the grid does not set one: the iso kind
  /// runs one thread per worker when several share the machine; a kind whose numbers depend on the thread count
  /// returns none (its configured count stands).
  virtual std::optional<int> worker_threads(int jobs) const = 0;
  /// Threads one configuration uses (for Slurm's --cpus-per-task): the resolved thread count, or `fallback` when the
  /// configuration says "all cores".
  virtual int threads_of(const ResolvedJob& job, int fallback) const = 0;
};

/// `simulate iso`: one configuration of the isotropic-noise model (IsoConfig's point form, docs/config.md).
const JobKind& iso_job_kind();

/// The kinds a program offers (the CLI builds it; the sweep library never links the trainer itself).
struct JobKinds {
  std::vector<const JobKind*> kinds;
  /// The kind called `name`; InputError naming `source`, the value and the accepted names otherwise.
  const JobKind& find(const std::string& name, const std::string& source) const;
};

}  // namespace idealgas
