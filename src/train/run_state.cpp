#include "idealgas/train/run_state.hpp"

#include <cmath>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "idealgas/core/atomic_file.hpp"
#include "idealgas/core/crc32.hpp"
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

constexpr char kMagic[8] = {'I', 'G', 'T', 'R', 'A', 'I', 'N', '1'};

class Writer {
 public:
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<std::uint64_t>(v.size());
    buf_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void str(const std::string& s) {
    pod<std::uint64_t>(s.size());
    buf_.append(s);
  }
  void series(const BlockSeries& b) {
    vec(b.means);
    pod(b.sum);
    pod(b.count);
  }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

class Reader {
 public:
  Reader(const std::string& data, std::size_t pos, std::string path) : data_(data), pos_(pos), path_(std::move(path)) {}
  template <class T>
  T pod() {
    need(sizeof(T), 1);
    T v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <class T>
  std::vector<T> vec() {
    const auto n = pod<std::uint64_t>();
    need(sizeof(T), n);
    std::vector<T> v(static_cast<std::size_t>(n));
    if (n > 0) std::memcpy(v.data(), data_.data() + pos_, static_cast<std::size_t>(n) * sizeof(T));  // data() may be null
    pos_ += static_cast<std::size_t>(n) * sizeof(T);
    return v;
  }
  std::string str() {
    const auto n = pod<std::uint64_t>();
    need(1, n);
    std::string s = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  BlockSeries series() {
    BlockSeries b;
    b.means = vec<double>();
    b.sum = pod<double>();
    b.count = pod<long long>();
    if (b.count < 0) corrupt("negative block count");
    return b;
  }
  bool at_end() const { return pos_ == data_.size(); }
  [[noreturn]] void corrupt(const std::string& what) const {
    throw IoError(fmt::format("checkpoint {} is corrupt ({}); delete it, or pass --restart to start over", path_, what));
  }

 private:
  // Room for n items of `size` bytes, with the product checked (a crafted length must not wrap).
  void need(std::size_t size, std::uint64_t n) const {
    std::uint64_t bytes;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(size), n, &bytes) || bytes > data_.size() - pos_)
      corrupt("truncated");
  }
  const std::string& data_;
  std::size_t pos_;
  std::string path_;
};

std::uint32_t crc_of(const char* p, std::size_t n) { return crc32_of(std::string_view(p, n)); }

}  // namespace

void save_checkpoint(const std::string& path, const nlohmann::json& config, const std::vector<double>& weights,
                     const std::vector<float>& running_stats, const RunState& s) {
  Writer out;
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
  for (const BlockSeries* b : {&s.loss, &s.radius, &s.radius_sq, &s.grad_sq_unit, &s.lambda_eff}) out.series(*b);
  for (const SnapshotRing* q : {&s.paper_queue, &s.decorrelated_queue}) {
    out.pod(q->pushes());
    out.vec(q->enabled() ? q->ordered_rows() : std::vector<float>{});
  }
  out.str(s.entropy_error);
  out.pod(s.seconds_training);
  out.pod(s.seconds_measuring);
  const std::string& body = out.buffer();
  std::string file(kMagic, sizeof kMagic);
  const std::uint32_t crc = crc_of(body.data(), body.size());
  file.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  file.append(body);
  write_file_atomically(path, file);
}

LoadedCheckpoint load_checkpoint(const std::string& path, const nlohmann::json& config, long long dim,
                                 long long running_size, long long iterations, const RunState& ring_template) {
  const std::string file = read_file(path);
  const std::size_t header = sizeof kMagic + sizeof(std::uint32_t);
  if (file.size() < header || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
    throw IoError(fmt::format("{} is not an idealgas train checkpoint (bad magic); delete it or pass --restart", path));
  std::uint32_t stored;
  std::memcpy(&stored, file.data() + sizeof kMagic, sizeof stored);
  Reader in(file, header, path);
  if (crc_of(file.data() + header, file.size() - header) != stored) in.corrupt("CRC mismatch");

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
  for (BlockSeries* b : {&s.loss, &s.radius, &s.radius_sq, &s.grad_sq_unit, &s.lambda_eff}) *b = in.series();
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
