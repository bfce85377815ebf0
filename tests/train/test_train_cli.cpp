// `idealgas train` as a user runs it: the results folder and its contents, a finished run reopened, a folder of
// another configuration refused, bad input refused with one line and nothing written, divergence recorded, and a
// run stopped by SIGTERM that resumes to exactly the results of an uninterrupted run.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idealgas/core/crc32.hpp"
#include "support/cli_folder_test.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;
using testing::cli_built;
using testing::run_cli;
using testing::slurp;


std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

class TrainCli : public testing::CliFolderTest {
 protected:
  TrainCli() : CliFolderTest("idealgas_train_") {}
  // A seconds-long run: the synthetic-smoke preset, smaller still.
  std::string small(const std::string& out, const std::string& extra = "") const {
    return "train --preset synthetic-smoke --quiet --out '" + (dir_ / out).string() +
           "' --set train.iterations=200 --set train.batch_size=8 --set measure.log_dense_stride=50 "
           "--set measure.queue_size=10 --set measure.decorrelated_queue_size=10 --set protocol.eta_eff=0.001 " +
           extra;
  }
};

TEST_F(TrainCli, WritesTheResultsFolder) {
  const auto r = run_cli(small("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("stationary"), std::string::npos) << r.output;
  for (const char* f : {"config.toml", "meta.json", "trace.csv", "running.csv", "summary.json", "checkpoint.bin"})
    EXPECT_TRUE(fs::exists(dir_ / "out" / f)) << f;
  EXPECT_EQ(lines(slurp(dir_ / "out" / "trace.csv")), 1u + 4u);      // header + log points 50, 100, 150, 200
  EXPECT_EQ(lines(slurp(dir_ / "out" / "running.csv")), 1u + 20u);   // every 10 iterations
  const auto summary = nlohmann::json::parse(slurp(dir_ / "out" / "summary.json"));
  EXPECT_EQ(summary["status"], "finished");
  EXPECT_EQ(summary["d"], 9 * 2 + 378 * 4);  // ConvNet k=2 on one channel
  EXPECT_EQ(summary["protocol"], "elr");
  for (const char* key : {"U", "U_se", "r_mean", "r_se", "r_sde", "r_discrete", "sigma2", "T", "S_sphere",
                          "S_sphere_se", "adjacent_nn_fraction", "tr_sigma", "tr_sigma_se", "flags", "series"})
    EXPECT_TRUE(summary["stationary"].contains(key)) << key;
  EXPECT_TRUE(summary["stationary"]["entropy_decorrelated"].contains("adjacent_nn_fraction"));
  const auto meta = nlohmann::json::parse(slurp(dir_ / "out" / "meta.json"));
  for (const char* key : {"build", "trainer", "seeds", "data", "allocator"}) EXPECT_TRUE(meta.contains(key)) << key;
  EXPECT_EQ(meta["trainer"]["threads"], 1);
  EXPECT_TRUE(meta["trainer"].contains("libtorch"));
  // The effective config reruns the same run: same folder, finished, same numbers.
  const std::string before = slurp(dir_ / "out" / "trace.csv");
  const auto again = run_cli("train '" + (dir_ / "out" / "config.toml").string() + "' --quiet --out '" +
                             (dir_ / "out").string() + "'");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(slurp(dir_ / "out" / "trace.csv"), before);
  // Another configuration in the same folder is refused, and the folder is left as it was.
  const auto other = run_cli(small("out", "--set train.seed=5"));
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("train.seed: checkpoint has 0, now 5"), std::string::npos) << other.output;
  EXPECT_EQ(slurp(dir_ / "out" / "trace.csv"), before);
}

TEST_F(TrainCli, BadInputGetsOneLineAndWritesNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--set train.iteration=5", "did you mean 'train.iterations'"},
      {"--set train.iterations=-3", "train.iterations = -3: must be an integer in 1.."},
      {"--set data.dataset=cifar10", "data.path must name the folder"},
      {"--set data.dataset=fashion-mnist --set data.path=/nonexistent", "/nonexistent/train-images-idx3-ubyte.gz"},
      {"--set train.device=cuda", "train.device = 'cuda'"},
      {"--set measure.queue_size=100000000 --set measure.decorrelated_queue_size=2", "entropy queues"},
      // Refused with its numbers before LibTorch allocates (a ConvNet of width 60000 has ~1.4e12 parameters).
      {"--set model.width=60000", "lower model.width"},
      {"--set train.iterations=9223372036854775808", "not representable in 64 bits"},
  };
  for (const auto& [args, expected] : cases) {
    const fs::path out = dir_ / "bad";
    const auto r = run_cli(small("bad", args));
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(lines(r.output), 1u) << r.output;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
  EXPECT_EQ(run_cli("train --quiet").exit_code, 2);
  EXPECT_EQ(run_cli("train '" + (dir_ / "missing.toml").string() + "'").exit_code, 2);
  EXPECT_NE(run_cli("train --preset synthetic-smok").output.find("did you mean 'synthetic-smoke'"), std::string::npos);
  EXPECT_NE(run_cli("train --preset synthetic-smoke --out ''").output.find("--out is empty"), std::string::npos);
}

TEST_F(TrainCli, DivergenceIsRecordedWithItsReason) {
  const auto r = run_cli(small("div", "--set train.max_radius=1.0001"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("left [train.min_radius, train.max_radius]"), std::string::npos) << r.output;
  const auto summary = nlohmann::json::parse(slurp(dir_ / "div" / "summary.json"));
  EXPECT_EQ(summary["status"], "diverged");
  EXPECT_NE(summary["divergence"].get<std::string>().find("radius"), std::string::npos);
}

// Runs `idealgas ARGS...` in the background, its output into `log`.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string prog = IDEALGAS_CLI_PATH;
    argv.push_back(prog.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(prog.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

TEST_F(TrainCli, SigtermWritesACheckpointAndTheResumedRunIsBitwiseTheSame) {
  const std::vector<std::string> common = {"train", "--preset", "synthetic-smoke", "--quiet", "--set",
                                           "train.iterations=400", "--set", "train.batch_size=8", "--set",
                                           "measure.log_dense_stride=50", "--set", "protocol.eta_eff=0.001"};
  auto with_out = [&](const std::string& out) {
    std::vector<std::string> a = common;
    a.push_back("--out");
    a.push_back((dir_ / out).string());
    return a;
  };
  const pid_t straight = spawn(with_out("straight"), dir_ / "straight.log");
  int status = 0;
  waitpid(straight, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir_ / "straight.log");

  const pid_t stopped = spawn(with_out("resumed"), dir_ / "stopped.log");
  // Stop it once it has started training (its first running rows are on disk after the first checkpoint).
  for (int i = 0; i < 400 && !fs::exists(dir_ / "resumed" / "checkpoint.bin"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(stopped, SIGTERM);
  waitpid(stopped, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << slurp(dir_ / "stopped.log");
  if (WEXITSTATUS(status) == 0) GTEST_SKIP() << "the run finished before the signal arrived";
  EXPECT_EQ(WEXITSTATUS(status), 4) << slurp(dir_ / "stopped.log");  // kExitInterrupted (docs/train.md)
  EXPECT_NE(slurp(dir_ / "stopped.log").find("SIGTERM received: the run is saved at iteration"), std::string::npos)
      << slurp(dir_ / "stopped.log");
  EXPECT_NE(slurp(dir_ / "stopped.log").find("again to resume: idealgas train --preset synthetic-smoke"),
            std::string::npos)
      << slurp(dir_ / "stopped.log");
  // The same checkpoint with its iteration moved back by one and the CRC recomputed (src/train/run_state.cpp layout:
  // 8-byte magic, CRC-32 of the body, body = configuration string (u64 length + bytes), then the iteration) is
  // refused as corrupt on one line, exit 2, instead of resumed into a run whose records belong to another iteration.
  fs::copy(dir_ / "resumed", dir_ / "crafted", fs::copy_options::recursive);
  {
    std::string file = slurp(dir_ / "crafted" / "checkpoint.bin");
    std::uint64_t config_bytes = 0;
    ASSERT_GT(file.size(), 20u);
    std::memcpy(&config_bytes, file.data() + 12, sizeof config_bytes);
    const std::size_t at = 12 + 8 + static_cast<std::size_t>(config_bytes);
    long long iteration = 0;
    ASSERT_GE(file.size(), at + sizeof iteration);
    std::memcpy(&iteration, file.data() + at, sizeof iteration);
    ASSERT_GT(iteration, 0);
    --iteration;
    std::memcpy(file.data() + at, &iteration, sizeof iteration);
    const std::uint32_t crc = crc32_of(std::string_view(file).substr(12));
    std::memcpy(file.data() + 8, &crc, sizeof crc);
    std::ofstream(dir_ / "crafted" / "checkpoint.bin", std::ios::binary | std::ios::trunc) << file;
    std::vector<std::string> args = common;
    args.push_back("--out");
    args.push_back((dir_ / "crafted").string());
    const pid_t crafted = spawn(args, dir_ / "crafted.log");
    waitpid(crafted, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << slurp(dir_ / "crafted.log");
    EXPECT_EQ(WEXITSTATUS(status), 2) << slurp(dir_ / "crafted.log");
    EXPECT_EQ(lines(slurp(dir_ / "crafted.log")), 1u) << slurp(dir_ / "crafted.log");
    EXPECT_NE(slurp(dir_ / "crafted.log").find("is corrupt"), std::string::npos) << slurp(dir_ / "crafted.log");
  }
  const pid_t resumed = spawn(with_out("resumed"), dir_ / "resumed.log");
  waitpid(resumed, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir_ / "resumed.log");
  EXPECT_EQ(slurp(dir_ / "resumed" / "trace.csv"), slurp(dir_ / "straight" / "trace.csv"));
  EXPECT_EQ(slurp(dir_ / "resumed" / "running.csv"), slurp(dir_ / "straight" / "running.csv"));
  const auto a = nlohmann::json::parse(slurp(dir_ / "resumed" / "summary.json"));
  const auto b = nlohmann::json::parse(slurp(dir_ / "straight" / "summary.json"));
  EXPECT_EQ(a["stationary"], b["stationary"]);
}

}  // namespace
}  // namespace idealgas
