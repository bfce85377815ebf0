#include "idealgas/train/training_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

#include <dlfcn.h>
#include <unistd.h>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/build_info.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/memory.hpp"
#include "idealgas/core/interrupt.hpp"
#include "idealgas/core/run_folder.hpp"
#include "idealgas/theory/ideal_gas.hpp"
#include "idealgas/train/isotropic_answer.hpp"
#include "idealgas/train/run_state.hpp"
#include "idealgas/train/stationary_summary.hpp"
#include "idealgas/train/torch_failure.hpp"
#include "idealgas/train/trainer.hpp"
#include "idealgas/train/training_data.hpp"

namespace idealgas::train {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The files of a run folder (docs/train.md, "Results folder").
constexpr const char* kRunFiles[] = {"checkpoint.bin", "trace.csv", "running.csv", "summary.json", "meta.json",
                                     "config.toml"};

// Share of the physical memory the entropy queues and the data may take before the run is refused up front.
constexpr double kMaxMemoryShare = 0.8;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

// Which allocator serves malloc in this process (tcmalloc_minimal is linked where found, CMakeLists.txt).
const char* allocator_name() { return dlsym(RTLD_DEFAULT, "tc_malloc") != nullptr ? "tcmalloc" : "glibc"; }

// The window is a whole number of running blocks, ending at the last iteration.
long long aligned_window_start(const TrainConfig& c) {
  const long long stride = c.measure.running_stride;
  const long long window = c.run.iterations - stationary_start(c.run, c.measure);
  return c.run.iterations - (window / stride) * stride;
}

long long decorrelated_size(const TrainConfig& c) {
  if (c.measure.queue_size == 0) return 0;
  return c.measure.decorrelated_queue_size > 0 ? c.measure.decorrelated_queue_size : c.measure.queue_size;
}

long long decorrelated_stride(const TrainConfig& c, long long window_start) {
  const long long n = decorrelated_size(c);
  if (n == 0) return 0;
  return c.measure.decorrelated_queue_stride > 0 ? c.measure.decorrelated_queue_stride
                                                 : (c.run.iterations - window_start) / n;
}

// Bytes the two entropy queues hold: angles (float64), distance table, raw rows (float32).
double queue_bytes(long long n, long long d) {
  const double nd = static_cast<double>(n);
  return nd * static_cast<double>(d - 1) * 8.0 + nd * nd * 8.0 + nd * static_cast<double>(d) * 4.0;
}

void check_memory(const TrainConfig& c, long long d, const TrainingData& data, double* total_bytes) {
  const double data_bytes = static_cast<double>(data.train.images.size() + data.test.images.size()) * 4.0;
  const double q = queue_bytes(c.measure.queue_size, d) + queue_bytes(decorrelated_size(c), d);
  *total_bytes = q + data_bytes;
  const double physical = physical_memory_bytes();
  if (physical > 0 && *total_bytes > kMaxMemoryShare * physical)
    throw InputError(fmt::format("the entropy queues (measure.queue_size {} and decorrelated {} snapshots of d = {}) "
                                 "and the data need ~{:.1f} GB, more than {:.0f} % of this machine's {:.1f} GB; lower "
                                 "the queue sizes or set measure.queue_size = 0 (no entropy)",
                                 c.measure.queue_size, decorrelated_size(c), d, *total_bytes / 1e9,
                                 100 * kMaxMemoryShare, physical / 1e9));
}

std::string trace_csv(const std::vector<LogRecord>& logs) {
  std::string out =
      "iteration,train_loss,train_accuracy,grad_norm_sq_unit,test_loss,test_accuracy,radius,eta_eff,tr_sigma_steps,"
      "interval_steps,tr_sigma_fresh,tr_sigma_fresh_se,sigma2,temperature,entropy_sphere,entropy_sphere_se,"
      "entropy_total,adjacent_nn_fraction,lambda_eff\n";
  for (const LogRecord& l : logs)
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", l.iteration, l.train_loss,
                       l.train_accuracy, l.grad_norm_sq_unit, l.test_loss, l.test_accuracy, l.radius, l.eta_eff,
                       l.tr_sigma_steps, l.interval_steps, l.tr_sigma_fresh, l.tr_sigma_fresh_se, l.sigma2,
                       l.temperature, l.entropy_sphere, l.entropy_sphere_se, l.entropy_total, l.adjacent_nn_fraction,
                       l.lambda_eff);
  return out;
}

std::string running_csv(const std::vector<RunningRow>& rows) {
  std::string out =
      "iteration,batch_loss,radius_pre_projection,grad_norm,grad_norm_sq_unit,eta_eff,block_loss,"
      "block_grad_norm_sq_unit\n";
  for (const RunningRow& r : rows)
    out += fmt::format("{},{},{},{},{},{},{},{}\n", r.iteration, r.batch_loss, r.radius_pre_projection, r.grad_norm,
                       r.grad_norm_sq_unit, r.eta_eff, r.block_loss, r.block_grad_norm_sq_unit);
  return out;
}

// Everything of one run that the loop needs, so the steps below read as the schedule they implement.
class Run {
 public:
  Run(const TrainConfig& config, const RunOptions& options)
      : c_(config), o_(options), out_(options.out), data_(prepare_training_data(config)), trainer_(config, data_) {
    d_ = trainer_.dim();
    // The user's own module must be scale-invariant in the parameters the protocol treats as such (built-in
    // networks are by construction; tests/train/test_network.cpp).
    if (c_.model.arch == Architecture::torchscript) {
      scale_invariance_ = trainer_.check_scale_invariance(scale_invariance_factors(), c_.model.si_rtol, false);
      require_scale_invariant(*scale_invariance_, fmt::format("model.path = '{}'", c_.model.script_path));
    }
    check_memory(c_, d_, data_, &memory_bytes_);
    window_start_ = aligned_window_start(c_);
    logs_ = log_schedule(c_.run, c_.measure);
    const long long n1 = c_.measure.queue_size, n2 = decorrelated_size(c_);
    paper_start_ = std::max<long long>(0, window_start_ - n1 * c_.measure.queue_stride);
    decorrelated_stride_ = decorrelated_stride(c_, window_start_);
    const int k = static_cast<int>(c_.measure.entropy_k);
    state_.paper_queue = SnapshotRing(static_cast<std::size_t>(n1), static_cast<std::size_t>(d_), k);
    state_.decorrelated_queue = SnapshotRing(static_cast<std::size_t>(n2), static_cast<std::size_t>(d_), k);
  }

  RunOutcome run() {
    open_folder();
    const long long total = c_.run.iterations;
    // The log points are a prefix of the schedule; one at the checkpoint's own iteration is pending when a signal
    // stopped it (log_point changes nothing before its last measurement): it is done now, from the same state.
    std::size_t next_log = state_.logs.size();
    const auto start = Clock::now();
    const long long start_iteration = state_.iteration;
    auto last_checkpoint = start, last_progress = start;
    const bool interactive = ::isatty(::fileno(stderr)) != 0;
    if (next_log < logs_.size() && state_.iteration == logs_[next_log] && state_.divergence.empty()) {
      log_point_or_stop();
      ++next_log;
    }
    while (state_.iteration < total && state_.divergence.empty()) {
      if (interrupt_requested()) interrupted();
      step();
      if (!state_.divergence.empty()) break;
      if (next_log < logs_.size() && state_.iteration == logs_[next_log]) {
        log_point_or_stop();
        ++next_log;
      }
      if (seconds_since(last_checkpoint) >= c_.run.checkpoint_seconds) {
        save();
        last_checkpoint = Clock::now();
      }
      if (!o_.quiet && (seconds_since(last_progress) >= (interactive ? 1.0 : 30.0) || state_.iteration == total)) {
        progress(start, start_iteration, interactive);
        last_progress = Clock::now();
      }
    }
    if (!o_.quiet && interactive) std::fputc('\n', stderr);
    return finish();
  }

  // After this process wrote into the folder, a failure (a LibTorch error, a module's forward failing mid-run, a write
  // that failed) must not leave debris behind a message that says nothing was written: a new run's files are
  // removed (the folder lock is held, so they are this process's); a resumed run's checkpoint is kept, and the
  // message says so. Returns the one-line message; false if nothing was written yet (the error stands as it is).
  bool wrote_files() const { return wrote_; }
  std::string after_failure(const std::exception& e) {
    const std::string what = dynamic_cast<const Error*>(&e) != nullptr ? std::string(e.what()) : torch_failure_message(e);
    if (resumed_)
      return fmt::format("{}; {} keeps the run's checkpoint (iteration {} or later) and its logs: fix the cause and run "
                         "the same command to resume, or pass --restart",
                         what, out_.string(), state_.iteration);
    std::error_code ec;
    std::vector<std::string> kept;
    for (std::size_t k = 0; k < std::size(kRunFiles); ++k) {
      if (existed_before_[k]) kept.push_back(kRunFiles[k]);
      else fs::remove(out_ / kRunFiles[k], ec);
    }
    return kept.empty() ? fmt::format("{}; nothing written", what)
                        : fmt::format("{}; {} kept in {} (written before this run: it is the sweep's record)", what,
                                      fmt::join(kept, ", "), out_.string());
  }

 private:
  // Refuses a folder holding another run, then writes config.toml and meta.json (nothing before this point).
  void open_folder() {
    const FolderRecordsLock records(out_);  // a sweep may be writing this folder's config.toml
    const fs::path ckpt = out_ / "checkpoint.bin";
    std::error_code ec;
    // A checkpoint that is not a regular file (a FIFO would block the read for ever, a folder cannot be read).
    if (fs::exists(ckpt, ec) && !fs::is_regular_file(ckpt, ec))
      throw IoError(
          fmt::format("{} is not a regular file; move it away or choose another --out folder", ckpt.string()));
    if (!o_.restart && fs::exists(ckpt, ec)) {
      std::size_t running_size = trainer_.running_stats().size();
      LoadedCheckpoint loaded = load_checkpoint(ckpt.string(), c_.result_relevant_json(), d_,
                                                static_cast<long long>(running_size), c_.run.iterations, state_);
      require_consistent_with_its_iteration(loaded.state, ckpt);
      try {
        trainer_.restore(loaded.state.iteration, loaded.weights, loaded.running_stats);
      } catch (const InputError& e) {
        throw IoError(fmt::format("checkpoint {} is corrupt ({}); delete it, or pass --restart to start over",
                                  ckpt.string(), e.what()));
      }
      state_ = std::move(loaded.state);
      resumed_ = true;
    } else if (!o_.restart && fs::exists(out_ / "config.toml", ec) && !holds_this_config(out_ / "config.toml")) {
      throw InputError(fmt::format("{} holds the files of a run but no checkpoint.bin; choose another --out folder or "
                                   "pass --restart to start over there",
                                   out_.string()));
    }
    if (o_.restart)  // this run's files only, and only where a train run recorded itself (core/run_folder.hpp)
      remove_own_files(out_, {{std::begin(kRunFiles), std::end(kRunFiles)}, {}}, "meta.json", holds_train_record());
    for (const char* f : kRunFiles) existed_before_.push_back(fs::exists(out_ / f, ec));
    wrote_ = true;
    write_file_atomically(out_ / "config.toml", c_.to_toml());
    write_file_atomically(out_ / "meta.json", meta().dump(2) + "\n");
    if (!resumed_) save();
    if (!o_.quiet)
      std::fprintf(stderr, "train: %s, d = %lld, %s, %lld iterations -> %s%s\n", data_.description.c_str(), d_,
                   c_.protocol_params().settings().dump().c_str(), c_.run.iterations, out_.c_str(),
                   resumed_ ? fmt::format(" (resuming at iteration {})", state_.iteration).c_str() : "");
  }

  // The checkpoint's records are a function of its iteration (the schedule is fixed by the configuration, which the
  // reader compared): a file whose iteration was changed and its CRC recomputed is refused instead of resumed into a
  // run whose logs, running rows and queues belong to another iteration.
  void require_consistent_with_its_iteration(const RunState& s, const fs::path& ckpt) const {
    const long long t = s.iteration;
    const auto multiples = [](long long after, long long upto, long long stride) {  // #{u in (after, upto]: stride | u}
      return upto > after ? upto / stride - after / stride : 0LL;
    };
    std::string what;
    const long long stride = c_.measure.running_stride;
    const std::size_t logs_due =
        static_cast<std::size_t>(std::upper_bound(logs_.begin(), logs_.end(), t) - logs_.begin());
    if (static_cast<long long>(s.running.size()) != t / stride || s.block_count != t % stride)
      what = fmt::format("{} running rows at iteration {}, expected {}", s.running.size(), t, t / stride);
    else if (s.logs.size() != logs_due && !(s.logs.size() + 1 == logs_due && logs_[s.logs.size()] == t))
      what = fmt::format("{} log points at iteration {}, expected {}", s.logs.size(), t, logs_due);
    else if (!s.running.empty() && s.running.back().iteration != t - t % stride)
      what = fmt::format("last running row at iteration {}, expected {}", s.running.back().iteration, t - t % stride);
    for (std::size_t k = 0; k < s.logs.size() && what.empty(); ++k)
      if (s.logs[k].iteration != logs_[k])
        what = fmt::format("log point {} at iteration {}, expected {}", k, s.logs[k].iteration, logs_[k]);
    if (what.empty() && s.entropy_error.empty()) {
      const long long paper = s.paper_queue.enabled() ? multiples(paper_start_, t, c_.measure.queue_stride) : 0;
      const long long decor =
          s.decorrelated_queue.enabled() ? (t > window_start_ ? (t - window_start_) / decorrelated_stride_ : 0) : 0;
      if (s.paper_queue.pushes() != paper || s.decorrelated_queue.pushes() != decor)
        what = fmt::format("snapshot queues hold {} and {} pushes at iteration {}, expected {} and {}",
                           s.paper_queue.pushes(), s.decorrelated_queue.pushes(), t, paper, decor);
    }
    if (!what.empty() && s.divergence.empty())
      throw IoError(fmt::format("checkpoint {} is corrupt ({}); delete it, or pass --restart to start over",
                                ckpt.string(), what));
  }

  // A folder a train run recorded: its meta.json (with the build and the trainer), or a config.toml that reads as a
  // train configuration (a sweep writes it before the run starts). --restart removes files nowhere else.
  bool holds_train_record() const {
    try {
      const nlohmann::json meta = nlohmann::json::parse(read_file(out_ / "meta.json"), nullptr, false);
      if (meta.is_object() && meta.contains("build") && meta.contains("trainer")) return true;
    } catch (const Error&) {
    }
    try {
      TrainConfig::from_toml_string(read_file(out_ / "config.toml"), (out_ / "config.toml").string());
      return true;
    } catch (const Error&) {
      return false;
    }
  }

  // A config.toml without a checkpoint is this run's own when it reads back as the same configuration: a sweep
  // writes it before the run starts, and a run killed before its first checkpoint leaves it. Nothing is lost by
  // starting such a run over; a folder holding another configuration is refused.
  bool holds_this_config(const fs::path& file) const {
    try {
      return TrainConfig::from_toml_string(read_file(file), file.string()).result_relevant_json() ==
             c_.result_relevant_json();
    } catch (const Error&) {
      return false;
    }
  }

  nlohmann::json meta() const {
    return {{"command", o_.command_line},
            {"started", now_iso8601()},
            {"resumed_at_iteration", resumed_ ? nlohmann::json(state_.iteration) : nlohmann::json(nullptr)},
            {"build", build_info()},
            {"allocator", allocator_name()},
            {"trainer", trainer_.describe()},
            {"data", data_.to_json()},
            {"seeds",
             {{"master", c_.run.seed},
              {"data_key", hex(c_.data_key())},
              {"init_key", hex(c_.init_key())},
              {"head_key", hex(c_.head_key())},
              {"sgd_key", hex(c_.sgd_key())},
              {"augment_key", hex(c_.augment_key())},
              {"measure_key", hex(c_.measure_key())}}},
            {"schedule",
             {{"log_points", logs_.size()},
              {"window_start", window_start_},
              {"paper_queue_first_push_after", paper_start_},
              {"decorrelated_queue_stride", decorrelated_stride_}}},
            {"memory_estimate_bytes", memory_bytes_},
            {"scale_invariance", scale_invariance_ ? scale_invariance_->to_json() : nlohmann::json(nullptr)}};
  }

  void step() {
    const auto t0 = Clock::now();
    const StepResult res = trainer_.step();
    state_.seconds_training += seconds_since(t0);
    const long long t = state_.iteration + 1;
    if (!res.finite) {
      state_.divergence = fmt::format("non-finite loss ({}) or gradient at iteration {}", res.loss, t);
      return;
    }
    state_.iteration = t;
    const StepRecord& rec = res.record;
    const double r_sq = rec.norm_sq_before, r = std::sqrt(r_sq);
    const double u = r_sq * rec.g_norm_sq;  // |g_B|^2 in unit-sphere units
    const double pre_r = std::sqrt(rec.pre_projection_norm_sq);
    if (!(pre_r >= c_.run.min_radius && pre_r <= c_.run.max_radius)) {
      state_.divergence = fmt::format("radius {} after iteration {} left [train.min_radius, train.max_radius] = [{}, {}]",
                                      pre_r, t, c_.run.min_radius, c_.run.max_radius);
      return;
    }
    const long long stride = c_.measure.running_stride;
    state_.block_loss_sum += res.loss;
    state_.block_u_sum += u;
    ++state_.block_count;
    if (t % stride == 0) {
      const double n = static_cast<double>(state_.block_count);
      state_.running.push_back({t, res.loss, pre_r, std::sqrt(rec.g_norm_sq), u, rec.step_size / r_sq,
                                state_.block_loss_sum / n, state_.block_u_sum / n});
      state_.block_loss_sum = state_.block_u_sum = 0.0;
      state_.block_count = 0;
    }
    if (t > window_start_) {
      state_.loss.add(res.loss, stride);
      state_.radius.add(r, stride);
      state_.radius_sq.add(r_sq, stride);
      state_.grad_sq_unit.add(u, stride);
    }
    if (trainer_.protocol().kind == Protocol::fixed_sphere) {  // Eq. 82, every iteration (docs/theory.md §5)
      const double lambda_eff = rec.norm_growth / (trainer_.protocol().eta_eff * r_sq * r);
      if (t > window_start_) state_.lambda_eff.add(lambda_eff, stride);
      state_.interval_lambda_eff_sum += lambda_eff;
    }
    state_.interval_u_sum += u;
    ++state_.interval_count;

    const auto t1 = Clock::now();
    SnapshotRing& paper = state_.paper_queue;
    SnapshotRing& decor = state_.decorrelated_queue;
    const bool push_paper = paper.enabled() && t > paper_start_ && t % c_.measure.queue_stride == 0;
    const bool push_decor = decor.enabled() && t > window_start_ && (t - window_start_) % decorrelated_stride_ == 0;
    if (state_.entropy_error.empty() && (push_paper || push_decor)) {
      const std::vector<float> w = trainer_.weights_float();
      try {
        if (push_paper) paper.push(w.data());
        if (push_decor) decor.push(w.data());
      } catch (const InputError& e) {  // a snapshot the estimator cannot use: stop the entropy, keep training
        state_.entropy_error = fmt::format("snapshot at iteration {} refused: {}", t, e.what());
      }
    }
    state_.seconds_measuring += seconds_since(t1);
  }

  // A signal during the log point's measurements saves the state as it was after the step (the log point pending)
  // and stops; the resumed run does the log point again from there, with the same bits.
  void log_point_or_stop() {
    try {
      log_point();
    } catch (const Interrupted&) {
      interrupted();
    }
  }

  void log_point() {
    const auto t0 = Clock::now();
    LogRecord l;
    l.iteration = state_.iteration;
    const FullBatchMetrics tm = trainer_.train_metrics();
    l.train_loss = tm.loss;
    l.train_accuracy = tm.accuracy;
    l.grad_norm_sq_unit = tm.grad_norm_sq_unit;
    l.test_loss = l.test_accuracy = kNaN;
    if (c_.measure.test_metrics) {
      const EvalMetrics em = trainer_.test_metrics();
      l.test_loss = em.loss;
      l.test_accuracy = em.accuracy;
    }
    // Every measurement that can be interrupted (trainer: Interrupted between passes) comes before the first change
    // of state_, so that a stopped log point leaves the state of the step before it.
    l.tr_sigma_fresh = l.tr_sigma_fresh_se = kNaN;
    if (c_.measure.fresh_batches > 0) {
      const FreshTrSigma f = trainer_.fresh_tr_sigma(c_.measure.fresh_batches);
      l.tr_sigma_fresh = f.tr_sigma;
      l.tr_sigma_fresh_se = f.tr_sigma_se;
    }
    const double ns = trainer_.norm_sq();
    l.radius = std::sqrt(ns);
    l.eta_eff = trainer_.protocol().eta_eff_at(ns);
    l.interval_steps = state_.interval_count;
    l.tr_sigma_steps = state_.interval_u_sum / static_cast<double>(state_.interval_count) - l.grad_norm_sq_unit;
    l.lambda_eff = trainer_.protocol().kind == Protocol::fixed_sphere
                       ? state_.interval_lambda_eff_sum / static_cast<double>(state_.interval_count)
                       : kNaN;
    state_.interval_u_sum = state_.interval_lambda_eff_sum = 0.0;
    state_.interval_count = 0;
    l.sigma2 = l.tr_sigma_steps / static_cast<double>(d_ - 1);
    l.temperature = theory::measured_temperature(trainer_.protocol(), ns, l.sigma2);  // the one T (ideal_gas.hpp)
    l.entropy_sphere = l.entropy_sphere_se = l.entropy_total = l.adjacent_nn_fraction = kNaN;
    if (state_.paper_queue.full() && state_.entropy_error.empty()) {
      try {
        const EntropyEstimate e = state_.paper_queue.queue().estimate();
        l.entropy_sphere = e.spherical_entropy;
        l.entropy_sphere_se = e.se;
        l.entropy_total = e.total_entropy;
        l.adjacent_nn_fraction = e.adjacent_nn_fraction;
      } catch (const InputError& e) {
        state_.entropy_error = fmt::format("estimate at iteration {} failed: {}", l.iteration, e.what());
      }
    }
    if (!std::isfinite(l.train_loss) && state_.divergence.empty())
      state_.divergence = fmt::format("non-finite full-batch loss at iteration {}", l.iteration);
    state_.logs.push_back(l);
    state_.seconds_measuring += seconds_since(t0);
  }

  void save() {
    save_checkpoint((out_ / "checkpoint.bin").string(), c_.result_relevant_json(), trainer_.weights(),
                    trainer_.running_stats(), state_);
    write_file_atomically(out_ / "trace.csv", trace_csv(state_.logs));
    write_file_atomically(out_ / "running.csv", running_csv(state_.running));
  }

  void progress(Clock::time_point start, long long start_iteration, bool interactive) const {
    const long long total = c_.run.iterations, t = state_.iteration;
    const double elapsed = seconds_since(start);
    const double left = elapsed / static_cast<double>(std::max<long long>(1, t - start_iteration)) *
                        static_cast<double>(total - t);
    const double loss = state_.running.empty() ? kNaN : state_.running.back().block_loss;
    const double radius = state_.running.empty() ? kNaN : state_.running.back().radius_pre_projection;
    std::fprintf(stderr, "%s[train] %3lld%%  iteration %lld/%lld  loss %.4g  radius %.4g  %.0f s elapsed, ~%.0f s left%s",
                 interactive ? "\r" : "", 100 * t / total, t, total, loss, radius, elapsed, left,
                 interactive ? "   " : "\n");
  }

  // Saves everything and throws Interrupted (the CLI exits with kExitInterrupted); rerunning resumes.
  [[noreturn]] void interrupted() {
    save();
    throw Interrupted(fmt::format("{} received: the run is saved at iteration {} of {} in {}; run the same command "
                                  "again to resume: {}",
                                  interrupt_signal_name(), state_.iteration, c_.run.iterations,
                                  (out_ / "checkpoint.bin").string(), o_.resume_command));
  }

  RunOutcome finish() {
    RunOutcome o;
    nlohmann::json summary = {
        {"status", state_.divergence.empty() ? "finished" : "diverged"},
        {"divergence", state_.divergence.empty() ? nlohmann::json(nullptr) : nlohmann::json(state_.divergence)},
        {"iterations_done", state_.iteration},
        {"d", d_},
        {"si_d", trainer_.si_dim()},
        {"protocol", c_.protocol},
        {"hyperparameters", c_.protocol_params().settings()},
        {"model", c_.to_json()["model"]},
        {"data", data_.to_json()},
        {"batch_size", c_.run.batch_size},
        {"iterations", c_.run.iterations},
    };
    if (state_.divergence.empty()) {
      const auto t0 = Clock::now();
      EntropyResults entropy;
      entropy.decorrelated_stride = decorrelated_stride_;
      try {
        if (state_.entropy_error.empty() && state_.paper_queue.full())
          entropy.paper = state_.paper_queue.queue().estimate();
        if (state_.entropy_error.empty() && state_.decorrelated_queue.full())
          entropy.decorrelated = state_.decorrelated_queue.queue().estimate();
      } catch (const InputError& e) {
        state_.entropy_error = fmt::format("final estimate failed: {}", e.what());
      }
      summary["stationary"] = stationary_summary(c_, d_, state_, window_start_, entropy);
      if (c_.model.arch == Architecture::isotropic) {  // the network whose answer is known: the answer beside it
        summary["known_answer"] = isotropic_known_answer(c_, summary["stationary"], state_.paper_queue.capacity());
        summary["stationary"].update(summary["known_answer"]["stationary_predictions"]);
      }
      state_.seconds_measuring += seconds_since(t0);
    } else {
      summary["stationary"] = nullptr;
    }
    const double total = state_.seconds_training + state_.seconds_measuring;
    summary["timing"] = {{"seconds_training", state_.seconds_training},
                         {"seconds_measuring", state_.seconds_measuring},
                         {"measure_over_training", state_.seconds_measuring / state_.seconds_training},
                         {"ms_per_step", 1e3 * state_.seconds_training / static_cast<double>(std::max<long long>(1, state_.iteration))},
                         {"seconds_total", total},
                         {"note", "wall time of this process and its predecessors (resumes); not bitwise"}};
    save();
    write_file_atomically(out_ / "summary.json", summary.dump(2) + "\n");
    o.status = state_.divergence.empty() ? RunStatus::finished : RunStatus::diverged;
    o.message = state_.divergence;
    o.summary = std::move(summary);
    return o;
  }

  const TrainConfig& c_;
  const RunOptions& o_;
  fs::path out_;
  TrainingData data_;
  Trainer trainer_;
  long long d_ = 0;
  double memory_bytes_ = 0.0;
  long long window_start_ = 0, paper_start_ = 0, decorrelated_stride_ = 0;
  std::vector<long long> logs_;
  RunState state_;
  bool resumed_ = false;
  bool wrote_ = false;               // open_folder wrote into out_
  std::vector<bool> existed_before_;  // per kRunFiles, after --restart's removal and before this process wrote
  std::optional<ScaleInvarianceReport> scale_invariance_;  // measured before training (TorchScript modules)
};

}  // namespace

namespace {

// A folder that holds files but neither a run's checkpoint nor its config is someone else's (`--out /`, a folder of
// results): refused before the lock file or anything else is written into it.
void refuse_foreign_folder(const fs::path& out) {
  std::error_code ec;
  if (!fs::is_directory(out, ec) || fs::exists(out / "checkpoint.bin", ec) || fs::exists(out / "config.toml", ec))
    return;
  for (const fs::directory_entry& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    if (name != ".lock" && name != kRecordsLockFile && name.find(".tmp.") == std::string::npos)  // locks, leftovers
      throw InputError(fmt::format("--out {} holds files that are not an idealgas train run (e.g. {}); choose a new "
                                   "or empty folder",
                                   out.string(), name));
  }
}

}  // namespace

RunOutcome run_training(const TrainConfig& config, const RunOptions& options) {
  const fs::path out = require_output_folder("--out", options.out);
  config.validate();
  Run run(config, options);  // loads the data and builds the network: input errors surface before any write
  refuse_foreign_folder(out);
  const RunFolderLock lock(out);
  remove_stale_temporaries(out);
  try {
    return run.run();
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    if (!run.wrote_files()) throw;
    throw Error(run.after_failure(e));
  }
}

}  // namespace idealgas::train
