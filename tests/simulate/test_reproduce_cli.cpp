// `idealgas reproduce iso` as a user runs it: outputs and their contents, resume of a finished run,
// and one-line errors with a non-zero exit for bad input.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/run_cli.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;
using testing::cli_built;
using testing::run_cli;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ReproduceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cli_built()) GTEST_SKIP() << "the idealgas program is not built";
    dir_ = fs::temp_directory_path() / ("idealgas_reproduce_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "small.toml") << "queue_size = 100\nqueue_stride = 50\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string small_run(const std::string& extra = "") const {
    return "reproduce iso --out '" + (dir_ / "out").string() + "' --config '" + (dir_ / "small.toml").string() +
           "' --grid 3 --iters 60000 --quiet " + extra;
  }
  fs::path dir_;
};

TEST_F(ReproduceCli, WritesSummariesChecksAndTheRunRecord) {
  const auto r = run_cli(small_run());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("verdict:"), std::string::npos) << r.output;
  for (const char* p : {"lr", "elr", "sphere"}) {
    const std::string csv = slurp(dir_ / "out" / p / "summary.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 9) << p;  // header + 3x3 configurations
    EXPECT_EQ(csv.rfind("protocol,i,j,eta,lambda,radius,T,P,V,U,", 0), 0u) << csv.substr(0, 80);
  }
  const auto checks = nlohmann::json::parse(slurp(dir_ / "out" / "checks.json"));
  for (const char* key : {"dS_dlog_eta", "dS_dlog_lambda", "radius_max_rel_err", "v2_pass_rate", "v2_exact_rate"})
    EXPECT_TRUE(checks["lr"].contains(key)) << key;
  EXPECT_TRUE(checks["lr"]["dS_dlog_eta"].contains("se"));
  EXPECT_TRUE(checks["elr"].contains("dS_dlog_lambda"));
  EXPECT_TRUE(checks["sphere"].contains("lambda_eff_max_rel_err"));
  const auto run = nlohmann::json::parse(slurp(dir_ / "out" / "run.json"));
  EXPECT_EQ(run["config"]["grid"], 3);
  EXPECT_EQ(run["config"]["iterations"], 60000);
  EXPECT_EQ(run["config"]["queue_size"], 100);
  EXPECT_EQ(run["seed"], 42);
  EXPECT_TRUE(run["build"].contains("git_revision"));
}

TEST_F(ReproduceCli, RerunResumesFromTheFinishedCheckpointWithIdenticalResults) {
  ASSERT_EQ(run_cli(small_run()).exit_code, 0);
  const std::string first = slurp(dir_ / "out" / "lr" / "summary.csv");
  const auto again = run_cli(small_run("--threads 1"));  // thread count does not enter the results
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(slurp(dir_ / "out" / "lr" / "summary.csv"), first);
  // Another configuration in the same folder is refused, naming the folder and the way out.
  const auto clash = run_cli(small_run("--seed 7"));
  EXPECT_EQ(clash.exit_code, 2) << clash.output;
  EXPECT_NE(clash.output.find("--restart"), std::string::npos) << clash.output;
}

TEST_F(ReproduceCli, BadInputGetsOneLineNamingTheValueAndANonZeroExit) {
  struct BadCase {
    std::string args, must_mention;
  };
  const BadCase cases[] = {
      {"--d 1", "got 1"},          {"--sigma2 -1", "got -1"},      {"--sigma2 nan", "sigma2"},
      {"--grid 0", "grid"},        {"--iters 10", "iterations"},   {"--protocols lr,adam", "adam"},
  };
  for (const BadCase& c : cases) {
    const auto r = run_cli("reproduce iso --quiet --out '" + (dir_ / "bad").string() + "' " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.must_mention), std::string::npos) << c.args << ": " << r.output;
  }
  std::ofstream(dir_ / "typo.toml") << "iteratons = 5\n";
  const auto r = run_cli("reproduce iso --quiet --config '" + (dir_ / "typo.toml").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown key 'iteratons'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace idealgas
