#include "idealgas/sweep/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

std::string ChildExit::describe() const {
  if (!signaled) return fmt::format("exit status {}", code);
  const char* name = ::sigabbrev_np(signal);
  return name ? fmt::format("killed by SIG{}", name) : fmt::format("killed by signal {}", signal);
}

pid_t spawn_child(const std::string& program, const std::vector<std::string>& args, const std::filesystem::path& log) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> words;
  words.push_back(program);
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw IoError(fmt::format("cannot open {}: {}; check the folder is writable", log.string(), std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log_fd);
    throw IoError(fmt::format("cannot start {}: fork failed: {}", program, std::strerror(err)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(128 + SIGTERM);  // the sweep died before prctl took effect
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    const char message[] = "idealgas sweep: cannot execute the job's program\n";
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  ::setpgid(pid, pid);  // also from the parent, so that the group exists before any signal is forwarded
  return pid;
}

std::optional<ExitedChild> poll_exited_child() {
  int status = 0;
  const pid_t pid = ::waitpid(-1, &status, WNOHANG);
  if (pid <= 0) return std::nullopt;  // none exited (0) or no children (-1, ECHILD)
  ExitedChild out{pid, {}};
  if (WIFSIGNALED(status)) {
    out.exit.signaled = true;
    out.exit.signal = WTERMSIG(status);
  } else {
    out.exit.code = WEXITSTATUS(status);
  }
  return out;
}

void signal_child(pid_t pid, int signal) {
  if (pid > 0) ::kill(pid, signal);
}

}  // namespace idealgas
