#include "idealgas/train/train_job_kind.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/train/train_config.hpp"

namespace idealgas::train {

namespace {

class TrainJobKind final : public JobKind {
 public:
  std::string name() const override { return "train"; }
  std::string description() const override {
    return "network training, one configuration per job (idealgas train; [base.model], [base.data], ... sections)";
  }
  std::string seed_key() const override { return "train.seed"; }
  std::string threads_key() const override { return "train.threads"; }
  bool has_presets() const override { return true; }
  std::vector<std::string> hyperparameter_keys() const override {
    return {"protocol.name", "protocol.eta", "protocol.eta_eff", "protocol.lambda", "protocol.radius"};
  }

  ResolvedJob resolve(const nlohmann::json& config, const std::string& preset,
                      const std::string& source) const override {
    // Through the trainer's own reader: every key, type and value is checked exactly as `idealgas train` will.
    const TrainConfig c = TrainConfig::from_preset_and_toml_string(preset, json_to_toml_text(config), source);
    return {c.to_toml(), c.result_relevant_json(), c.run.seed};
  }

  std::vector<std::string> command(const std::filesystem::path& config_file, const std::filesystem::path& run_dir,
                                   std::optional<int> threads) const override {
    std::vector<std::string> args = {"train", config_file.string(), "--out", run_dir.string(), "--quiet"};
    if (threads) {
      args.emplace_back("--set");
      args.push_back(fmt::format("train.threads={}", *threads));
    }
    return args;
  }

  // LibTorch's CPU kernels give different bits with another thread count (docs/train.md): the configured count
  // stands, whatever the number of workers.
  std::optional<int> worker_threads(int /*jobs*/) const override { return std::nullopt; }

  int threads_of(const ResolvedJob& job, int fallback) const override {
    const nlohmann::json config = toml_text_to_json(job.config_toml, "resolved config");
    const long long threads = config.contains("train") ? config["train"].value("threads", 0LL) : 0LL;
    return threads > 0 ? static_cast<int>(threads) : fallback;
  }
};

}  // namespace

const JobKind& train_job_kind() {
  static const TrainJobKind kind;
  return kind;
}

}  // namespace idealgas::train
