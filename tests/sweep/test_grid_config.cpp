// Grid configs: deterministic expansion in the documented order, the values of reproduce iso's grids bit for bit,
// stable configuration ids, replica seeds, exact TOML round trips of what each run folder receives, and one clear
// line (file, key, value, what is accepted) for every kind of bad grid.
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "idealgas/core/error.hpp"
#include "idealgas/core/toml_json.hpp"
#include "idealgas/simulate/iso_config.hpp"
#include "idealgas/simulate/iso_grid.hpp"
#include "idealgas/sweep/grid_config.hpp"
#include "idealgas/sweep/grid_presets.hpp"
#include "idealgas/sweep/job_kind.hpp"
#include "idealgas/sweep/shard.hpp"

namespace idealgas {
namespace {

const char* const kTwoAxes = R"(kind = "iso"
replicas = 2
[base]
protocol = "lr"
iterations = 20000
[[axis]]
key = "eta"
log = [1e-3, 1e-1, 3]
[[axis]]
key = "lambda"
values = [1e-3, 0.01, 1e-1]
)";

std::string message_of(const std::string& toml) {
  try {
    const GridConfig g = GridConfig::from_toml_string(toml, "grid.toml");
    expand_grid(g, JobKinds{{&iso_job_kind()}}.find(g.kind, g.source));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(GridConfig, ExpandsInOrderLastAxisFastestReplicasFastestOfAll) {
  const GridConfig g = GridConfig::from_toml_string(kTwoAxes, "grid.toml");
  ASSERT_EQ(g.size(), 18);
  const std::vector<SweepConfiguration> c = expand_grid(g, iso_job_kind());
  ASSERT_EQ(c.size(), 18u);
  const std::vector<double> eta = {1e-3, 1e-2, 1e-1}, lambda = {1e-3, 1e-2, 1e-1};
  for (long long k = 0; k < 18; ++k) {
    const SweepConfiguration& x = c[static_cast<std::size_t>(k)];
    EXPECT_EQ(x.index, k);
    EXPECT_EQ(x.replica, k % 2);
    EXPECT_EQ(x.axis_values.at("eta").get<double>(), eta[static_cast<std::size_t>(k / 6)]);
    EXPECT_EQ(x.axis_values.at("lambda").get<double>(), lambda[static_cast<std::size_t>(k / 2 % 3)]);
    // What the run folder receives reads back as exactly this configuration.
    const IsoConfig back = IsoConfig::point_from_toml_string(x.job.config_toml, "config.toml");
    EXPECT_EQ(back.eta.lo, x.axis_values.at("eta").get<double>());
    EXPECT_EQ(back.lambda.lo, x.axis_values.at("lambda").get<double>());
    EXPECT_EQ(back.schedule.iterations, 20000);
  }
  EXPECT_EQ(c[3].label, "eta=0.001 lambda=0.01 replica=1");
}

TEST(GridConfig, LogAxesAreReproduceIsosGridValuesBitForBit) {
  // The paper's 17-point axis: reproduce iso's IsoGrid spaces it with log_spaced; a sweep axis must give the same
  // doubles, or the noise streams (keyed by the hyperparameters' bits) and every number would differ.
  const GridConfig g = GridConfig::from_toml_string(find_grid_preset("paper-iso-lr").toml, "preset");
  IsoConfig grid_config;
  grid_config.protocols = {Protocol::fixed_lr};
  grid_config.schedule.iterations = 1000;
  const IsoGrid reference(grid_config, Protocol::fixed_lr);
  ASSERT_EQ(g.axes.size(), 2u);
  for (std::size_t k = 0; k < 17; ++k) {
    EXPECT_EQ(g.axes[0].values[k].get<double>(), reference.first_axis()[k]) << k;
    EXPECT_EQ(g.axes[1].values[k].get<double>(), reference.second_axis()[k]) << k;
  }
}

TEST(GridConfig, IdsDependOnResultRelevantSettingsOnly) {
  const auto id_of = [](const std::string& base) {
    const GridConfig g = GridConfig::from_toml_string("kind = \"iso\"\n[base]\nprotocol = \"lr\"\n" + base, "g.toml");
    return expand_grid(g, iso_job_kind()).front().id;
  };
  const std::string a = id_of("eta = 0.01\nlambda = 0.001\n");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(id_of("eta = 1e-2\nlambda = 1e-3\n"), a);                                    // how it is written
  EXPECT_EQ(id_of("eta = 0.01\nlambda = 0.001\nthreads = 3\ncheckpoint_seconds = 1.0\n"), a);  // no number changes
  EXPECT_EQ(id_of("eta = 0.01\nlambda = 0.001\nseed = 42\nd = 3\n"), a);                  // the defaults, written out
  EXPECT_NE(id_of("eta = 0.01\nlambda = 0.001\nseed = 43\n"), a);
  EXPECT_NE(id_of("eta = 0.01\nlambda = 0.0010000000000000002\n"), a);                   // one ulp
  // Ids name the folders of existing sweeps: a change of the hash or of the recorded settings orphans them. This
  // value is the id this code gives; a change here must be deliberate (and said in the merge notes).
  EXPECT_EQ(a, "0998716c9a2211ee");
}

TEST(GridConfig, ReplicasGetDistinctSeedsReplicaZeroKeepsTheConfigured) {
  const GridConfig g = GridConfig::from_toml_string(
      "kind = \"iso\"\nreplicas = 3\n[base]\nprotocol = \"lr\"\neta = 0.01\nlambda = 0.01\nseed = 7\n", "g.toml");
  const std::vector<SweepConfiguration> c = expand_grid(g, iso_job_kind());
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].job.seed, 7u);
  std::set<std::uint64_t> seeds;
  for (const SweepConfiguration& x : c) {
    seeds.insert(x.job.seed);
    EXPECT_LE(x.job.seed, static_cast<std::uint64_t>(std::numeric_limits<long long>::max()));  // a TOML integer
  }
  EXPECT_EQ(seeds.size(), 3u);
  // Deterministic: the same grid gives the same seeds.
  EXPECT_EQ(expand_grid(g, iso_job_kind())[2].job.seed, c[2].job.seed);
}

TEST(GridConfig, LinearAxesHitTheirEndsExactly) {
  const GridConfig g = GridConfig::from_toml_string(
      "kind = \"iso\"\n[base]\nprotocol = \"sphere\"\neta_eff = 0.01\n[[axis]]\nkey = \"radius\"\n"
      "linear = [0.1, 0.7, 4]\n",
      "g.toml");
  ASSERT_EQ(g.axes[0].values.size(), 4u);
  EXPECT_EQ(g.axes[0].values[0].get<double>(), 0.1);
  EXPECT_EQ(g.axes[0].values[3].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(g.axes[0].values[1].get<double>(), 0.3);
}

TEST(GridConfig, BadGridsGetOneLineNamingFileAndKey) {
  const std::string axes = "[[axis]]\nkey = \"eta\"\nlog = [1e-3, 1e-1, 3]\n";
  const std::string lr = "kind = \"iso\"\n[base]\nprotocol = \"lr\"\nlambda = 0.01\n";
  struct Case {
    std::string toml, expected;
  };
  const Case cases[] = {
      {"kind = \"iso\"\nreplica = 2\n", "unknown key 'replica' (did you mean 'replicas'?)"},
      {"[base]\nprotocol = \"lr\"\n", "missing key 'kind'"},
      {"kind = \"isa\"\n", "kind = \"isa\" is not a job kind this program runs (did you mean 'iso'?)"},
      {"kind = 3\n", "key 'kind' must be a string, got a integer"},
      {"kind = \"iso\"\nreplicas = 0\n", "key 'replicas' must be an integer in [1, 10000], got 0"},
      {"kind = \"iso\"\nreplicas = 2.0\n", "key 'replicas' must be an integer"},
      {lr + "[[axis]]\nkey = \"eta\"\nlog = [0.0, 1e-1, 3]\n", "a log axis needs positive ends"},
      {lr + "[[axis]]\nkey = \"eta\"\nlog = [1e-3, 1e-1, 0]\n", "count of 'log' must be an integer in [1, 100000], got 0"},
      {lr + "[[axis]]\nkey = \"eta\"\nlog = [1e-3, 1e-1, 2.5]\n", "count of 'log' must be an integer"},
      {lr + "[[axis]]\nkey = \"eta\"\nlog = [1e-1, 1e-3, 3]\n", "needs low < high"},
      {lr + "[[axis]]\nkey = \"eta\"\nlog = [1e-3, 1e-1]\n", "must be [low, high, count]"},
      {lr + "[[axis]]\nkey = \"eta\"\nvalues = []\n", "'values' must be a non-empty array"},
      {lr + "[[axis]]\nkey = \"eta\"\nvalues = [[1]]\n", "'values' holds numbers, strings or booleans"},
      {lr + "[[axis]]\nkey = \"eta\"\nvalues = [0.1]\nlog = [1e-3, 1e-1, 3]\n", "give exactly one of"},
      {lr + "[[axis]]\nkey = \"eta\"\nlogg = [1e-3, 1e-1, 3]\n", "unknown key 'logg' (did you mean 'log'?)"},
      {lr + "[[axis]]\nlog = [1e-3, 1e-1, 3]\n", "missing 'key'"},
      {lr + axes + axes, "axes 'eta' and 'eta' set the same key"},
      {lr + "[[axis]]\nkey = \"eta\"\nvalues = [0.01, 0.01]\n", "have the same settings"},
      {lr + "[[axis]]\nkey = \"eta\"\nlog = [1e-3, 1e-1, 100]\n[[axis]]\nkey = \"seed\"\nlinear = [1, 100000, 100000]\n",
       "more than 1000000 configurations"},
      {"kind = \"iso\"\nreplicas = 2\n[base]\nprotocol = \"lr\"\neta = 0.1\nlambda = 0.1\n[[axis]]\nkey = \"seed\"\n"
       "values = [1, 2]\n",
       "both set the seed"},
      {"kind = \"iso\"\npreset = \"x\"\n[base]\nprotocol = \"lr\"\neta = 0.1\nlambda = 0.1\n", "have no presets"},
      // The kind's own reader names the key, through the grid file and the configuration.
      {"kind = \"iso\"\n[base]\nprotocol = \"lr\"\neta = 0.1\nlamda = 0.1\n",
       "grid.toml (configuration 0: base): unknown key 'lamda' (did you mean 'lambda'?)"},
      {lr + "[[axis]]\nkey = \"eta_ef\"\nvalues = [0.1]\n", "unknown key 'eta_ef' (did you mean 'eta_eff'?)"},
      {lr + "[[axis]]\nkey = \"eta\"\nvalues = [-0.1]\n", "eta must be a positive finite number, got -0.1"},
      {lr + "[[axis]]\nkey = \"d\"\nvalues = [3.5]\n", "key 'd' must be an integer, got a floating-point"},
      {lr + "[[axis]]\nkey = \"d\"\nvalues = [1]\n", "key 'd' must be an integer in [2, "},
      {lr + "[[axis]]\nkey = \"eta\"\nvalues = [9007199254740993]\n", "is not exactly representable as a double"},
      {"kind = \"iso\"\n[base]\nprotocol = \"sphere\"\neta_eff = 0.1\nlambda = 0.1\n",
       "key 'lambda' is not a hyperparameter of protocol 'sphere', which takes eta_eff and radius"},
      {"kind = \"iso\"\n[base]\nprotocol = \"lr\"\neta = 0.1\n", "missing key 'lambda': protocol 'lr' takes eta and lambda"},
      {"kind = \"iso\"\n[base]\nprotocol = \"lr\"\neta = 0.1\nlambda = 0.1\ngrid = 3\n",
       "unknown key 'grid' (one configuration has no grid or protocol list"},
      {"kind = \"iso\"\n[base\n", "grid.toml:2:"},
  };
  for (const Case& c : cases) {
    const std::string m = message_of(c.toml);
    EXPECT_NE(m.find(c.expected), std::string::npos) << "grid:\n" << c.toml << "\nmessage: " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    if (m != "(accepted)") EXPECT_EQ(m.rfind("grid.toml", 0), 0u) << m;  // names the file first
  }
}

TEST(GridConfig, EveryPresetExpands) {
  for (const GridPreset& p : grid_presets()) {
    const GridConfig g = GridConfig::from_toml_string(p.toml, "preset " + p.name);
    if (g.kind != "iso") continue;  // network grids: tests/train/test_train_config.cpp (the train kind needs LibTorch's library)
    const std::vector<SweepConfiguration> c = expand_grid(g, iso_job_kind());
    EXPECT_GT(c.size(), 0u) << p.name;
    if (p.name.rfind("paper-iso", 0) == 0) EXPECT_EQ(c.size(), 289u) << p.name;  // 17 x 17
  }
  EXPECT_EQ(expand_grid(GridConfig::from_toml_string(find_grid_preset("iso-small").toml, "p"), iso_job_kind()).size(), 9u);
  try {
    find_grid_preset("iso-smal");
    ADD_FAILURE() << "an unknown preset was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'iso-small'?"), std::string::npos) << e.what();
  }
}

TEST(Shard, EveryConfigurationBelongsToExactlyOneShard) {
  for (long long n : {1, 2, 3, 7}) {
    for (long long k = 0; k < 50; ++k) {
      int owners = 0;
      for (long long i = 0; i < n; ++i) owners += parse_shard("--shard", std::to_string(i) + "/" + std::to_string(n)).contains(k);
      EXPECT_EQ(owners, 1) << k << " of " << n;
    }
  }
  for (const char* bad : {"2/2", "1/0", "0/0", "-1/2", "a/b", "1", "1/2/3", " 1/2", "1/4000002", "99999999999999999999/2"}) {
    try {
      parse_shard("--shard", bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("--shard '") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(TomlJson, ValuesRoundTripBitForBit) {
  nlohmann::json config = {{"a", 0.1 + 0.2},
                           {"tiny", 5e-324},
                           {"big", 1.7976931348623157e308},
                           {"one", 1.0},
                           {"int", 9007199254740993LL},
                           {"neg", -7},
                           {"yes", true},
                           {"s", "quote \" back \\ newline \n tab \t unicode é"},
                           {"list", {1, 2.5, "x"}},
                           {"section", {{"x", 1e-300}, {"deeper", {{"y", -0.0}}}, {"key with space", 2}}}};
  const std::string text = json_to_toml_text(config);
  const nlohmann::json back = toml_text_to_json(text, "round trip");
  EXPECT_EQ(back, config) << text;
  EXPECT_TRUE(back["one"].is_number_float()) << text;  // 1.0 stays a float ("1.0", not "1")
  EXPECT_TRUE(std::signbit(back["section"]["deeper"]["y"].get<double>()));
  try {
    toml_text_to_json("when = 1979-05-27\n", "dates.toml");
    ADD_FAILURE() << "a date was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dates.toml: key 'when' holds a date"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace idealgas
