// Running the external programs the report needs (gnuplot, headless Chromium) as subprocesses: no shell,
// stdin from /dev/null, stdout and stderr captured, a wall-clock limit, and a scratch folder that is removed
// when done. A program that is not installed is an IoError that names the Debian package.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace idealgas::report {

/// A private temporary folder (mkdtemp under $TMPDIR or /tmp), removed with everything in it on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);  // e.g. "idealgas-report"; throws IoError
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ProgramResult {
  int exit_code = -1;       // exit status; -1 if killed by a signal or by the time limit
  bool timed_out = false;   // killed after timeout_seconds
  std::string stdout_text;  // everything it wrote on stdout
  std::string stderr_text;  // everything it wrote on stderr
};

/// Runs argv[0] (looked up on PATH) with arguments argv[1..] in its own process group; captures its output in
/// files under `scratch`. After `timeout_seconds` the whole group is killed. Throws IoError if the program
/// cannot be started: "<argv[0]> not found on PATH; install it (<install_hint>)".
ProgramResult run_program(const std::vector<std::string>& argv, const std::filesystem::path& scratch,
                          double timeout_seconds, const std::string& install_hint);

/// Last line of `text` that is not blank, trimmed (the line of a program's error output that names the error,
/// e.g. gnuplot's `"x.gp" line 9: invalid palette option`); "" if none.
std::string last_line(const std::string& text);

}  // namespace idealgas::report
