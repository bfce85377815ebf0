// The sweep's workers are processes, not threads: a crash or an out-of-memory kill of one configuration must not
// take the sweep down, and LibTorch's CPU kernels share a process poorly between models. Each child runs in its own
// process group (a Ctrl-C on the terminal reaches only the sweep, which then stops each child once, cleanly), gets
// SIGTERM if the sweep dies (Linux PR_SET_PDEATHSIG: no orphan keeps computing after a SIGKILL of the sweep), reads
// /dev/null and appends its stdout and stderr to a log file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace idealgas {

struct ChildExit {
  bool signaled = false;  // killed by a signal (then `signal`), else exited with `code`
  int code = 0;
  int signal = 0;
  /// "exit status 2", "killed by SIGKILL".
  std::string describe() const;
};

/// Starts `program` with `args` (argv[1..]); its output is appended to `log_file` (created). Throws IoError naming the
/// program or the log if it cannot start; a program that cannot be executed exits with 127 and says so in the log.
pid_t spawn_child(const std::string& program, const std::vector<std::string>& args,
                  const std::filesystem::path& log_file);

/// A child that has exited, if any (never blocks).
struct ExitedChild {
  pid_t pid;
  ChildExit exit;
};
std::optional<ExitedChild> poll_exited_child();

/// Sends `signal` to the child (and nothing else: only to a pid this process spawned and has not yet reaped).
void signal_child(pid_t pid, int signal);

}  // namespace idealgas
