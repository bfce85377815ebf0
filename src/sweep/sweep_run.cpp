#include "idealgas/sweep/sweep_run.hpp"

#include <chrono>
#include <csignal>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/interrupt.hpp"
#include "idealgas/core/regular_file.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/core/utf8.hpp"
#include "idealgas/run/run_record.hpp"
#include "idealgas/sweep/child_process.hpp"

namespace idealgas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How often the loop looks at its children, signals and locked folders; and how often a tick reports progress.
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr double kTickSeconds = 1.0;
// Characters of a failed job's last line kept as its reason.
constexpr std::size_t kMaxReasonLength = 400;
// A job that exits with this status was stopped by a signal and saved its checkpoint (cli/commands.hpp).
constexpr int kJobExitInterrupted = 4;

struct Running {
  const SweepConfiguration* configuration = nullptr;
  Clock::time_point started;
  std::uintmax_t log_offset = 0;  // where this attempt's output starts in job.log
  std::vector<std::string> command;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// True if the grid sets `key` itself (in its base or by an axis), so that its value must stand.
bool grid_sets_key(const GridConfig& grid, const std::string& key) {
  for (const GridAxis& a : grid.axes)
    if (a.key == key) return true;
  const nlohmann::json* node = &grid.base;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(part)) return false;
    node = &node->at(part);
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// The last non-empty line a job printed in this attempt: its own one-line error, by the CLI's convention.
std::string last_line(const fs::path& log, std::uintmax_t offset) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line, last;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    const std::size_t cr = line.rfind('\r');  // progress lines rewritten in place
    if (cr != std::string::npos) line = line.substr(cr + 1);
    if (!line.empty()) last = line;
  }
  // The reason goes into failure.json, and JSON holds only UTF-8: cut at a character boundary (a cut inside a
  // multi-byte character made the sweep end in an internal error), and escape a line that is not UTF-8 at all.
  if (last.size() > kMaxReasonLength) {
    std::size_t cut = kMaxReasonLength;
    while (cut > 0 && (static_cast<unsigned char>(last[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
    last = last.substr(0, cut) + "...";
  }
  if (!is_utf8(last)) last = escape_bytes(last);
  return last;
}

class SweepRunner {
 public:
  explicit SweepRunner(const SweepOptions& o) : o_(o), kind_(o.kinds.find(o.grid.kind, o.grid.source)) {}

  SweepResult run() {
    if (o_.jobs < 1 || o_.jobs > kMaxSweepJobs)
      throw InputError(fmt::format("--jobs must be in [1, {}], got {}", kMaxSweepJobs, o_.jobs));
    if (o_.program.empty()) throw InputError("the sweep needs the idealgas program to run its jobs");
    // Everything is validated before anything is written.
    configurations_ = expand_grid(o_.grid, kind_);
    if (o_.restart && !o_.shard.whole())
      throw InputError("--restart and --shard: other shards may be running in the folder; restart the whole grid "
                       "(without --shard)");
    std::unique_ptr<RunFolderLock> folder_lock, shard_lock;
    if (o_.shard.whole()) {
      folder_lock = std::make_unique<RunFolderLock>(o_.out);
      remove_stale_temporaries(o_.out, false);
      if (o_.restart) restart_sweep_folder(o_.out, o_.kinds);
    } else {
      folder_lock = std::make_unique<RunFolderLock>(o_.out, LockMode::shared);
      shard_lock = std::make_unique<RunFolderLock>(
          o_.out, LockMode::exclusive, fmt::format(".shard-{}-of-{}.lock", o_.shard.index, o_.shard.count));
    }
    adopt_sweep_grid(o_.out, o_.grid, configurations_, o_.kinds);
    threads_ = grid_sets_key(o_.grid, kind_.threads_key()) ? std::nullopt : kind_.worker_threads(o_.jobs);

    start_ = Clock::now();
    for (const SweepConfiguration& c : configurations_) {
      if (!o_.shard.contains(c.index)) continue;
      if (interrupt_requested())  // one status read per configuration: a minute for 10^6 of them
        throw Interrupted(fmt::format("{} received while reading the runs' states; nothing started, run the same "
                                      "command again to resume",
                                      interrupt_signal_name()));
      ++result_.total;
      const ConfigurationStatus s = configuration_status(run_folder(o_.out, c.id));
      if (s.state == RunState::done || s.state == RunState::diverged) {
        counts_.add(s.state);
        ++result_.skipped;
      } else {
        todo_.push_back(&c);
      }
    }
    report("");

    auto last_tick = Clock::now();
    bool stopping = false;
    while (!todo_.empty() || !running_.empty()) {
      if (!stopping && interrupt_requested()) {
        stopping = true;
        for (const auto& [pid, job] : running_) signal_child(pid, SIGTERM);  // once: a second would end it at once
        report(fmt::format("{} received: stopping {} running job(s) at their next checkpoint", interrupt_signal_name(),
                           running_.size()));
      }
      if (stopping && running_.empty()) break;
      bool changed = false;
      if (!stopping) changed = start_jobs();
      while (const std::optional<ExitedChild> exited = poll_exited_child()) {
        const auto it = running_.find(exited->pid);
        if (it == running_.end()) continue;  // not one of ours
        const Running job = std::move(it->second);
        running_.erase(it);
        finish(job, exited->exit, stopping);
        changed = true;
      }
      if (!changed) std::this_thread::sleep_for(kPollInterval);
      if (seconds_since(last_tick) >= kTickSeconds) {
        last_tick = Clock::now();
        report("");
      }
    }

    result_.counts = counts_;
    result_.counts.pending += static_cast<long long>(todo_.size());
    result_.wall_seconds = seconds_since(start_);
    if (o_.shard.whole()) {
      write_sweep_views(collect_sweep(o_.out, o_.grid, configurations_));
      result_.views_written = true;
    }
    if (stopping)
      throw Interrupted(fmt::format("{} received: the sweep stopped its running jobs (each saved a checkpoint); {} of {} "
                                    "configurations are finished; run the same command again to resume",
                                    interrupt_signal_name(), counts_.done + counts_.diverged, result_.total));
    return result_;
  }

 private:
  // Starts jobs while workers are free. A configuration whose folder another process holds (a job left over from a
  // killed sweep finishing its checkpoint, or another sweep) waits its turn. Returns true if one started.
  bool start_jobs() {
    bool started = false;
    for (auto it = todo_.begin(); it != todo_.end() && static_cast<int>(running_.size()) < o_.jobs;) {
      const SweepConfiguration& c = **it;
      const fs::path dir = run_folder(o_.out, c.id);
      if (folder_locked(dir)) {
        if (waiting_.insert(c.id).second)
          report(fmt::format("waiting for {} ({}): its folder is in use by another process", c.index, c.label));
        ++it;
        continue;
      }
      const ConfigurationStatus s = configuration_status(dir);  // another process may have finished it meanwhile
      if (s.state == RunState::done || s.state == RunState::diverged) {
        counts_.add(s.state);
        it = todo_.erase(it);
        continue;
      }
      launch(c);
      it = todo_.erase(it);
      started = true;
    }
    return started;
  }

  void launch(const SweepConfiguration& c) {
    const fs::path dir = run_folder(o_.out, c.id);
    const fs::path config = dir / kRunConfigFile;
    std::error_code ec;
    {
      const FolderRecordsLock records(dir);  // a sweep of another shard count may launch the same configuration
      if (!fs::exists(config, ec) || read_file(config) != c.job.config_toml)
        write_file_atomically(config, c.job.config_toml);
      fs::remove(dir / kRunFailureFile, ec);
    }
    Running job;
    job.configuration = &c;
    job.command = kind_.command(config, dir, threads_);
    const fs::path log = dir / kRunLogFile;
    try {
      // Opening a FIFO for writing would wait for ever for a reader (here, and in spawn_child): job.log must be a
      // regular file; anything else fails this configuration with the reason, and the grid goes on.
      const RegularFile check(log.string(), RegularFile::Mode::read_write_create);
    } catch (const Error& e) {
      record_failure(c, job, fmt::format("could not start: {}", e.what()), ChildExit{false, 127, 0});
      return;
    }
    {
      std::ofstream out(log, std::ios::app);
      out << fmt::format("=== {} idealgas sweep (pid {}) runs configuration {} ({}): {} {}\n", utc_now_iso8601(),
                         ::getpid(), c.index, c.label, o_.program, fmt::join(job.command, " "));
      if (!out) throw IoError(fmt::format("cannot write {}; check the folder is writable", log.string()));
    }
    job.log_offset = fs::file_size(log, ec);
    job.started = Clock::now();
    try {
      const pid_t pid = spawn_child(o_.program, job.command, log);
      running_.emplace(pid, std::move(job));
    } catch (const IoError& e) {
      record_failure(c, job, fmt::format("could not start: {}", e.what()), ChildExit{false, 127, 0});
    }
  }

  void finish(const Running& job, const ChildExit& exit, bool stopping) {
    const SweepConfiguration& c = *job.configuration;
    const fs::path dir = run_folder(o_.out, c.id);
    const double seconds = seconds_since(job.started);
    // Stopped by a signal: it saved its checkpoint (exit 4); a second signal ended it at once (128 + signal, its
    // last complete checkpoint stands); or it was killed before it could install its handlers.
    const auto stop_signal = [](int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGHUP; };
    const bool interrupted = (!exit.signaled && (exit.code == kJobExitInterrupted || (exit.code > 128 &&
                                                                                      stop_signal(exit.code - 128)))) ||
                             (exit.signaled && stop_signal(exit.signal));
    if (stopping && interrupted) {
      counts_.add(RunState::pending);
      report(fmt::format("stopped {} ({}) after {:.1f} s; it resumes from its checkpoint", c.index, c.label, seconds));
      return;
    }
    const ConfigurationStatus s = configuration_status(dir);
    if (s.state == RunState::done || s.state == RunState::diverged) {
      counts_.add(s.state);
      ++result_.finished_now;
      report(fmt::format("{} {} ({}), {:.1f} s{}", run_state_name(s.state), c.index, c.label, seconds,
                         s.reason.empty() ? "" : ": " + s.reason));
      return;
    }
    std::string reason = last_line(dir / kRunLogFile, job.log_offset);
    if (interrupted)
      reason = fmt::format("stopped by a signal from outside the sweep ({}); a rerun resumes it from its checkpoint",
                           exit.describe());
    else if (reason.empty())
      reason = fmt::format("{} without a result", exit.describe());
    else
      reason = fmt::format("{}: {}", exit.describe(), reason);
    record_failure(c, job, reason, exit);
  }

  void record_failure(const SweepConfiguration& c, const Running& job, const std::string& reason, const ChildExit& exit) {
    const nlohmann::json failure = {{"reason", reason},
                                    {"exit", exit.describe()},
                                    {"exit_code", exit.signaled ? nlohmann::json(nullptr) : nlohmann::json(exit.code)},
                                    {"signal", exit.signaled ? nlohmann::json(exit.signal) : nlohmann::json(nullptr)},
                                    {"program", o_.program},
                                    {"command", job.command},
                                    {"time", utc_now_iso8601()}};
    {
      const fs::path dir = run_folder(o_.out, c.id);
      const FolderRecordsLock records(dir);
      write_file_atomically(dir / kRunFailureFile, failure.dump(2) + "\n");
    }
    counts_.add(RunState::failed);
    ++result_.finished_now;
    result_.failures.push_back(fmt::format("{} {} ({}): {}", c.index, c.id, c.label, reason));
    report(fmt::format("failed {} ({}): {}", c.index, c.label, reason));
  }

  void report(const std::string& event) {
    if (!o_.progress) return;
    SweepProgress p;
    p.total = result_.total;
    p.counts = counts_;
    p.counts.running = static_cast<long long>(running_.size());
    p.counts.pending += static_cast<long long>(todo_.size());
    p.finished_now = result_.finished_now;
    p.elapsed_seconds = seconds_since(start_);
    if (result_.finished_now > 0) {
      const double remaining = static_cast<double>(todo_.size() + running_.size());
      p.eta_seconds = remaining * p.elapsed_seconds / static_cast<double>(result_.finished_now);
    }
    p.event = event;
    o_.progress(p);
  }

  const SweepOptions& o_;
  const JobKind& kind_;
  std::vector<SweepConfiguration> configurations_;
  std::optional<int> threads_;
  std::deque<const SweepConfiguration*> todo_;
  std::map<pid_t, Running> running_;
  std::set<std::string> waiting_;
  SweepCounts counts_;  // finished states (done, diverged, failed) and stopped jobs (pending)
  SweepResult result_;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

SweepResult run_sweep(const SweepOptions& options) { return SweepRunner(options).run(); }

}  // namespace idealgas
