// `idealgas reproduce iso` as a user runs it: outputs and their contents, resume, thread independence of what is
// simulated, folders that never contradict themselves (merge, restart, refusal, stale temporaries), signals, and
// one-line errors with a non-zero exit for bad input.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_folder_test.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;
using testing::cli_built;
using testing::run_cli;
using testing::slurp;


class ReproduceCli : public testing::CliFolderTest {
 protected:
  ReproduceCli() : CliFolderTest("idealgas_reproduce_") {}
  void SetUp() override {
    CliFolderTest::SetUp();
    if (IsSkipped()) return;
    // A fast corner of the grid under the default (dynamics) schedule, scaled down.
    std::ofstream(dir_ / "small.toml") << "eta = [3e-2, 1e-1]\neta_eff = [3e-2, 1e-1]\nlambda = [3e-2, 1e-1]\n"
                                          "radius = [0.5, 2.0]\nsnapshots = 200\nse_blocks = 4\nbatches = 4\n"
                                          "window_relaxations = 20\n";
  }
  std::string small_run(const std::string& extra = "", const std::string& out = "out") const {
    return "reproduce iso --out '" + (dir_ / out).string() + "' --config '" + (dir_ / "small.toml").string() +
           "' --grid 3 --iters 20000 --quiet " + extra;
  }
};

TEST_F(ReproduceCli, WritesSummariesChecksAndTheRunRecord) {
  const auto r = run_cli(small_run());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("verdict:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dist/SE"), std::string::npos) << r.output;  // verdicts in standard errors
  for (const char* p : {"lr", "elr", "sphere"}) {
    const std::string csv = slurp(dir_ / "out" / p / "summary.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 9) << p;  // header + 3x3 configurations
    EXPECT_EQ(csv.rfind("protocol,i,j,eta,lambda,radius,sigma2,sigma2_se,T,T_se,P,V,V_se,Z,Z_se,U,U_se,", 0), 0u)
        << csv.substr(0, 80);
    for (const char* column : {",U_ess,", ",r_ess,", ",tau_model,", ",r_one_step,", ",flags,"})
      EXPECT_NE(csv.find(column), std::string::npos) << column;
  }
  const auto checks = nlohmann::json::parse(slurp(dir_ / "out" / "checks.json"));
  for (const char* key : {"dS_dlog_eta", "dS_dlog_lambda", "radius_max_rel_err", "radius_one_step",
                          "S_sphere_vs_vmf", "v2_pass_rate", "flagged_rows"})
    EXPECT_TRUE(checks["lr"].contains(key)) << key;
  EXPECT_TRUE(checks["lr"]["dS_dlog_eta"].contains("se"));
  EXPECT_TRUE(checks["elr"].contains("dS_dlog_lambda"));
  EXPECT_TRUE(checks["sphere"].contains("dlog_lambda_eff_dlog_r"));  // the sphere's real Maxwell content
  EXPECT_FALSE(checks["sphere"].contains("dS_dlog_r"));              // not the by-construction one
  const auto run = nlohmann::json::parse(slurp(dir_ / "out" / "run.json"));
  EXPECT_EQ(run["config"]["grid"], 3);
  EXPECT_EQ(run["config"]["schedule"], "dynamics");
  EXPECT_EQ(run["config"]["snapshots"], 200);
  EXPECT_EQ(run["seed"], 42);
  EXPECT_TRUE(run["build"].contains("git_revision"));
  EXPECT_NE(run["command"].get<std::string>().find("--grid 3"), std::string::npos);
  for (const char* p : {"lr", "elr", "sphere"}) EXPECT_TRUE(run["results"].contains(p)) << p;
}

TEST_F(ReproduceCli, OneAndTwoThreadsSimulateTheSameNumbers) {
  // Two fresh runs (no checkpoint to load): the thread count changes nothing in any file's numbers.
  ASSERT_EQ(run_cli(small_run("--threads 1 --protocols lr,sphere", "t1")).exit_code, 0);
  ASSERT_EQ(run_cli(small_run("--threads 2 --protocols lr,sphere", "t2")).exit_code, 0);
  for (const char* p : {"lr", "sphere"})
    EXPECT_EQ(slurp(dir_ / "t1" / p / "summary.csv"), slurp(dir_ / "t2" / p / "summary.csv")) << p;
}

TEST_F(ReproduceCli, RerunResumesAndAnotherConfigurationIsRefusedWithoutTouchingTheFolder) {
  ASSERT_EQ(run_cli(small_run("--protocols lr")).exit_code, 0);
  const std::string first = slurp(dir_ / "out" / "lr" / "summary.csv");
  const auto again = run_cli(small_run("--protocols lr"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(slurp(dir_ / "out" / "lr" / "summary.csv"), first);
  const std::string record = slurp(dir_ / "out" / "run.json");
  const auto clash = run_cli(small_run("--seed 7"));
  EXPECT_EQ(clash.exit_code, 2) << clash.output;
  EXPECT_NE(clash.output.find("--restart"), std::string::npos) << clash.output;
  EXPECT_NE(clash.output.find("seed"), std::string::npos) << clash.output;
  EXPECT_EQ(slurp(dir_ / "out" / "run.json"), record);  // a refused run writes nothing
}

TEST_F(ReproduceCli, APartialRerunMergesAndRestartRemovesEveryOldResult) {
  ASSERT_EQ(run_cli(small_run("--protocols lr")).exit_code, 0);
  ASSERT_EQ(run_cli(small_run("--protocols elr")).exit_code, 0);
  auto checks = nlohmann::json::parse(slurp(dir_ / "out" / "checks.json"));
  EXPECT_TRUE(checks.contains("lr"));  // the first run's verdict is kept
  EXPECT_TRUE(checks.contains("elr"));
  auto run = nlohmann::json::parse(slurp(dir_ / "out" / "run.json"));
  EXPECT_TRUE(run["results"].contains("lr"));
  EXPECT_TRUE(run["results"].contains("elr"));
  // --restart with another seed: nothing of the old configuration survives under the new record.
  ASSERT_EQ(run_cli(small_run("--protocols sphere --seed 7 --restart")).exit_code, 0);
  checks = nlohmann::json::parse(slurp(dir_ / "out" / "checks.json"));
  EXPECT_FALSE(checks.contains("lr"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "lr"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "elr"));
  run = nlohmann::json::parse(slurp(dir_ / "out" / "run.json"));
  EXPECT_EQ(run["seed"], 7);
  EXPECT_EQ(run["results"].size(), 1u);
}

TEST_F(ReproduceCli, SmallGridsFinishWithAVerdictInsteadOfCrashing) {
  for (const char* grid : {"1", "2"}) {
    const std::string out = std::string("g") + grid;
    const auto r = run_cli("reproduce iso --out '" + (dir_ / out).string() + "' --config '" +
                           (dir_ / "small.toml").string() + "' --iters 20000 --quiet --grid " + grid);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("verdict:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("needs >= 3 values per axis"), std::string::npos) << r.output;
    const auto checks = nlohmann::json::parse(slurp(dir_ / out / "checks.json"));
    EXPECT_TRUE(checks["lr"].contains("v3_error")) << checks["lr"].dump();
  }
}

TEST_F(ReproduceCli, StaleTemporariesOfKilledWritesAreRemoved) {
  fs::create_directories(dir_ / "out" / "lr");
  std::ofstream(dir_ / "out" / "lr" / "checkpoint.bin.tmp.999999") << "torn";
  ASSERT_EQ(run_cli(small_run("--protocols lr")).exit_code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "out" / "lr" / "checkpoint.bin.tmp.999999"));
}

TEST_F(ReproduceCli, SigtermSavesACheckpointAndTheRerunFinishesBitwiseIdentical) {
  // Reference: uninterrupted.
  std::ofstream(dir_ / "slow.toml") << "eta = [1e-2, 1e-1]\nlambda = [1e-2, 1e-1]\nprotocols = [\"lr\"]\n"
                                       "snapshots = 200\nse_blocks = 4\nbatches = 4\ncheckpoint_seconds = 1000\n";
  const std::string args = "reproduce iso --config '" + (dir_ / "slow.toml").string() +
                           "' --grid 3 --iters 3000000 --quiet --threads 1 --out ";
  ASSERT_EQ(run_cli(args + "'" + (dir_ / "ref").string() + "'").exit_code, 0);
  // Interrupted after half a second, then rerun.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string out = (dir_ / "int").string(), cfg = (dir_ / "slow.toml").string();
    ::execl(IDEALGAS_CLI_PATH, "idealgas", "reproduce", "iso", "--config", cfg.c_str(), "--grid", "3", "--iters",
            "3000000", "--quiet", "--threads", "1", "--out", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // The signal must arrive while the grid runs, not while the program loads (LibTorch's libraries take a while):
  // wait for the run record (written just before the grid starts), then let it simulate a moment.
  for (int waited_ms = 0; !fs::exists(dir_ / "int" / "run.json") && waited_ms < 30'000; waited_ms += 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4);  // interrupted, state saved
  EXPECT_TRUE(fs::exists(dir_ / "int" / "lr" / "checkpoint.bin"));
  EXPECT_FALSE(fs::exists(dir_ / "int" / "lr" / "summary.csv"));
  ASSERT_EQ(run_cli(args + "'" + (dir_ / "int").string() + "'").exit_code, 0);
  EXPECT_EQ(slurp(dir_ / "int" / "lr" / "summary.csv"), slurp(dir_ / "ref" / "lr" / "summary.csv"));
}

TEST_F(ReproduceCli, BadInputGetsOneLineNamingTheValueAndANonZeroExit) {
  struct BadCase {
    std::string args, must_mention;
  };
  const BadCase cases[] = {
      {"--d 1", "'1'"},
      {"--d 9007199254740993", "9007199254740993"},
      {"--sigma2 -1", "'-1'"},
      {"--sigma2 nan", "--sigma2"},
      {"--sigma2 1e-400", "--sigma2"},
      {"--grid 0", "--grid"},
      {"--grid 4294967299", "4294967299"},
      {"--seed -1", "'-1'"},
      {"--seed 1.5", "--seed"},
      {"--iters 0", "--iters"},
      {"--protocols lr,adam", "adam"},
      {"--protocols lr,lr", "twice"},
      {"--schedule fast", "fast"},
      {"--queue-stride 10", "--schedule paper"},
      {"--out ''", "--out"},
  };
  for (const BadCase& c : cases) {
    const std::string out = c.args.rfind("--out", 0) == 0 ? "" : " --out '" + (dir_ / "bad").string() + "'";
    const auto r = run_cli("reproduce iso --quiet" + out + " " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.must_mention), std::string::npos) << c.args << ": " << r.output;
  }
  EXPECT_FALSE(fs::exists(dir_ / "bad" / "run.json"));  // nothing written for bad input
  std::ofstream(dir_ / "typo.toml") << "iteratons = 5\n";
  const auto r = run_cli("reproduce iso --quiet --out '" + (dir_ / "bad").string() + "' --config '" +
                         (dir_ / "typo.toml").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown key 'iteratons' (did you mean 'iterations'?)"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace idealgas
