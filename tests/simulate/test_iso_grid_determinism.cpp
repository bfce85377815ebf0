// Reproducibility of the grid simulator: a configuration's trajectory depends only on (seed, configuration):
// not on the thread count, not on which other configurations share the grid, and not on a checkpoint and
// resume (bitwise equal continuation, as llm.c's resume check).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <zlib.h>

#include <gtest/gtest.h>

#include "idealgas/core/error.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas {
namespace {

/// The paper's fixed schedule, small.
IsoConfig small_config() {
  IsoConfig c;
  c.d = 3;
  c.grid = 3;
  c.schedule.kind = ScheduleKind::paper;
  c.schedule.iterations = 30'000;
  c.schedule.log_stride = 10;
  c.schedule.stationary_logs = 1000;
  c.schedule.queue_size = 200;
  c.schedule.queue_stride = 10;
  c.schedule.entropy_stride = 4000;
  c.schedule.entropy_window = 3;
  return c;
}

/// The dynamics schedule on a fast corner of the grid: walkers of different run lengths, the one estimate over
/// the window and its sub-blocks.
IsoConfig small_dynamics_config() {
  IsoConfig c;
  c.d = 3;
  c.grid = 3;
  c.eta = c.eta_eff = {3e-2, 1e-1};
  c.lambda = {3e-2, 1e-1};
  c.radius = {0.5, 2.0};
  c.schedule.iterations = 20'000;
  c.schedule.log_stride = 10;
  c.schedule.window_relaxations = 20;
  c.schedule.snapshots = 200;
  c.schedule.se_blocks = 4;
  c.schedule.batches = 4;
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
  EXPECT_EQ(a.entropy_sub_sphere, b.entropy_sub_sphere);
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

TEST_P(IsoGridDeterminism, DynamicsScheduleIsThreadIndependentAndResumesBitwise) {
  IsoConfig c1 = small_dynamics_config(), c2 = small_dynamics_config();
  c1.threads = 1;
  c2.threads = 2;
  IsoGrid g1(c1, GetParam()), g2(c2, GetParam());
  ASSERT_GT(g1.max_iterations(), c1.schedule.iterations - 1);
  g1.advance_to(g1.max_iterations());
  const auto path = std::filesystem::temp_directory_path() /
                    ("idealgas_test_dyn_ckpt_" + std::string(protocol_name(GetParam())) + ".bin");
  const long long half = g2.max_iterations() / 2 + 7;
  g2.advance_to(half);
  g2.save_checkpoint(path.string());
  IsoGrid resumed = IsoGrid::load_checkpoint(path.string(), c2, GetParam());
  resumed.advance_to(resumed.max_iterations());
  for (std::size_t k = 0; k < g1.walkers().size(); ++k) {
    expect_same_walker(g1.walkers()[k], resumed.walkers()[k]);
    EXPECT_EQ(g1.walkers()[k].entropy_sphere.size(), 1u);      // one estimate over the window
    EXPECT_EQ(g1.walkers()[k].entropy_sub_sphere.size(), 4u);  // and its four sub-blocks
  }
  std::filesystem::remove(path);
}

TEST(IsoGridCheckpoint, CraftedIterationsAreRefusedEvenWithAValidCrc) {
  // A checkpoint whose CRC is recomputed after changing the grid's iteration to -5 or 10^15 must not load.
  const IsoConfig c = small_config();
  IsoGrid g(c, Protocol::fixed_lr);
  g.advance_to(1000);
  const auto path = std::filesystem::temp_directory_path() / "idealgas_test_crafted.bin";
  g.save_checkpoint(path.string());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Layout: magic (8), crc (4), then the body: config string (u64 length + bytes), protocol (int), iteration.
  std::uint64_t config_len;
  std::memcpy(&config_len, bytes.data() + 12, 8);
  const std::size_t iteration_at = 12 + 8 + config_len + sizeof(int);
  for (long long bad : {-5LL, 1'000'000'000'000'000LL}) {
    std::string crafted = bytes;
    std::memcpy(crafted.data() + iteration_at, &bad, sizeof bad);
    const std::uint32_t crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(crafted.data() + 12), static_cast<uInt>(crafted.size() - 12)));
    std::memcpy(crafted.data() + 8, &crc, sizeof crc);
    std::ofstream(path, std::ios::binary) << crafted;
    EXPECT_THROW(IsoGrid::load_checkpoint(path.string(), c, Protocol::fixed_lr), IoError) << bad;
  }
  std::filesystem::remove(path);
}

TEST(IsoGrid, AFailureInsideTheParallelLoopMarksTheRowInsteadOfAborting) {
  // eta = 1e-20: the weights do not move, every snapshot is the same point and the entropy is undefined. Before,
  // the exception escaped the OpenMP loop and std::terminate aborted the process.
  IsoConfig c = small_config();
  c.eta = {1e-20, 1e-19};
  IsoGrid g(c, Protocol::fixed_lr);
  g.advance_to(g.max_iterations());
  for (const IsoWalker& w : g.walkers()) {
    if (w.protocol.eta < 1e-18) {
      EXPECT_NE(w.entropy_error.find("no entropy"), std::string::npos) << w.entropy_error;
    }
  }
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
  c = small_config();
  c.schedule.stationary_logs = 4'611'686'018'427'387'904LL;  // x log_stride 10 wraps a 64-bit integer
  try {
    c.validate();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
  }
}

// fuzz_iso_config (corpus/iso_config/max_iterations_wrap.toml): with max_iterations = 2^63 - 1 a capped schedule's
// burn-in plus its window rounded up to whole logs wrapped a 64-bit integer. Iteration counts stop at 10^15.
TEST(IsoConfig, IterationCountsBeyondTheBoundAreRefusedByName) {
  const std::string text = "window_relaxations = 3e300\nmax_iterations = 9223372036854775807\nbatches = 36854775807\n";
  try {
    IsoConfig::from_toml_string(text, "wrap.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("wrap.toml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("max_iterations"), std::string::npos) << e.what();
  }
  IsoConfig c;
  c.schedule.max_iterations = IsoSchedule::kMaxIterations + 1;
  EXPECT_THROW(c.validate(), InputError);
  // At the bound a capped schedule sums without wrapping.
  IsoSchedule s;
  s.max_iterations = IsoSchedule::kMaxIterations;
  s.window_relaxations = 3e300;
  const WalkerSchedule w = resolve_schedule(s, ProtocolParams::make(Protocol::fixed_lr, 1e-3, 1e-3), 2.0, 1.0);
  EXPECT_TRUE(w.capped);
  EXPECT_GT(w.iterations, 0);
  EXPECT_LE(w.iterations, IsoSchedule::kMaxIterations + s.log_stride);
}

TEST(IsoSchedule, DynamicsFollowsTheRelaxationTimes) {
  // Fixed ELR at the paper's slow corner: tau_radial = 1/(eta_eff^2 Tr Sigma) = 1/(1e-6 * 2) = 500,000 iterations.
  IsoSchedule s;
  const ProtocolParams p = ProtocolParams::make(Protocol::fixed_elr, 1e-3, 1e-3);
  const WalkerSchedule w = resolve_schedule(s, p, 2.0, 1.0);
  EXPECT_DOUBLE_EQ(w.tau_radial, 5e5);
  EXPECT_DOUBLE_EQ(w.tau_angular, 1e3);
  EXPECT_GE(w.window(), 50 * 5e5);      // window_relaxations
  EXPECT_GE(w.window_start(), 5 * 5e5);  // burn-in
  EXPECT_GE(w.queue_stride, 2 * 1e3);    // snapshots two angular relaxation times apart, at least
  EXPECT_LE(w.queue_size * w.queue_stride, w.window());
  EXPECT_FALSE(w.capped);
  // A fast configuration runs the least run length, with its snapshots spread over the whole window.
  const WalkerSchedule fast = resolve_schedule(s, ProtocolParams::make(Protocol::fixed_sphere, 1e-1, 1.0), 2.0, 1.0);
  EXPECT_GE(fast.iterations, 2'000'000);
  EXPECT_GE(fast.window_start(), fast.window() / 10);  // burn-in: at least a tenth of the window
  EXPECT_LE(fast.window_start(), fast.window() / 10 + fast.log_stride);
  EXPECT_GT(fast.queue_stride, 100);
  // Astronomically slow hyperparameters are capped, never overflow.
  const WalkerSchedule slow = resolve_schedule(s, ProtocolParams::make(Protocol::fixed_lr, 1e-20, 1e-19), 2.0, 1.0);
  EXPECT_TRUE(slow.capped);
  EXPECT_LE(slow.iterations, s.max_iterations + s.log_stride);
}

TEST(IsoConfig, TomlIntegersAreNeverTruncated) {
  // grid = 4294967299 used to run as 3 (truncated to int); it is out of range and refused by name.
  try {
    IsoConfig::from_toml_string("grid = 4294967299\n", "cfg.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'grid'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("4294967299"), std::string::npos) << e.what();
  }
  EXPECT_THROW(IsoConfig::from_toml_string("seed = -1\n", "cfg.toml"), InputError);
  EXPECT_THROW(IsoConfig::from_toml_string("sigma2 = 9007199254740993\n", "cfg.toml"), InputError);
  // A key of the other schedule is named as such.
  try {
    IsoConfig::from_toml_string("queue_stride = 50\n", "cfg.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("schedule = 'paper'"), std::string::npos) << e.what();
  }
  try {
    IsoConfig::from_toml_string("iteratons = 5\n", "cfg.toml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'iterations'"), std::string::npos) << e.what();
  }
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
