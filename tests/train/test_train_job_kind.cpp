// The sweep's job kind for networks (train/train_job_kind.hpp): grid presets of kind "train" expand into validated
// trainings whose written config reads back as the same configuration, a bad key in a grid is named, and the job
// runs `idealgas train` on its config with the configured thread count.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "idealgas/core/error.hpp"
#include "idealgas/sweep/grid_config.hpp"
#include "idealgas/sweep/grid_presets.hpp"
#include "idealgas/train/train_config.hpp"
#include "idealgas/train/train_job_kind.hpp"

using namespace idealgas;

TEST(TrainJobKind, NetworkPresetsExpandIntoValidatedTrainings) {
  const JobKind& kind = train::train_job_kind();
  int network_presets = 0;
  for (const GridPreset& p : grid_presets()) {
    const GridConfig g = GridConfig::from_toml_string(p.toml, "preset " + p.name);
    if (g.kind != "train") continue;
    ++network_presets;
    const std::vector<SweepConfiguration> configurations = expand_grid(g, kind);
    std::set<std::string> ids;
    for (const SweepConfiguration& c : configurations) {
      ids.insert(c.id);
      // What the sweep writes as the run's config.toml is this configuration, every setting included.
      const train::TrainConfig back = train::TrainConfig::from_toml_string(c.job.config_toml, c.label);
      EXPECT_EQ(back.result_relevant_json(), c.job.result_relevant) << c.label;
      for (auto it = c.axis_values.begin(); it != c.axis_values.end(); ++it) {
        const std::string key = it.key();  // "protocol.eta_eff", "protocol.lambda"
        const std::string section = key.substr(0, key.find('.')), name = key.substr(key.find('.') + 1);
        EXPECT_EQ(back.to_json()[section][name], it.value()) << c.label << " " << key;
      }
    }
    EXPECT_EQ(ids.size(), configurations.size()) << p.name;  // distinct configurations, distinct folders
    if (p.name == "fmnist-convnet-elr-3x3") EXPECT_EQ(configurations.size(), 9u);
    if (p.name == "train-smoke") EXPECT_EQ(configurations.size(), 2u);
  }
  EXPECT_GE(network_presets, 2);
}

TEST(TrainJobKind, ABadKeyInTheGridIsNamedWithASuggestion) {
  const std::string grid = "kind = \"train\"\npreset = \"synthetic-smoke\"\n[base.train]\niteratons = 5\n"
                           "[[axis]]\nkey = \"protocol.lambda\"\nvalues = [0.01, 0.02]\n";
  try {
    expand_grid(GridConfig::from_toml_string(grid, "bad.toml"), train::train_job_kind());
    FAIL() << "a misspelt key was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'train.iterations'"), std::string::npos) << e.what();
  }
}

TEST(TrainJobKind, RunsIdealgasTrainWithItsOwnThreadCount) {
  const JobKind& kind = train::train_job_kind();
  EXPECT_EQ(kind.command("c.toml", "runs/x", std::nullopt),
            (std::vector<std::string>{"train", "c.toml", "--out", "runs/x", "--quiet"}));
  // LibTorch's CPU results depend on the thread count: several workers do not change it.
  EXPECT_FALSE(kind.worker_threads(2).has_value());
  const std::vector<SweepConfiguration> c =
      expand_grid(GridConfig::from_toml_string(find_grid_preset("train-smoke").toml, "p"), kind);
  EXPECT_EQ(kind.threads_of(c.front().job, 7), 1);  // the preset's train.threads
}
