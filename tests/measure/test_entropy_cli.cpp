// `idealgas entropy` with the options of the estimator at scale: the printed numbers are the library's (shortest
// round-trip floats, so equal bits), the old keys stay, a small --budget-mb switches to the stream mode with the
// same numbers, and bad options fail on one line with exit code 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "support/run_cli.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/npy_stream.hpp"

using namespace idealgas;
namespace fs = std::filesystem;

namespace {

class EntropyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!idealgas::testing::cli_built()) GTEST_SKIP() << "the idealgas CLI is not built";
    dir_ = fs::temp_directory_path() / ("idealgas_test_entropy_cli2_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

}  // namespace

TEST_F(EntropyCliTest, OptionsReachTheEstimator) {
  const std::string file = (dir_ / "snap.npy").string();
  std::mt19937_64 rng(501);
  std::normal_distribution<double> normal;
  const std::size_t n = 200, d = 300;
  {
    NpySnapshotWriter w(file, d, NpyDtype::float32);
    std::vector<double> row(d, 0.1);
    for (std::size_t i = 0; i < n; ++i) {
      for (double& v : row) v += 0.1 * normal(rng);
      w.append(row.data());
    }
  }
  // A wide file for the stream mode: 100 x 20000 floats, 16 MB of angles in double, against --budget-mb 6.
  const std::string wide = (dir_ / "wide.npy").string();
  {
    NpySnapshotWriter w(wide, 20000, NpyDtype::float32);
    std::vector<double> row(20000);
    for (std::size_t i = 0; i < 100; ++i) {
      for (double& v : row) v = normal(rng);
      w.append(row.data());
    }
  }
  struct Case {
    std::string args;
    EntropyOptions o;
    std::size_t first, count;
    std::string path;
  };
  std::vector<Case> cases;
  cases.push_back({"", EntropyOptions{}, 0, 0, file});
  {
    EntropyOptions o;
    o.k = 3;
    o.exclude_window = 5;
    o.precision = GramPrecision::float64;
    cases.push_back({"--k 3 --exclude-window 5 --precision float64 --rows 10:190", o, 10, 180, file});
  }
  {
    EntropyOptions o;
    o.euclidean = true;
    o.k = 2;
    cases.push_back({"--euclidean --k 2 --budget-mb 6", o, 0, 0, wide});
    EntropyOptions s;
    cases.push_back({"--budget-mb 6", s, 0, 0, wide});
  }
  for (const Case& c : cases) {
    const auto res = idealgas::testing::run_cli("entropy '" + c.path + "' " + c.args);
    ASSERT_EQ(res.exit_code, 0) << res.output;
    const auto j = nlohmann::json::parse(res.output);
    const EntropyEstimate lib = estimate_entropy_npy(c.path, c.o, c.first, c.count);
    EXPECT_EQ(j.at("dtype").get<std::string>(), "<f4");
    EXPECT_EQ(j.at("n").get<std::size_t>(), lib.n) << c.args;
    EXPECT_EQ(j.at("k").get<int>(), c.o.k);
    EXPECT_EQ(j.at("total_entropy").get<double>(), lib.total_entropy) << c.args;
    EXPECT_EQ(j.at("se").get<double>(), lib.se) << c.args;
    EXPECT_EQ(j.at("adjacent_nn_fraction").get<double>(), lib.adjacent_nn_fraction);
    EXPECT_EQ(j.at("estimator").get<std::string>(), c.o.euclidean ? "euclidean" : "spherical");
    if (!c.o.euclidean) {
      EXPECT_EQ(j.at("spherical_entropy").get<double>(), lib.spherical_entropy) << c.args;
      EXPECT_EQ(j.at("log_radius_term").get<double>(), lib.log_radius_term);
      EXPECT_EQ(j.at("angle_entropy").get<double>(), lib.angle_entropy);
    } else {
      EXPECT_TRUE(j.at("spherical_entropy").is_null());
    }
    EXPECT_EQ(j.at("mode").get<std::string>(), c.path == wide ? "stream" : "memory") << c.args;
    for (const char* key : {"n_distinct", "duplicates", "dim", "mean_radius", "se_iid", "total_se", "se_method",
                            "precision", "mode", "mean_candidates", "timing"})
      EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_GT(j.at("timing").at("seconds_total").get<double>(), 0.0);
  }
}

TEST_F(EntropyCliTest, BadOptionsFailOnOneLine) {
  const std::string file = (dir_ / "x.npy").string();
  {
    NpySnapshotWriter w(file, 4, NpyDtype::float64);
    const double rows[3][4] = {{1, 2, 3, 4}, {2, 1, 4, 3}, {4, 3, 1, 2}};
    for (const auto& r : rows) w.append(r);
  }
  for (const std::string& args : {"--k 2 --exclude-window 3", "--budget-mb 0.0001"}) {
    const auto res = idealgas::testing::run_cli("entropy '" + file + "' " + args);
    EXPECT_EQ(res.exit_code, 2) << args << ": " << res.output;
    EXPECT_EQ(std::count(res.output.begin(), res.output.end(), '\n'), 1) << args << ": " << res.output;
  }
  // Every flag as written: never truncated, saturated, rounded or replaced by a default. The message names the
  // flag and the value as written and says what is accepted; exit code 2 (docs/entropy.md).
  struct Case {
    std::string args, needle;
  };
  for (const Case& c : std::vector<Case>{
           {"--k 11", "--k '11': expected an integer from 1 to 10"},
           {"--k 0", "--k '0': expected an integer from 1 to 10"},
           {"--k 1.5", "--k '1.5': expected an integer"},
           {"--k -1", "--k '-1': expected an integer"},
           {"--k 4294967297", "--k '4294967297'"},
           {"--k 1e0", "--k '1e0'"},
           {"--k ' 2'", "--k ' 2'"},
           {"--exclude-window -1", "--exclude-window '-1': expected an integer >= 0"},
           {"--exclude-window 18446744073709551616", "--exclude-window '18446744073709551616'"},
           {"--exclude-window 2.0", "--exclude-window '2.0'"},
           {"--se-batches 1", "--se-batches '1': expected an integer from 2 to 2147483647"},
           {"--se-batches 2147483648", "--se-batches '2147483648'"},
           {"--budget-mb 1e-9", "--budget-mb '1e-9': less than one byte"},
           {"--budget-mb -5", "--budget-mb '-5': expected a finite decimal number >= 0"},
           {"--budget-mb nan", "--budget-mb 'nan'"},
           {"--budget-mb inf", "--budget-mb 'inf'"},
           {"--budget-mb 0x10", "--budget-mb '0x10'"},
           {"--budget-mb 1e30", "--budget-mb '1e30': more than 2^64 bytes"},
           {"--rows 2:1", "--rows '2:1': expected A < B"},
           {"--rows 5", "--rows '5': expected A:B"},
           {"--rows -1:3", "--rows (first row A of A:B) '-1'"},
           {"--rows 0:18446744073709551616", "--rows (end B of A:B) '18446744073709551616'"},
           {"--rows 1:2.5", "--rows (end B of A:B) '2.5'"},
           {"--precision float16", "--precision 'float16': expected float32 or float64"},
       }) {
    const auto res = idealgas::testing::run_cli("entropy '" + file + "' " + c.args);
    EXPECT_EQ(res.exit_code, 2) << c.args << ": " << res.output;
    EXPECT_EQ(std::count(res.output.begin(), res.output.end(), '\n'), 1) << c.args << ": " << res.output;
    EXPECT_NE(res.output.find(c.needle), std::string::npos) << c.args << ": " << res.output;
  }
  const auto empty = idealgas::testing::run_cli("entropy ''");
  EXPECT_EQ(empty.exit_code, 2) << empty.output;
  EXPECT_NE(empty.output.find("FILE is empty"), std::string::npos) << empty.output;
}

// Values that are valid are used exactly: --budget-mb 0.5 is a budget of 524288 bytes (not the default), and
// large row numbers reach the library unchanged (then refused by it, naming the file's row count).
TEST_F(EntropyCliTest, ValidValuesAreHonouredExactly) {
  const std::string file = (dir_ / "y.npy").string();
  std::mt19937_64 rng(503);
  std::normal_distribution<double> normal;
  std::vector<double> x(60 * 5);
  for (double& v : x) v = normal(rng);
  write_npy(file, x.data(), 60, 5);
  auto res = idealgas::testing::run_cli("entropy '" + file + "' --budget-mb 0.5 --k 2 --se-batches 7");
  ASSERT_EQ(res.exit_code, 0) << res.output;
  auto j = nlohmann::json::parse(res.output);
  EXPECT_EQ(j.at("budget_mb").get<double>(), 0.5);
  EXPECT_EQ(j.at("k").get<int>(), 2);
  EXPECT_NE(j.at("se_method").get<std::string>().find("over 7 contiguous batches"), std::string::npos);
  res = idealgas::testing::run_cli("entropy '" + file + "' --rows 18446744073709551614:18446744073709551615");
  EXPECT_EQ(res.exit_code, 2) << res.output;
  EXPECT_NE(res.output.find("the file holds 60 rows"), std::string::npos) << res.output;
  // Rows of 1e300 and of 1e-200 are valid data: the same S(rho_w_hat) as the unscaled rows (angles do not depend
  // on the scale; allowance 1e-9 nats for the rounding of c x).
  res = idealgas::testing::run_cli("entropy '" + file + "'");
  ASSERT_EQ(res.exit_code, 0) << res.output;
  const double s_ref = nlohmann::json::parse(res.output).at("spherical_entropy").get<double>();
  for (const double c : {1e300, 1e-200}) {
    std::vector<double> y(x);
    for (double& v : y) v *= c;
    const std::string scaled = (dir_ / "scaled.npy").string();
    write_npy(scaled, y.data(), 60, 5);
    res = idealgas::testing::run_cli("entropy '" + scaled + "'");
    ASSERT_EQ(res.exit_code, 0) << c << ": " << res.output;
    EXPECT_NEAR(nlohmann::json::parse(res.output).at("spherical_entropy").get<double>(), s_ref, 1e-9) << c;
  }
}
