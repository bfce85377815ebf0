// `idealgas entropy --device`: the LibTorch path prints the OpenBLAS path's numbers (shortest round-trip floats, so
// equal text means equal bits) and records where the products ran; an unusable or unknown device, or --device
// with --naive, is one line and exit code 2, with nothing printed on stdout but that line.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "support/run_cli.hpp"
#include "idealgas/measure/npy_stream.hpp"

namespace fs = std::filesystem;

namespace {

class EntropyDeviceCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!idealgas::testing::cli_built()) GTEST_SKIP() << "the idealgas CLI is not built";
    dir_ = fs::temp_directory_path() / ("idealgas_test_entropy_device_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    file_ = (dir_ / "queue.npy").string();
    std::mt19937_64 rng(1301);
    std::normal_distribution<double> normal;
    idealgas::NpySnapshotWriter w(file_, 400, idealgas::NpyDtype::float32);
    std::vector<double> row(400, 0.2);
    for (int i = 0; i < 150; ++i) {
      for (double& v : row) v += 0.1 * normal(rng);
      w.append(row.data());
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string file_;
};

}  // namespace

TEST_F(EntropyDeviceCliTest, TorchDevicePrintsTheSameNumbers) {
  std::vector<std::string> devices{"cpu"};
  if (torch::cuda::is_available()) devices.push_back("cuda:0");
  for (const std::string precision : {"float32", "float64"}) {
    const auto blas = idealgas::testing::run_cli("entropy '" + file_ + "' --k 2 --precision " + precision);
    ASSERT_EQ(blas.exit_code, 0) << blas.output;
    const auto jb = nlohmann::json::parse(blas.output);
    EXPECT_EQ(jb.at("gram_device"), "blas");
    for (const std::string& dev : devices) {
      const auto res =
          idealgas::testing::run_cli("entropy '" + file_ + "' --k 2 --precision " + precision + " --device " + dev);
      ASSERT_EQ(res.exit_code, 0) << res.output;
      const auto j = nlohmann::json::parse(res.output);
      EXPECT_EQ(j.at("gram_device"), dev);
      for (const char* key : {"spherical_entropy", "total_entropy", "angle_entropy", "mean_log_jacobian", "se",
                              "total_se", "adjacent_nn_fraction", "n_distinct"})
        EXPECT_EQ(j.at(key).dump(), jb.at(key).dump()) << key << " on " << dev << ", " << precision;
    }
  }
}

TEST_F(EntropyDeviceCliTest, BadDevicesFailOnOneLine) {
  struct Case {
    std::string args, needle;
  };
  std::vector<Case> cases{{"--device gpu", "--device 'gpu': expected cpu, cuda or cuda:N"},
                          {"--device cuda:1000", "--device 'cuda:1000': expected cpu, cuda or cuda:N"},
                          {"--device cpu --naive", "--device 'cpu' runs the Gram products, which --naive does not"}};
  if (!torch::cuda::is_available())
    cases.push_back({"--device cuda", "--device 'cuda': this LibTorch"});
  for (const Case& c : cases) {
    const auto res = idealgas::testing::run_cli("entropy '" + file_ + "' " + c.args);
    EXPECT_EQ(res.exit_code, 2) << c.args << ": " << res.output;
    EXPECT_EQ(std::count(res.output.begin(), res.output.end(), '\n'), 1) << c.args << ": " << res.output;
    EXPECT_NE(res.output.find(c.needle), std::string::npos) << c.args << ": " << res.output;
  }
}
