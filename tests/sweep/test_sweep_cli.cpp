// `idealgas simulate iso` and `idealgas sweep` as a user runs them: a sweep runs the very configurations of
// `reproduce iso` (same rows, bit for bit), resumes without redoing anything, shards merge into the same table as one
// run, a failed configuration is recorded with its reason while the rest continues and is retried by a rerun,
// divergence is a result, SIGTERM stops cleanly (exit 4) and the rerun ends with the table of an uninterrupted run,
// and bad input gets one line, a non-zero exit and nothing written.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fcntl.h>
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


std::vector<std::string> split(const std::string& line, char sep = ',') {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, sep)) out.push_back(f);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

/// CSV (no quoted commas in these files' numeric parts) as rows of column -> text.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& file) {
  std::stringstream in(slurp(file));
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split(line);
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < header.size() && k < fields.size(); ++k) row[header[k]] = fields[k];
    rows.push_back(row);
  }
  return rows;
}

// Settings of the fast corner (relaxation times of tens to hundreds of iterations), shared by the grid, the sweep and
// reproduce iso: what makes their rows comparable.
const char* const kSchedule = "iterations = 20000\nsnapshots = 200\nse_blocks = 4\nbatches = 4\nwindow_relaxations = 20\n";

class SweepCli : public testing::CliFolderTest {
 protected:
  SweepCli() : CliFolderTest("idealgas_sweep_") {}
  void SetUp() override {
    CliFolderTest::SetUp();
    if (IsSkipped()) return;
    std::ofstream(dir_ / "grid.toml") << "kind = \"iso\"\ndescription = \"test grid\"\n[base]\nprotocol = \"lr\"\n"
                                      << kSchedule
                                      << "[[axis]]\nkey = \"eta\"\nlog = [3e-2, 1e-1, 3]\n"
                                         "[[axis]]\nkey = \"lambda\"\nlog = [3e-2, 1e-1, 3]\n";
  }
  std::string sweep(const std::string& out, const std::string& extra = "") const {
    return "sweep '" + (dir_ / "grid.toml").string() + "' --out '" + (dir_ / out).string() + "' --quiet " + extra;
  }
};

TEST_F(SweepCli, RunsTheConfigurationsOfReproduceIsoBitForBit) {
  const auto r = run_cli(sweep("s", "--jobs 2"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("9 done, 0 diverged, 0 failed, 0 pending"), std::string::npos) << r.output;
  std::ofstream(dir_ / "iso.toml") << "protocols = [\"lr\"]\neta = [3e-2, 1e-1]\nlambda = [3e-2, 1e-1]\n" << kSchedule;
  const auto ref = run_cli("reproduce iso --quiet --grid 3 --config '" + (dir_ / "iso.toml").string() + "' --out '" +
                           (dir_ / "ref").string() + "'");
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  const auto sweep_rows = read_csv(dir_ / "s" / "summary.csv");
  const auto iso_rows = read_csv(dir_ / "ref" / "lr" / "summary.csv");
  ASSERT_EQ(sweep_rows.size(), 9u);
  ASSERT_EQ(iso_rows.size(), 9u);
  for (std::size_t k = 0; k < 9; ++k) {
    // Grid order is the same (eta outer, lambda inner); every result column as written, i.e. every bit.
    for (const char* column : {"eta", "lambda", "T", "U", "U_se", "S_sphere", "S_sphere_se", "S", "r_mean", "r_se",
                               "V", "V_se", "Z", "Z_se", "r_discrete", "adjacent_nn_fraction", "iterations"}) {
      EXPECT_EQ(sweep_rows[k].at(column), iso_rows[k].at(column)) << "row " << k << " column " << column;
    }
    EXPECT_EQ(sweep_rows[k].at("state"), "done");
    EXPECT_EQ(sweep_rows[k].at("axis:eta"), sweep_rows[k].at("eta"));
  }
  const nlohmann::json status = nlohmann::json::parse(slurp(dir_ / "s" / "sweep.json"));
  EXPECT_EQ(status["counts"]["done"], 9);
  EXPECT_EQ(status["configurations"].size(), 9u);
}

TEST_F(SweepCli, RerunSkipsEverythingAndWritesTheSameTable) {
  ASSERT_EQ(run_cli(sweep("s")).exit_code, 0);
  const std::string first = slurp(dir_ / "s" / "summary.csv");
  const auto again = run_cli(sweep("s", "--jobs 3"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("(0 finished now, 9 were done before"), std::string::npos) << again.output;
  EXPECT_EQ(slurp(dir_ / "s" / "summary.csv"), first);
  // The status view agrees.
  const auto status = run_cli("sweep status '" + (dir_ / "s").string() + "'");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("9 configurations: 9 done, 0 diverged, 0 failed, 0 running, 0 pending"),
            std::string::npos)
      << status.output;
}

TEST_F(SweepCli, ShardsMergeIntoTheTableOfOneRun) {
  ASSERT_EQ(run_cli(sweep("whole")).exit_code, 0);
  // Two shards in one folder (as on a cluster), then the merge.
  for (const char* shard : {"0/2", "1/2"}) {
    const auto r = run_cli(sweep("shared", std::string("--shard ") + shard));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("when every shard has finished: idealgas sweep merge"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(dir_ / "shared" / "summary.csv"));  // shards write no whole-grid view
  const auto merged = run_cli("sweep merge '" + (dir_ / "shared").string() + "'");
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_EQ(slurp(dir_ / "shared" / "summary.csv"), slurp(dir_ / "whole" / "summary.csv"));
  // Three shards in three folders (three machines), merged into a fresh folder.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run_cli(sweep("part" + std::to_string(i), "--shard " + std::to_string(i) + "/3")).exit_code, 0);
  const auto apart = run_cli("sweep merge '" + (dir_ / "merged").string() + "' '" + (dir_ / "part0").string() + "' '" +
                             (dir_ / "part1").string() + "' '" + (dir_ / "part2").string() + "'");
  ASSERT_EQ(apart.exit_code, 0) << apart.output;
  EXPECT_EQ(slurp(dir_ / "merged" / "summary.csv"), slurp(dir_ / "whole" / "summary.csv"));
  // A merge of an incomplete set says what is missing (exit 3) but writes the view.
  const auto partial = run_cli("sweep merge '" + (dir_ / "part0").string() + "'");
  EXPECT_EQ(partial.exit_code, 3) << partial.output;
  EXPECT_NE(partial.output.find("6 of 9 configurations have no result yet"), std::string::npos) << partial.output;
}

TEST_F(SweepCli, AFailedConfigurationIsRecordedTheRestContinuesAndARerunRetriesIt) {
  ASSERT_EQ(run_cli(sweep("s")).exit_code, 0);
  // Make configuration 4's folder hold another configuration's results: its job refuses to run there.
  const nlohmann::json status = nlohmann::json::parse(slurp(dir_ / "s" / "sweep.json"));
  const std::string id = status["configurations"][4]["id"];
  const fs::path run = dir_ / "s" / "runs" / id;
  const std::string record = slurp(run / "run.json");
  nlohmann::json other = nlohmann::json::parse(record);
  other["config"]["seed"] = 1;
  fs::remove(run / "summary.json");
  std::ofstream(run / "run.json") << other.dump();
  const auto r = run_cli(sweep("s"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("8 done, 0 diverged, 1 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("holds results of another configuration"), std::string::npos) << r.output;
  const auto rows = read_csv(dir_ / "s" / "summary.csv");
  EXPECT_EQ(rows[4].at("state"), "failed");
  EXPECT_NE(rows[4].at("reason").find("exit status 2"), std::string::npos) << rows[4].at("reason");
  const nlohmann::json failure = nlohmann::json::parse(slurp(run / "failure.json"));
  EXPECT_EQ(failure["exit_code"], 2);
  // Fix the cause; the rerun retries only the failed configuration.
  std::ofstream(run / "run.json") << record;
  const auto again = run_cli(sweep("s"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("(1 finished now, 8 were done before"), std::string::npos) << again.output;
  EXPECT_FALSE(fs::exists(run / "failure.json"));
}

TEST_F(SweepCli, DivergenceIsARecordedResult) {
  std::ofstream(dir_ / "div.toml") << "kind = \"iso\"\n[base]\nprotocol = \"lr\"\nlambda = 1.0\n" << kSchedule
                                   << "[[axis]]\nkey = \"eta\"\nvalues = [0.01, 1000.0]\n";
  const auto r = run_cli("sweep '" + (dir_ / "div.toml").string() + "' --out '" + (dir_ / "d").string() + "' --quiet");
  EXPECT_EQ(r.exit_code, 0) << r.output;  // every configuration has a result
  EXPECT_NE(r.output.find("1 done, 1 diverged, 0 failed"), std::string::npos) << r.output;
  const auto rows = read_csv(dir_ / "d" / "summary.csv");
  EXPECT_EQ(rows[1].at("state"), "diverged");
  const std::string csv = slurp(dir_ / "d" / "summary.csv");
  EXPECT_NE(csv.find("diverged,\"diverged: {\"\"eta\"\":1000.0"), std::string::npos) << csv;  // the reason, quoted
  EXPECT_NE(csv.find("(NaN, collapse or explosion)"), std::string::npos) << csv;
  // Not retried: the rerun finds it finished.
  const auto again = run_cli("sweep '" + (dir_ / "div.toml").string() + "' --out '" + (dir_ / "d").string() + "' --quiet");
  EXPECT_NE(again.output.find("(0 finished now, 2 were done before"), std::string::npos) << again.output;
}

TEST_F(SweepCli, SigtermStopsTheJobsCleanlyAndTheRerunEndsWithTheSameTable) {
  // Slower configurations (relaxation times of ~10^4 iterations) with a checkpoint at every chunk.
  std::ofstream(dir_ / "slow.toml") << "kind = \"iso\"\n[base]\nprotocol = \"lr\"\ncheckpoint_seconds = 0.0\n"
                                       "snapshots = 200\nse_blocks = 4\nbatches = 4\n"
                                       "[[axis]]\nkey = \"eta\"\nvalues = [3e-3, 1e-2]\n"
                                       "[[axis]]\nkey = \"lambda\"\nvalues = [1e-2]\n";
  const std::string grid = (dir_ / "slow.toml").string();
  ASSERT_EQ(run_cli("sweep '" + grid + "' --out '" + (dir_ / "ref").string() + "' --quiet").exit_code, 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string out = (dir_ / "cut").string();
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::execl(IDEALGAS_CLI_PATH, IDEALGAS_CLI_PATH, "sweep", grid.c_str(), "--out", out.c_str(), "--jobs", "2", "--quiet",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until both jobs have written a checkpoint, then stop the sweep.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int checkpoints = 0;
  while (checkpoints < 2 && std::chrono::steady_clock::now() < deadline) {
    checkpoints = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_ / "cut", ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      checkpoints += it->path().filename() == "checkpoint.bin";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  if (checkpoints < 2 || !WIFEXITED(status) || WEXITSTATUS(status) != 4) {
    // The sweep may finish before the signal on a fast machine; then there is nothing to test here.
    ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal";
    if (WEXITSTATUS(status) == 0) GTEST_SKIP() << "the sweep finished before SIGTERM";
    FAIL() << "exit status " << WEXITSTATUS(status) << " (expected 4)";
  }
  const auto status_after = run_cli("sweep status '" + (dir_ / "cut").string() + "'");
  EXPECT_NE(status_after.output.find("0 failed, 0 running"), std::string::npos) << status_after.output;
  const auto rerun = run_cli("sweep '" + grid + "' --out '" + (dir_ / "cut").string() + "' --quiet");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_EQ(slurp(dir_ / "cut" / "summary.csv"), slurp(dir_ / "ref" / "summary.csv"));
}

TEST_F(SweepCli, BadInputGetsOneLineAndWritesNothing) {
  const std::string grid = (dir_ / "grid.toml").string();
  const std::string out = (dir_ / "never").string();
  fs::create_directories(dir_ / "empty");
  // Hyperparameters where the closed forms underflow (T = 0) are refused before the run writes anything.
  std::ofstream(dir_ / "tiny.toml") << "protocol = \"lr\"\neta = 1e-300\nlambda = 1e-300\n" << kSchedule;
  const std::string tiny = (dir_ / "tiny.toml").string();
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"sweep '" + grid + "' --out '" + out + "' --jobs 0", "--jobs '0': expected"},
      {"sweep '" + grid + "' --out '" + out + "' --jobs 1.5", "--jobs '1.5': expected"},
      {"sweep '" + grid + "' --out '" + out + "' --jobs -1", "--jobs '-1': expected"},
      {"sweep '" + grid + "' --out '" + out + "' --shard 2/2", "--shard '2/2': expected I/N"},
      {"sweep '" + grid + "' --out '" + out + "' --shard x", "--shard 'x': expected I/N"},
      {"sweep '" + grid + "' --out ''", "--out is empty"},
      // Empty values are mistakes, never "not given" (issue 11).
      {"sweep '" + grid + "' --out '" + out + "' --shard ''", "--shard is empty"},
      {"sweep '" + grid + "' --out '" + out + "' --slurm --dry-run --time ''", "--time is empty"},
      {"sweep '" + grid + "' --out '" + out + "' --slurm --dry-run --array-limit ''", "--array-limit is empty"},
      {"sweep '" + grid + "' --out '" + out + "' --slurm --dry-run --partition ''", "--partition is empty"},
      {"analyze ''", "DIR is empty"},
      {"sweep status ''", "DIR is empty"},
      {"sweep --preset nope --out '" + out + "'", "--preset 'nope' is not a grid preset"},
      {"sweep '" + grid + "' --preset iso-small --out '" + out + "'", "not both"},
      {"sweep --out '" + out + "'", "needs a grid CONFIG.toml or --preset NAME"},
      {"sweep '" + grid + "' --out '" + out + "' --partition debug", "--partition applies to --slurm"},
      {"sweep '" + grid + "' --out '" + out + "' --slurm --dry-run --time 25:61:00", "--time \"25:61:00\""},
      {"sweep '" + grid + "' --out '" + out + "' --slurm --dry-run --models-per-task 0", "--models-per-task '0'"},
      {"sweep '" + grid + "' --out '" + out + "' --slurm --dry-run --shard 0/2", "--shard and --slurm"},
      {"sweep status '" + out + "'", "is not a folder"},
      {"sweep status '" + (dir_ / "empty").string() + "'", "is not a sweep folder"},
      {"sweep merge '" + out + "'", "is not a folder"},
      {"simulate iso '" + grid + "' --out '" + out + "'", "missing key 'protocol'"},
      {"simulate iso '" + tiny + "' --out '" + out + "'", "outside the range of the closed forms"},
  };
  for (const Case& c : cases) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.args;
  }
  // A folder holding another grid is refused before anything is written.
  ASSERT_EQ(run_cli(sweep("s")).exit_code, 0);
  std::ofstream(dir_ / "other.toml") << "kind = \"iso\"\n[base]\nprotocol = \"lr\"\n" << kSchedule
                                     << "[[axis]]\nkey = \"eta\"\nlog = [3e-2, 1e-1, 2]\n"
                                        "[[axis]]\nkey = \"lambda\"\nlog = [3e-2, 1e-1, 3]\n";
  const auto other = run_cli("sweep '" + (dir_ / "other.toml").string() + "' --out '" + (dir_ / "s").string() + "'");
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("holds a sweep of another grid (it has 9 configurations, this grid 6)"), std::string::npos)
      << other.output;
}

TEST_F(SweepCli, SlurmDryRunPrintsTheScriptsAndWritesNothing) {
  const auto r = run_cli(sweep("s", "--slurm --dry-run --models-per-task 2 --array-limit 3 --time 1:00:00 --partition debug"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "s"));
  EXPECT_NE(r.output.find("9 configurations in 5 array tasks of 2, 2 CPU(s) each"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("#SBATCH --array=0-4%3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("#SBATCH --partition=debug"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--shard \"${SLURM_ARRAY_TASK_ID}\"/5 --jobs 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sweep merge " + (dir_ / "s").string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("#SBATCH --kill-on-invalid-dep=yes"), std::string::npos) << r.output;
}

TEST_F(SweepCli, AnalyzeAndReportASweepAndItsShards) {
  ASSERT_EQ(run_cli(sweep("s", "--jobs 2")).exit_code, 0);
  const auto a = run_cli("analyze '" + (dir_ / "s").string() + "' --bootstrap 200");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_NE(a.output.find("V3 Table 4"), std::string::npos) << a.output;
  const nlohmann::json j = nlohmann::json::parse(slurp(dir_ / "s" / "analysis.json"));
  EXPECT_EQ(j["source"], "sweep");
  ASSERT_EQ(j["grids"].size(), 1u);
  const nlohmann::json& g = j["grids"][0];
  EXPECT_EQ(g["protocol"], "lr");
  EXPECT_EQ(g["n_first"], 3);
  EXPECT_EQ(g["n_second"], 3);
  EXPECT_TRUE(g["sigma2_collapse"]["constant"].get<bool>());  // the isotropic model's sigma^2
  EXPECT_EQ(g["table4"]["values"].size(), 6u);  // the paper's three, (a1-a2)/R at the grid's centre, max_rel_err, R^2
  EXPECT_EQ(g["table4"]["n_bootstrap"], 200);
  EXPECT_EQ(g["compressibility"]["n"], 9);
  EXPECT_EQ(read_csv(dir_ / "s" / "analysis" / "lr.csv").size(), 9u);
  // The grid table is the sweep's rows in grid order: the same numbers as summary.csv.
  const auto table = read_csv(dir_ / "s" / "analysis" / "lr.csv");
  const auto rows = read_csv(dir_ / "s" / "summary.csv");
  for (std::size_t k = 0; k < 9; ++k) EXPECT_EQ(table[k].at("S"), rows[k].at("S")) << k;
  // Over shard folders: the same table.
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(run_cli(sweep("part" + std::to_string(i), "--shard " + std::to_string(i) + "/2")).exit_code, 0);
  const auto shards = run_cli("analyze '" + (dir_ / "part0").string() + "' '" + (dir_ / "part1").string() + "'");
  ASSERT_EQ(shards.exit_code, 0) << shards.output;
  EXPECT_EQ(slurp(dir_ / "part0" / "analysis" / "lr.csv"), slurp(dir_ / "s" / "analysis" / "lr.csv"));
  // A folder of another grid (here: a copy whose grid.toml names other eta values) or one listed twice is refused
  // on one line, and the analysis already written stays as it was.
  fs::copy(dir_ / "part1", dir_ / "other", fs::copy_options::recursive);
  std::string other_grid = slurp(dir_ / "other" / "grid.toml");
  const std::size_t at_eta = other_grid.find("log = [3e-2, 1e-1, 3]");
  ASSERT_NE(at_eta, std::string::npos) << other_grid;
  other_grid.replace(at_eta, 21, "log = [3e-2, 2e-1, 3]");
  std::ofstream(dir_ / "other" / "grid.toml", std::ios::trunc) << other_grid;
  const std::string analysis = slurp(dir_ / "part0" / "analysis.json");
  for (const std::string& second : {"other", "part0"}) {
    const auto bad = run_cli("analyze '" + (dir_ / "part0").string() + "' '" + (dir_ / second).string() + "'");
    EXPECT_EQ(bad.exit_code, 2) << second << "\n" << bad.output;
    EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
    EXPECT_NE(bad.output.find(second == "other" ? "another grid" : "listed twice"), std::string::npos) << bad.output;
  }
  EXPECT_EQ(slurp(dir_ / "part0" / "analysis.json"), analysis);
  // The report: figures and one page that names no missing file.
  const auto r = run_cli("report '" + (dir_ / "s").string() + "' --format png");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"fig2_lr.png", "fig13_lr.png", "z_map_lr.png"})
    EXPECT_TRUE(fs::exists(dir_ / "s" / "figures" / f)) << f;
  const std::string page = slurp(dir_ / "s" / "report.html");
  EXPECT_NE(page.find("V3 as the paper"), std::string::npos);
  EXPECT_NE(page.find("Table 4"), std::string::npos);
  EXPECT_NE(page.find("no learning curves"), std::string::npos);  // isotropic jobs keep no time series
  std::size_t at = 0;
  while ((at = page.find("href=\"figures/", at)) != std::string::npos) {
    const std::size_t end = page.find('"', at + 6);
    EXPECT_TRUE(fs::exists(dir_ / "s" / page.substr(at + 6, end - at - 6))) << page.substr(at + 6, end - at - 6);
    at = end;
  }
}

TEST_F(SweepCli, AnalyzeAReproduceIsoFolderAndRefuseOthers) {
  std::ofstream(dir_ / "iso.toml") << "protocols = [\"elr\"]\neta_eff = [3e-2, 1e-1]\nlambda = [3e-2, 1e-1]\n" << kSchedule;
  ASSERT_EQ(run_cli("reproduce iso --quiet --grid 3 --config '" + (dir_ / "iso.toml").string() + "' --out '" +
                    (dir_ / "ref").string() + "'")
                .exit_code,
            0);
  const auto a = run_cli("analyze '" + (dir_ / "ref").string() + "' --bootstrap 50");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const nlohmann::json j = nlohmann::json::parse(slurp(dir_ / "ref" / "analysis.json"));
  EXPECT_EQ(j["source"], "reproduce iso");
  EXPECT_EQ(j["grids"][0]["protocol"], "elr");
  EXPECT_EQ(j["grids"][0]["table4"]["values"][0]["name"], "a2/R");
  fs::create_directories(dir_ / "empty");
  for (const std::string& args : {"analyze '" + (dir_ / "empty").string() + "'", "analyze '" + (dir_ / "nope").string() + "'",
                                  "analyze '" + (dir_ / "ref").string() + "' --bootstrap -1"}) {
    const auto bad = run_cli(args);
    EXPECT_EQ(bad.exit_code, 2) << args << "\n" << bad.output;
    EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
  }
  EXPECT_FALSE(fs::exists(dir_ / "empty" / "analysis.json"));
}

TEST_F(SweepCli, SimulateIsoResumesAndRefusesAnotherConfiguration) {
  std::ofstream(dir_ / "one.toml") << "protocol = \"elr\"\neta_eff = 0.05\nlambda = 0.05\n" << kSchedule;
  const std::string run = "simulate iso '" + (dir_ / "one.toml").string() + "' --out '" + (dir_ / "one").string() + "'";
  const auto r = run_cli(run + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json summary = nlohmann::json::parse(slurp(dir_ / "one" / "summary.json"));
  EXPECT_EQ(summary["status"], "finished");
  EXPECT_EQ(summary["hyperparameters"]["eta_eff"], 0.05);
  EXPECT_TRUE(summary["stationary"]["U"].is_number());
  const std::string csv = slurp(dir_ / "one" / "summary.csv");
  ASSERT_EQ(run_cli(run + " --quiet --threads 2").exit_code, 0);  // threads change no number
  EXPECT_EQ(slurp(dir_ / "one" / "summary.csv"), csv);
  std::ofstream(dir_ / "one.toml", std::ios::app) << "seed = 5\n";
  const auto refused = run_cli(run);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("holds results of another configuration ( seed: folder has 42, now 5;)"),
            std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace idealgas
