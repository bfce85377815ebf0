// Issue 18 (kinds 8 and 9) for sweeps: one configuration finished in two folders with different results is refused
// by merge and analyze, naming it (merge used to keep the first folder's silently); analyze of two grids says what
// analyze takes (it suggested --out and --restart, which it does not have); a grid of 10^6 configurations stops at
// SIGTERM while it is still being planned (it planned on for a minute, then exited 0).
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_folder_test.hpp"
#include "support/spawn.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::slurp;

class SweepConflicts : public testing::CliFolderTest {
 protected:
  SweepConflicts() : CliFolderTest("idealgas_sweep_conflicts_") {}
  // Two fast isotropic configurations (relaxation in 25-50 iterations): a second or two each.
  fs::path grid(const std::string& name, const std::string& etas) const {
    const fs::path file = dir_ / (name + ".toml");
    std::ofstream(file) << "kind = \"iso\"\n[base]\nprotocol = \"lr\"\nd = 3\nsigma2 = 1.0\nseed = 42\n"
                           "iterations = 20000\n[[axis]]\nkey = \"eta\"\nvalues = "
                        << etas << "\n[[axis]]\nkey = \"lambda\"\nvalues = [0.1]\n";
    return file;
  }
  int sweep(const fs::path& toml, const std::string& out) const {
    return run_cli("sweep '" + toml.string() + "' --jobs 2 --quiet --out '" + (dir_ / out).string() + "'").exit_code;
  }
};

TEST_F(SweepConflicts, MergeAndAnalyzeRefuseAConfigurationFinishedTwiceWithDifferentResults) {
  if (IsSkipped()) return;
  const fs::path g = grid("g", "[0.05, 0.1]");
  ASSERT_EQ(sweep(g, "a"), 0);
  fs::copy(dir_ / "a", dir_ / "same", fs::copy_options::recursive);
  fs::copy(dir_ / "a", dir_ / "other", fs::copy_options::recursive);
  // One run's entropy moved by 1e-3 nats in the copy: the same configuration, another result.
  fs::path changed;
  for (const auto& e : fs::directory_iterator(dir_ / "other" / "runs")) changed = e.path();
  nlohmann::json summary = nlohmann::json::parse(slurp(changed / "summary.json"));
  summary["stationary"]["S"] = summary["stationary"]["S"].get<double>() + 1e-3;
  std::ofstream(changed / "summary.json", std::ios::trunc) << summary.dump(2);

  const auto agreed = run_cli("sweep merge '" + (dir_ / "a").string() + "' '" + (dir_ / "same").string() + "'");
  EXPECT_EQ(agreed.exit_code, 0) << agreed.output;
  const std::string table = slurp(dir_ / "a" / "summary.csv");
  const auto merged = run_cli("sweep merge '" + (dir_ / "a").string() + "' '" + (dir_ / "other").string() + "'");
  EXPECT_EQ(merged.exit_code, 2) << merged.output;
  EXPECT_NE(merged.output.find("with different results"), std::string::npos) << merged.output;
  EXPECT_NE(merged.output.find(changed.filename().string()), std::string::npos) << merged.output;
  EXPECT_EQ(slurp(dir_ / "a" / "summary.csv"), table);  // nothing merged
  const auto analyzed = run_cli("analyze '" + (dir_ / "a").string() + "' '" + (dir_ / "other").string() + "'");
  EXPECT_EQ(analyzed.exit_code, 2) << analyzed.output;
  EXPECT_NE(analyzed.output.find("with different results"), std::string::npos) << analyzed.output;
}

TEST_F(SweepConflicts, AnalyzeOfTwoGridsSaysWhatAnalyzeTakes) {
  if (IsSkipped()) return;
  ASSERT_EQ(sweep(grid("g", "[0.05, 0.1]"), "a"), 0);
  ASSERT_EQ(sweep(grid("h", "[0.1]"), "b"), 0);
  const auto r = run_cli("analyze '" + (dir_ / "a").string() + "' '" + (dir_ / "b").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("analyze takes a sweep folder and folders holding shards of the same grid"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("--restart"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("--out"), std::string::npos) << r.output;
}

// 1000 x 1000 configurations take about a minute to plan (each is validated and its closed forms evaluated); SIGTERM
// 1 s into the planning ends it with exit 4 within 1 s (bound; measured below), nothing written.
TEST_F(SweepConflicts, SigtermWhilePlanningAHugeGridStopsAtOnce) {
  if (IsSkipped()) return;
  const fs::path toml = dir_ / "huge.toml";
  std::ofstream(toml) << "kind = \"iso\"\n[base]\nprotocol = \"lr\"\n[[axis]]\nkey = \"eta\"\nlog = [1e-3, 1e-1, 1000]\n"
                         "[[axis]]\nkey = \"lambda\"\nlog = [1e-3, 1e-1, 1000]\n";
  const pid_t pid = testing::spawn_cli({"sweep", toml.string(), "--quiet", "--out", (dir_ / "huge").string()},
                                       (dir_ / "huge.log").string());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto signalled = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  const int code = testing::wait_exit(pid);
  const double latency_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  EXPECT_EQ(code, 4) << slurp(dir_ / "huge.log");
  EXPECT_NE(slurp(dir_ / "huge.log").find("while planning the grid"), std::string::npos) << slurp(dir_ / "huge.log");
  EXPECT_LT(latency_s, 1.0);
  std::printf("[ measured ] SIGTERM while planning 10^6 configurations: exit %d after %.3f s\n", code, latency_s);
  EXPECT_TRUE(!fs::exists(dir_ / "huge") || fs::is_empty(dir_ / "huge"));
}

}  // namespace
}  // namespace idealgas
