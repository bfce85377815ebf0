#include "idealgas/sweep/job_kind.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/suggest.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/simulate/iso_config.hpp"

namespace idealgas {

namespace {

class IsoJobKind final : public JobKind {
 public:
  std::string name() const override { return "iso"; }
  std::string description() const override {
    return "isotropic-noise model, one configuration per job (idealgas simulate iso)";
  }
  std::string seed_key() const override { return "seed"; }
  std::string threads_key() const override { return "threads"; }
  bool has_presets() const override { return false; }
  std::vector<std::string> hyperparameter_keys() const override {
    return {"protocol", "eta", "eta_eff", "lambda", "radius"};
  }

  ResolvedJob resolve(const nlohmann::json& config, const std::string& preset,
                      const std::string& source) const override {
    IDEALGAS_ASSERT(preset.empty(), "the iso kind has no presets");
    // Through the kind's own reader, so that every key, type and value is checked exactly as `simulate iso` will.
    const IsoConfig c = IsoConfig::point_from_toml_string(json_to_toml_text(config), source);
    try {
      c.validate();
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", source, e.what()));
    }
    return {json_to_toml_text(c.point_json()), c.point_result_relevant_json(), c.seed};
  }

  std::vector<std::string> command(const std::filesystem::path& config_file, const std::filesystem::path& run_dir,
                                   std::optional<int> threads) const override {
    std::vector<std::string> args = {"simulate", "iso", config_file.string(), "--out", run_dir.string(), "--quiet"};
    if (threads) {
      args.emplace_back("--threads");
      args.push_back(std::to_string(*threads));
    }
    return args;
  }

  // Results do not depend on the thread count; several workers on one machine run one thread each.
  std::optional<int> worker_threads(int jobs) const override {
    return jobs > 1 ? std::optional<int>(1) : std::nullopt;
  }

  int threads_of(const ResolvedJob& job, int fallback) const override {
    const nlohmann::json config = toml_text_to_json(job.config_toml, "resolved config");
    const long long threads = config.value("threads", 0LL);
    return threads > 0 ? static_cast<int>(threads) : fallback;
  }
};

}  // namespace

const JobKind& iso_job_kind() {
  static const IsoJobKind kind;
  return kind;
}

const JobKind& JobKinds::find(const std::string& name, const std::string& source) const {
  std::vector<std::string> names;
  for (const JobKind* k : kinds) {
    if (k->name() == name) return *k;
    names.push_back(k->name());
  }
  throw InputError(fmt::format("{}: kind = \"{}\" is not a job kind this program runs{}; accepted: {}", source, name,
                               did_you_mean(name, names), fmt::join(names, ", ")));
}

}  // namespace idealgas
