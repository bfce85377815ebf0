// Runs the built `idealgas` program (path from the IDEALGAS_CLI_PATH macro) and captures its exit code and
// combined stdout+stderr, so tests can check what a user sees.
#pragma once

#include <cstdio>
#include <string>

#include <sys/wait.h>

namespace idealgas::testing {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

inline bool cli_built() { return !std::string(IDEALGAS_CLI_PATH).empty(); }

/// Runs `idealgas ARGS` through the shell (ARGS must be quoted by the caller where needed).
inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string command = "'" + std::string(IDEALGAS_CLI_PATH) + "' " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) r.output += buf;
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace idealgas::testing
