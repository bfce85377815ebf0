#include "idealgas/train/run_state.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/checkpoint_file.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas::train {

// ---- SnapshotRing ----------------------------------------------------------------------------------------

SnapshotRing::SnapshotRing(std::size_t capacity, std::size_t dim, int k) : capacity_(capacity), dim_(dim), k_(k) {
  if (capacity_ == 0) return;
  rows_.assign(capacity_ * dim_, 0.0f);
  SnapshotQueueOptions options;
  options.k = k_;
  queue_.emplace(capacity_, dim_, options);
}

void SnapshotRing::push(const float* row) {
  IDEALGAS_ASSERT(enabled(), "push into a disabled snapshot ring");
  queue_->push(row);  // first: it may refuse the row, and then nothing changes
  std::size_t slot;
  if (size_ < capacity_) {
    slot = (head_ + size_) % capacity_;
    ++size_;
  } else {  // full: overwrite the oldest
    slot = head_;
    head_ = (head_ + 1) % capacity_;
  }
  std::memcpy(rows_.data() + slot * dim_, row, sizeof(float) * dim_);
  ++pushes_;
}

std::vector<float> SnapshotRing::ordered_rows() const {
  std::vector<float> out(size_ * dim_);
  for (std::size_t p = 0; p < size_; ++p)
    std::memcpy(out.data() + p * dim_, rows_.data() + ((head_ + p) % capacity_) * dim_, sizeof(float) * dim_);
  return out;
}

void SnapshotRing::restore(const std::vector<float>& rows, long long pushes) {
  *this = SnapshotRing(capacity_, dim_, k_);
  for (std::size_t p = 0; p * dim_ < rows.size(); ++p) push(rows.data() + p * dim_);
  pushes_ = pushes;
}

// ---- checkpoint ------------------------------------------------------------------------------------------

namespace {

void write_series(CheckpointWriter& out, const BlockSeries& b) {
  out.vec(b.means);
  out.pod(b.sum);
  out.pod(b.count);
}

BlockSeries read_series(CheckpointReader& in) {
  BlockSeries b;
  b.means = in.vec<double>();
  b.sum = in.pod<double>();
  b.count = in.pod<long long>();
  if (b.count < 0) in.corrupt("negative block count");
  return b;
}

}  // namespace

void save_checkpoint(const std::string& path, const nlohmann::json& config, const std::vector<double>& weights,
                     const std::vector<float>& running_stats, const RunState& s) {
  CheckpointWriter out;
  out.str(config.dump());
  out.pod(s.iteration);
  out.vec(weights);
  out.vec(running_stats);
  out.str(s.divergence);
  out.vec(s.logs);
  out.vec(s.running);
  out.pod(s.block_loss_sum);
  out.pod(s.block_u_sum);
  out.pod(s.block_count);
  out.pod(s.interval_u_sum);
  out.pod(s.interval_lambda_eff_sum);
  out.pod(s.interval_count);
  for (const BlockSeries* b : {&s.loss, &s.radius, &s.radius_sq, &s.grad_sq_unit, &s.lambda_eff}) write_series(out, *b);
  for (const SnapshotRing* q : {&s.paper_queue, &s.decorrelated_queue}) {
    out.pod(q->pushes());
    out.vec(q->enabled() ? q->ordered_rows() : std::vector<float>{});
  }
  out.str(s.entropy_error);
  out.pod(s.seconds_training);
  out.pod(s.seconds_measuring);
  out.write(path, kTrainCheckpointMagic);
}

LoadedCheckpoint load_checkpoint(const std::string& path, const nlohmann::json& config, long long dim,
                                 long long running_size, long long iterations, const RunState& ring_template) {
  CheckpointReader in(path, kTrainCheckpointMagic, "train", "delete it, or pass --restart to start over");
  const nlohmann::json saved = nlohmann::json::parse(in.str(), nullptr, false);
  if (saved.is_discarded()) in.corrupt("unreadable configuration");
  if (saved != config) {
    std::string diff;
    for (auto sec = config.begin(); sec != config.end(); ++sec)
      for (auto it = sec.value().begin(); it != sec.value().end(); ++it) {
        const nlohmann::json old = saved.contains(sec.key()) && saved[sec.key()].contains(it.key())
                                       ? saved[sec.key()][it.key()]
                                       : nlohmann::json("nothing");
        if (old != it.value())
          diff += fmt::format(" {}.{}: checkpoint has {}, now {};", sec.key(), it.key(), old.dump(), it.value().dump());
      }
    throw InputError(fmt::format("checkpoint {} was written for another configuration ({}); resume with the same "
                                 "settings, choose another --out folder, or pass --restart",
                                 path, diff.empty() ? " settings differ" : diff));
  }
  LoadedCheckpoint c;
  RunState& s = c.state;
  s.iteration = in.pod<long long>();
  if (s.iteration < 0 || s.iteration > iterations)
    in.corrupt(fmt::format("iteration {} outside 0..{}", s.iteration, iterations));
  c.weights = in.vec<double>();
  c.running_stats = in.vec<float>();
  if (static_cast<long long>(c.weights.size()) != dim) in.corrupt(fmt::format("{} weights, expected {}", c.weights.size(), dim));
  if (static_cast<long long>(c.running_stats.size()) != running_size) in.corrupt("BatchNorm statistics of another size");
  for (double w : c.weights)
    if (!std::isfinite(w)) in.corrupt("non-finite weight");
  s.divergence = in.str();
  s.logs = in.vec<LogRecord>();
  s.running = in.vec<RunningRow>();
  s.block_loss_sum = in.pod<double>();
  s.block_u_sum = in.pod<double>();
  s.block_count = in.pod<long long>();
  s.interval_u_sum = in.pod<double>();
  s.interval_lambda_eff_sum = in.pod<double>();
  s.interval_count = in.pod<long long>();
  if (s.block_count < 0 || s.interval_count < 0 || s.block_count > s.iteration || s.interval_count > s.iteration)
    in.corrupt("implausible counters");
  for (BlockSeries* b : {&s.loss, &s.radius, &s.radius_sq, &s.grad_sq_unit, &s.lambda_eff}) *b = read_series(in);
  s.paper_queue = ring_template.paper_queue;
  s.decorrelated_queue = ring_template.decorrelated_queue;
  for (SnapshotRing* q : {&s.paper_queue, &s.decorrelated_queue}) {
    const auto pushes = in.pod<long long>();
    const std::vector<float> rows = in.vec<float>();
    const std::size_t expected_rows =
        q->enabled() ? static_cast<std::size_t>(std::min<long long>(std::max<long long>(pushes, 0), static_cast<long long>(q->capacity())))
                     : 0;
    if (pushes < 0 || pushes > s.iteration || rows.size() != expected_rows * static_cast<std::size_t>(dim))
      in.corrupt("snapshot queue of another size");
    if (q->enabled()) q->restore(rows, pushes);
  }
  s.entropy_error = in.str();
  s.seconds_training = in.pod<double>();
  s.seconds_measuring = in.pod<double>();
  if (!in.at_end()) in.corrupt("trailing bytes");
  return c;
}

}  // namespace idealgas::train
