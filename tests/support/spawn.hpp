// Runs the built `idealgas` program in the background (fork + exec, no shell), its stdout and stderr into a file,
// so that a test can signal it while it works and then read what it printed.
#pragma once

#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace idealgas::testing {

/// Starts `idealgas ARGS...` with its output into `log`; returns its process id.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string prog = IDEALGAS_CLI_PATH;
    std::vector<std::string> copy = args;
    std::vector<char*> argv = {prog.data()};
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(prog.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits for `pid`; its exit status, or -1 if a signal ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace idealgas::testing
