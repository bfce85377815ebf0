#include "idealgas/sweep/sbatch_submit.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

extern char** environ;

namespace idealgas {
namespace {

struct ProgramResult {
  int wait_status = 0;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Closes a file descriptor once, on every path out of run_program.
struct Fd {
  int fd = -1;
  ~Fd() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

[[noreturn]] void throw_errno(std::string_view what, int err) {
  throw Error(fmt::format("{}: {}", what, std::strerror(err)));
}

// Runs argv[0] (searched on PATH) with stdin from /dev/null, capturing stdout and stderr separately.
// Throws Error naming the program if it cannot be started (ENOENT: not on PATH).
ProgramResult run_program(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("cannot create a pipe for " + argv[0], errno);
  Fd out_read{out_pipe[0]}, out_write{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("cannot create a pipe for " + argv[0], errno);
  Fd err_read{err_pipe[0]}, err_write{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, 1);  // dup2 clears O_CLOEXEC on the copy
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
  pid_t pid = -1;
  const int spawn_error = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error == ENOENT)
    throw Error(fmt::format("{} not found on PATH; run this on a machine with the Slurm client tools "
                            "(Debian: slurm-client)",
                            argv[0]));
  if (spawn_error != 0) throw_errno("cannot run " + argv[0], spawn_error);
  out_write.close();
  err_write.close();

  // Both pipes are drained together, so a child filling one while we block on the other cannot deadlock.
  ProgramResult result;
  pollfd fds[2] = {{out_read.fd, POLLIN, 0}, {err_read.fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  char buf[4096];
  while (open_pipes > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read the output of " + argv[0], errno);
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;  // EOF (or an error: treated as the end of that stream)
        --open_pipes;
      } else {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  while (::waitpid(pid, &result.wait_status, 0) < 0) {
    if (errno != EINTR) throw_errno("cannot wait for " + argv[0], errno);
  }
  return result;
}

// `text` on one line: line breaks become " | ", surrounding whitespace is dropped.
std::string one_line(std::string_view text) {
  std::string out;
  bool pending_break = false;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      pending_break = !out.empty();
      continue;
    }
    if (pending_break) out += " | ";
    pending_break = false;
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  return out;
}

// At most this many characters of a program's output go into an error message (one readable line).
constexpr std::size_t kMaxQuotedOutput = 300;

// `text` on one line, cut to kMaxQuotedOutput characters (saying so).
std::string excerpt(std::string_view text) {
  const std::string line = one_line(text);
  if (line.size() <= kMaxQuotedOutput) return line;
  return fmt::format("{}... ({} characters in all)", line.substr(0, kMaxQuotedOutput), line.size());
}

// `sbatch --parsable` prints exactly "JOBID" or "JOBID;CLUSTER", then a newline.
std::uint32_t parse_job_id(std::string_view out, std::string_view stderr_text) {
  std::string_view line = out;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const std::string_view id = line.substr(0, line.find(';'));
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  const bool ok = !id.empty() && ec == std::errc() && end == id.data() + id.size() && value != 0 &&
                  line.find('\n') == std::string_view::npos;
  if (!ok)
    throw Error(fmt::format("sbatch succeeded but printed {:?} instead of a job id{}", excerpt(out),
                            stderr_text.empty() ? "" : fmt::format(" (stderr: {})", excerpt(stderr_text))));
  return value;
}

}  // namespace

std::uint32_t sbatch_submit(const std::filesystem::path& script, std::optional<std::uint32_t> after_ok) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  if (after_ok) argv.push_back(fmt::format("--dependency=afterok:{}", *after_ok));
  argv.push_back(script.string());
  const ProgramResult r = run_program(argv);
  const std::string message = r.err.empty() ? "no message on stderr" : excerpt(r.err);
  if (WIFSIGNALED(r.wait_status))
    throw Error(fmt::format("sbatch {} was killed by signal {} ({})", script.string(), WTERMSIG(r.wait_status),
                            message));
  if (!WIFEXITED(r.wait_status) || WEXITSTATUS(r.wait_status) != 0)
    throw Error(fmt::format("sbatch {} failed with exit code {}: {}", script.string(),
                            WIFEXITED(r.wait_status) ? WEXITSTATUS(r.wait_status) : -1, message));
  return parse_job_id(r.out, r.err);
}

}  // namespace idealgas
