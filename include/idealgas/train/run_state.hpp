// Everything a training run accumulates besides the network itself, torch-free: the trace of log points, the
// running log, the block means of the stationary window, the entropy queues, the divergence reason. Together with
// the trainer's weights and BatchNorm statistics it is the checkpoint (save_checkpoint / load_checkpoint), from
// which a run resumes bitwise identically at the same thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/measure/snapshot_queue.hpp"

namespace idealgas::train {

/// One row of trace.csv: the measurements at a log point. NaN where a measurement is off or not yet available.
struct LogRecord {
  long long iteration = 0;
  double train_loss = 0, train_accuracy = 0;  // full training set, train-mode BN over chunks
  double grad_norm_sq_unit = 0;               // G = |grad L(w_hat)|^2
  double test_loss = 0, test_accuracy = 0;    // eval-mode BN
  double radius = 0, eta_eff = 0;             // |w| and eta/|w|^2 after the step of this iteration
  double tr_sigma_steps = 0;    // mean over the steps since the previous log point of |w_t|^2 |g_t|^2, minus G
  long long interval_steps = 0; // steps in that mean
  double tr_sigma_fresh = 0, tr_sigma_fresh_se = 0;  // fresh-batch estimator (measure.fresh_batches)
  double sigma2 = 0, temperature = 0;  // tr_sigma_steps / (d-1); T = eta_eff sigma2 / 2
  double lambda_eff = 0;               // sphere: mean of (|w_tilde| - r)/(eta_eff r^3) since the previous log point
  double entropy_sphere = 0, entropy_sphere_se = 0, entropy_total = 0, adjacent_nn_fraction = 0;  // paper queue
};

/// One row of running.csv (every measure.running_stride iterations).
struct RunningRow {
  long long iteration = 0;
  double batch_loss = 0;             // at w_t, on the batch of iteration t
  double radius_pre_projection = 0;  // |w_t - s (g + wd w_t)| (before the sphere's projection)
  double grad_norm = 0;              // |g_B|, parameter units
  double grad_norm_sq_unit = 0;      // |w_t|^2 |g_B|^2
  double eta_eff = 0;                // step size / |w_t|^2
  double block_loss = 0, block_grad_norm_sq_unit = 0;  // means over the running_stride steps ending here
};

/// Means of consecutive blocks of `block` samples of a per-iteration quantity (the stationary window's series).
struct BlockSeries {
  std::vector<double> means;
  double sum = 0.0;
  long long count = 0;
  void add(double x, long long block) {
    sum += x;
    if (++count == block) {
      means.push_back(sum / static_cast<double>(block));
      sum = 0.0;
      count = 0;
    }
  }
};

/// A snapshot queue with its raw rows (float32, as the network holds them), oldest first on save: the queue's
/// distance table is rebuilt from them on load, which gives the same bits.
class SnapshotRing {
 public:
  SnapshotRing() = default;
  SnapshotRing(std::size_t capacity, std::size_t dim, int k);
  bool enabled() const { return capacity_ > 0; }
  void push(const float* row);  // [dim]; InputError from the queue (row on the singular set) propagates
  bool full() const { return enabled() && size_ == capacity_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  long long pushes() const { return pushes_; }
  const SnapshotQueue& queue() const { return *queue_; }
  /// Rows oldest first [size, dim].
  std::vector<float> ordered_rows() const;
  /// Rebuilds from rows oldest first and the total push count (the checkpoint).
  void restore(const std::vector<float>& rows, long long pushes);

 private:
  std::size_t capacity_ = 0, dim_ = 0, size_ = 0, head_ = 0;
  int k_ = 1;
  long long pushes_ = 0;
  std::vector<float> rows_;  // [capacity, dim] by slot
  std::optional<SnapshotQueue> queue_;
};

/// The first 8 bytes of a training checkpoint (the format, core/checkpoint_file.hpp, version 1).
inline constexpr char kTrainCheckpointMagic[8] = {'I', 'G', 'T', 'R', 'A', 'I', 'N', '1'};

struct RunState {
  long long iteration = 0;
  std::string divergence;  // empty while healthy
  std::vector<LogRecord> logs;
  std::vector<RunningRow> running;
  double block_loss_sum = 0, block_u_sum = 0;  // the running block in progress
  long long block_count = 0;
  double interval_u_sum = 0, interval_lambda_eff_sum = 0;  // since the previous log point
  long long interval_count = 0;
  // Stationary window: block means of every iteration's values.
  BlockSeries loss, radius, radius_sq, grad_sq_unit, lambda_eff;
  SnapshotRing paper_queue, decorrelated_queue;
  std::string entropy_error;  // why the queues stopped (a snapshot the estimator cannot take), if they did
  double seconds_training = 0, seconds_measuring = 0;  // wall time (not part of the bitwise results)
};

/// Writes the checkpoint atomically: magic, CRC-32, the config's result-relevant JSON, the trainer's state
/// (iteration, weights [d] float64, BatchNorm statistics) and the run state.
void save_checkpoint(const std::string& path, const nlohmann::json& config, const std::vector<double>& weights,
                     const std::vector<float>& running_stats, const RunState& state);

struct LoadedCheckpoint {
  std::vector<double> weights;
  std::vector<float> running_stats;
  RunState state;
};

/// Reads a checkpoint written for `config` with `dim` weights, `running_size` BatchNorm statistics, `iterations`
/// total; IoError naming the file if it is corrupt or implausible (bad magic or CRC, iteration outside
/// 0..iterations, sizes that do not match), InputError (with the differing settings) if it belongs to another
/// configuration. `ring_template` gives the queues' capacities (the state's queues are restored into copies).
LoadedCheckpoint load_checkpoint(const std::string& path, const nlohmann::json& config, long long dim,
                                 long long running_size, long long iterations, const RunState& ring_template);

}  // namespace idealgas::train
