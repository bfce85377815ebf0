// The train configuration (train/train_config.hpp): presets, TOML and --set layering, one-line errors that name
// the key, its origin and what is accepted (with a did-you-mean), exact numbers (no silent rounding or
// truncation), the effective config read back, and the log schedule.
#include <gtest/gtest.h>

#include "idealgas/core/error.hpp"
#include "idealgas/train/train_config.hpp"
#include "idealgas/train/train_presets.hpp"

namespace idealgas::train {
namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kElr = "[protocol]\nname = \"elr\"\neta_eff = 0.01\nlambda = 0.001\n";

TEST(TrainConfig, EveryPresetLoads) {
  for (const Preset& p : presets()) {
    // CIFAR presets need the data folder: the error says so; with it they validate.
    const std::vector<std::string> sets =
        p.toml.find("cifar") != std::string::npos ? std::vector<std::string>{"data.path=/data/cifar"}
                                                  : std::vector<std::string>{};
    const TrainConfig c = TrainConfig::load(p.name, "", sets);
    EXPECT_NO_THROW(c.protocol_params()) << p.name;
    if (p.toml.find("cifar") != std::string::npos)
      EXPECT_NE(error_of([&] { TrainConfig::load(p.name, "", {}); }).find("data.path"), std::string::npos);
  }
  const TrainConfig elr = TrainConfig::load("fmnist-convnet-k4-elr", "", {});
  EXPECT_EQ(elr.protocol, "elr");
  EXPECT_EQ(elr.model.width, 4);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-er", "", {}); }).find("did you mean 'fmnist-convnet-k4-elr'"),
            std::string::npos);
}

TEST(TrainConfig, SetOverridesWithTomlValuesAndBareWords) {
  // Layering: defaults < preset < file < --set; a bare word is a string (protocol.name=lr).
  const TrainConfig c = TrainConfig::load("fmnist-convnet-k4-lr", "",
                                          {"protocol.name=elr", "protocol.eta_eff=0.02", "protocol.lambda=0.001",
                                           "train.iterations=5000", "model.channels_last=false"});
  EXPECT_EQ(c.protocol, "elr");
  EXPECT_DOUBLE_EQ(c.eta_eff, 0.02);
  EXPECT_EQ(c.run.iterations, 5000);
  EXPECT_FALSE(c.model.channels_last);
  EXPECT_EQ(c.model.width, 4);  // from the preset
  // Changing the protocol starts its section afresh: the new protocol's values must come with it.
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-lr", "", {"protocol.name=elr", "protocol.eta_eff=0.1"}); })
                .find("protocol.lambda is missing for protocol 'elr'"),
            std::string::npos);
}

TEST(TrainConfig, ErrorsNameTheKeyWhereItCameFromAndWhatIsAccepted) {
  EXPECT_NE(error_of([] { TrainConfig::from_toml_string("[train]\niteration = 5\n", "a.toml"); })
                .find("unknown key 'train.iteration' (did you mean 'train.iterations'?)"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::from_toml_string("[trian]\n", "a.toml"); }).find("unknown setting 'trian'"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::from_toml_string(kElr + "[train]\niterations = 1.5\n", "a.toml"); })
                .find("a.toml:6: train.iterations = 1.5: must be an integer"),
            std::string::npos);
  // No silent truncation or rounding: an int-sized key given 2^32 + 3, a double given 2^53 + 1, a negative seed.
  EXPECT_NE(error_of([] { TrainConfig::from_toml_string(kElr + "[train]\nthreads = 4294967299\n", "a"); })
                .find("must be an integer in 1..4096"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              TrainConfig::from_toml_string("[protocol]\nname = \"elr\"\neta_eff = 9007199254740993\nlambda = 1\n", "a");
            }).find("cannot represent exactly"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::from_toml_string(kElr + "[train]\nseed = -1\n", "a"); }).find("seed = -1"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::from_toml_string(kElr + "[measure]\nstationary_fraction = 0\n", "a"); })
                .find("(0, 1]"),
            std::string::npos);
  // A value the protocol does not use is an error, not ignored.
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"protocol.eta=0.1"}); })
                .find("protocol.eta is not used for protocol 'elr'"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"train.iterations=1e5"}); })
                .find("--set train.iterations=1e5: train.iterations = 100000: must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"iterations=5"}); }).find("section.key"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"train.iterations=5\n[x]\ny = 1"}); })
                .find("one TOML value"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"train.device=tpu"}); })
                .find("train.device must be cpu, cuda or cuda:N"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"data.dataset=cifar"}); })
                .find("did you mean 'cifar10'"),
            std::string::npos);
  EXPECT_NE(error_of([] { TrainConfig::load("fmnist-convnet-k4-elr", "", {"measure.stationary_fraction=0.001"}); })
                .find("two running blocks"),
            std::string::npos);
  for (const std::string& e : {error_of([] { TrainConfig::from_toml_string("[train]\niteration = 5\n", "a"); }),
                               error_of([] { TrainConfig::from_toml_string("x = [", "a"); })})
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
}

TEST(TrainConfig, EffectiveConfigReadsBackTheSame) {
  const TrainConfig c = TrainConfig::load("fmnist-convnet-k4-sphere", "",
                                          {"protocol.eta_eff=0.0123456789012345", "train.seed_init=77",
                                           "data.path=/tmp/a \"quoted\" path"});
  const TrainConfig back = TrainConfig::from_toml_string(c.to_toml(), "config.toml");
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_EQ(back.init_key(), c.init_key());
  EXPECT_NE(back.init_key(), TrainConfig::load("fmnist-convnet-k4-sphere", "", {}).init_key());
  // Role seeds derive from the master seed when not given, and differ by role.
  EXPECT_NE(c.sgd_key(), c.head_key());
  EXPECT_FALSE(c.result_relevant_json()["train"].contains("checkpoint_seconds"));
}

TEST(TrainConfig, LogScheduleIsThePapersByDefault) {
  RunConfig run;
  MeasureConfig m;  // every 200 up to 10,000 (50 points), then 151 log-spaced to 1,000,000
  const std::vector<long long> logs = log_schedule(run, m);
  EXPECT_EQ(logs.front(), 200);
  EXPECT_EQ(logs[49], 10000);
  EXPECT_EQ(logs.back(), 1000000);
  EXPECT_EQ(logs.size(), 50u + 151u);
  EXPECT_TRUE(std::is_sorted(logs.begin(), logs.end()));
  run.iterations = 3000;
  m.log_dense_stride = 1000;
  m.log_points = 0;
  EXPECT_EQ(log_schedule(run, m), (std::vector<long long>{1000, 2000, 3000}));
  m.stationary_fraction = 0.5;
  EXPECT_EQ(stationary_start(run, m), 1500);
}

}  // namespace
}  // namespace idealgas::train
