// Reproducibility of the grid simulator: a configuration's trajectory depends only on (seed, configuration):
// not on the thread count, not on which other configurations share the grid, and not on a checkpoint and
// resume (bitwise equal continuation, as llm.c's resume check).
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas {
namespace {

IsoConfig small_config() {
  IsoConfig c;
  c.d = 3;
  c.grid = 3;
  c.schedule.iterations = 30'000;
  c.schedule.log_stride = 10;
  c.schedule.stationary_logs = 1000;
  c.schedule.queue_size = 200;
  c.schedule.queue_stride = 10;
  c.schedule.entropy_stride = 4000;
  c.schedule.entropy_window = 3;
  return c;
}

void expect_same_walker(const IsoWalker& a, const IsoWalker& b) {
  ASSERT_EQ(a.w.size(), b.w.size());
  for (std::size_t q = 0; q < a.w.size(); ++q) EXPECT_EQ(a.w[q], b.w[q]) << "coordinate " << q;
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.loss.mean(), b.loss.mean());
  EXPECT_EQ(a.radius.mean(), b.radius.mean());
  EXPECT_EQ(a.lambda_eff.count(), b.lambda_eff.count());
  if (a.lambda_eff.count() > 0) EXPECT_EQ(a.lambda_eff.mean(), b.lambda_eff.mean());
  EXPECT_EQ(a.entropy_sphere, b.entropy_sphere);
  EXPECT_EQ(a.entropy_total, b.entropy_total);
}

class IsoGridDeterminism : public ::testing::TestWithParam<Protocol> {};

TEST_P(IsoGridDeterminism, OneAndTwoThreadsGiveIdenticalTrajectories) {
  IsoConfig c1 = small_config(), c2 = small_config();
  c1.threads = 1;
  c2.threads = 2;
  IsoGrid g1(c1, GetParam()), g2(c2, GetParam());
  g1.advance_to(c1.schedule.iterations);
  g2.advance_to(c2.schedule.iterations);
  ASSERT_EQ(g1.walkers().size(), 9u);
  for (std::size_t k = 0; k < g1.walkers().size(); ++k) expect_same_walker(g1.walkers()[k], g2.walkers()[k]);
  EXPECT_EQ(g1.walkers()[0].entropy_sphere.size(), 3u);  // the entropy window was measured
}

TEST_P(IsoGridDeterminism, TrajectoryDoesNotDependOnTheRestOfTheGrid) {
  const IsoConfig full = small_config();
  IsoGrid g(full, GetParam());
  g.advance_to(full.schedule.iterations);
  // The corner configuration (last first-axis value, first second-axis value) alone in a 1x1 grid.
  IsoConfig alone = full;
  alone.grid = 1;
  if (GetParam() == Protocol::fixed_lr) alone.eta = {full.eta.hi, full.eta.hi};
  else alone.eta_eff = {full.eta_eff.hi, full.eta_eff.hi};
  if (GetParam() == Protocol::fixed_sphere) alone.radius = {full.radius.lo, full.radius.lo};
  else alone.lambda = {full.lambda.lo, full.lambda.lo};
  IsoGrid single(alone, GetParam());
  single.advance_to(alone.schedule.iterations);
  expect_same_walker(g.walkers()[2 * 3 + 0], single.walkers()[0]);
}

TEST_P(IsoGridDeterminism, ResumeFromCheckpointIsBitwiseExact) {
  const IsoConfig c = small_config();
  IsoGrid straight(c, GetParam());
  straight.advance_to(c.schedule.iterations);

  const auto path = std::filesystem::temp_directory_path() /
                    ("idealgas_test_ckpt_" + std::string(protocol_name(GetParam())) + ".bin");
  {
    IsoGrid first_half(c, GetParam());
    first_half.advance_to(27'777);  // inside the entropy and stationary windows, queue partly filled
    first_half.save_checkpoint(path.string());
  }
  IsoGrid resumed = IsoGrid::load_checkpoint(path.string(), c, GetParam());
  EXPECT_EQ(resumed.iteration(), 27'777);
  resumed.advance_to(c.schedule.iterations);
  for (std::size_t k = 0; k < straight.walkers().size(); ++k)
    expect_same_walker(straight.walkers()[k], resumed.walkers()[k]);

  // A checkpoint of another configuration is refused with the differing setting named.
  IsoConfig other = c;
  other.seed = 7;
  try {
    IsoGrid::load_checkpoint(path.string(), other, GetParam());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("seed"), std::string::npos) << e.what();
  }
  // A corrupted checkpoint is detected by its CRC.
  std::FILE* f = std::fopen(path.string().c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, 100, SEEK_SET);
  std::fputc(0x5a, f);
  std::fclose(f);
  EXPECT_THROW(IsoGrid::load_checkpoint(path.string(), c, GetParam()), IoError);
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, IsoGridDeterminism,
                         ::testing::Values(Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere),
                         [](const auto& info) { return std::string(protocol_name(info.param)); });

TEST(IsoConfig, RejectsWindowsLongerThanTheRun) {
  IsoConfig c = small_config();
  c.schedule.iterations = 5000;  // stationary window is 10,000 iterations
  EXPECT_THROW(c.validate(), InputError);
  c = small_config();
  c.schedule.entropy_window = 8;  // first estimate at 2,000 < queue fill 2,000 + ... 
  c.schedule.queue_size = 3000;
  EXPECT_THROW(c.validate(), InputError);
}

TEST(IsoConfig, TomlUnknownKeyAndWrongTypeAreNamed) {
  try {
    IsoConfig::from_toml_string("iterations = 100\nlearning_rate = 3\n", "cfg.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("learning_rate"), std::string::npos) << e.what();
  }
  try {
    IsoConfig::from_toml_string("d = \"three\"\n", "cfg.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'d'"), std::string::npos) << e.what();
  }
  const IsoConfig c = IsoConfig::from_toml_string("d = 10\neta = [1e-3, 1e-2]\nprotocols = [\"elr\"]\n", "x");
  EXPECT_EQ(c.d, 10);
  EXPECT_EQ(c.eta.hi, 1e-2);
  ASSERT_EQ(c.protocols.size(), 1u);
  EXPECT_EQ(c.protocols[0], Protocol::fixed_elr);
}

}  // namespace
}  // namespace idealgas
