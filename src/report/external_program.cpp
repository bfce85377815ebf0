#include "idealgas/report/external_program.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"

extern char** environ;

namespace idealgas::report {

namespace fs = std::filesystem;

namespace {

// How often a running child is polled; small against gnuplot's ~50 ms start-up.
constexpr auto kPollInterval = std::chrono::milliseconds(5);

}  // namespace

ScratchDir::ScratchDir(const std::string& prefix) {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw IoError(fmt::format("cannot create a temporary folder {}: {}; check TMPDIR", pattern,
                              std::strerror(errno)));
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);  // best effort: a destructor must not throw
}

ProgramResult run_program(const std::vector<std::string>& argv, const fs::path& scratch, double timeout_seconds,
                          const std::string& install_hint) {
  IDEALGAS_ASSERT(!argv.empty(), "run_program needs a program name");
  static std::atomic<int> call_counter{0};  // distinct capture files for successive calls in one scratch folder
  const int call = ++call_counter;
  const fs::path out_file = scratch / fmt::format("stdout.{}.txt", call);
  const fs::path err_file = scratch / fmt::format("stderr.{}.txt", call);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // own group: a timeout kills its children too
  posix_spawnattr_setpgroup(&attr, 0);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_err = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_err == ENOENT)
    throw IoError(fmt::format("{} not found on PATH; install it ({})", argv[0], install_hint));
  if (spawn_err != 0)
    throw IoError(fmt::format("cannot start {}: {}", argv[0], std::strerror(spawn_err)));

  ProgramResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) throw IoError(fmt::format("waiting for {}: {}", argv[0], std::strerror(errno)));
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  result.exit_code = !result.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.stdout_text = read_file(out_file, kMaxTableBytes);
  result.stderr_text = read_file(err_file, kMaxTableBytes);
  return result;
}

std::string last_line(const std::string& text) {
  std::size_t end = text.size();
  while (end > 0) {
    const std::size_t nl = text.rfind('\n', end - 1);
    const std::size_t start = nl == std::string::npos ? 0 : nl + 1;
    const std::string line = text.substr(start, end - start);
    const std::size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos) return line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
    if (nl == std::string::npos) break;
    end = nl;
  }
  return "";
}

}  // namespace idealgas::report
