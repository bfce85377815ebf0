// A test of the idealgas program in a temporary folder of its own: the folder is made fresh before each test and
// removed after it; the test is skipped where the program is not built. slurp() reads a file the program wrote.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/run_cli.hpp"

namespace idealgas::testing {

/// The whole file, bytes as they are ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliFolderTest : public ::testing::Test {
 protected:
  /// `prefix` names the folder under the system's temporary directory (the process id is appended, so that
  /// ctest's parallel test processes never share one).
  explicit CliFolderTest(std::string prefix) : prefix_(std::move(prefix)) {}
  /// Derived fixtures call this first and return when IsSkipped().
  void SetUp() override {
    if (!cli_built()) GTEST_SKIP() << "the idealgas program is not built";
    dir_ = std::filesystem::temp_directory_path() / (prefix_ + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;

 private:
  std::string prefix_;
};

}  // namespace idealgas::testing
