// A FIFO queue of the last N weight snapshots, as the trainer keeps it, with the exact squared distances between
// the angle vectors (or raw vectors, euclidean) of every pair kept up to date: each push computes the new row's
// angles and its N - 1 distances by dist_sq_exact, O(N d); an entropy estimate at a log point then needs only the
// selection over the N x N table, O(N^2), and equals estimate_entropy() on the same snapshots in FIFO order
// (oldest first) bit for bit. Units and conventions as entropy_estimate.hpp (nats; the paper's spherical
// coordinates; --rotate is not offered: a queue has no fixed mean direction).
// Memory: N (d-1) doubles of angles + N^2 doubles of distances.
#pragma once

#include <cstddef>
#include <vector>

#include "idealgas/measure/entropy_estimate.hpp"

namespace idealgas {

struct SnapshotQueueOptions {
  bool euclidean = false;
  int k = 1;
  std::size_t exclude_window = 0;
  int se_batches = 20;
};

class SnapshotQueue {
 public:
  /// capacity >= 2; dim >= 2 (spherical) or >= 1 (euclidean); InputError otherwise.
  SnapshotQueue(std::size_t capacity, std::size_t dim, const SnapshotQueueOptions& options = {});

  /// Appends a snapshot, dropping the oldest when full. Requires finite values and (spherical) a row off the
  /// coordinate singular set: InputError naming the push otherwise (the queue is then unchanged).
  void push(const double* w);  // [dim]
  void push(const float* w);   // [dim], widened exactly

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t dim() const { return dim_; }
  long long pushes() const { return pushes_; }

  /// The estimate over the queue's rows, oldest first (requires size() >= 2 and what estimate_entropy requires).
  EntropyEstimate estimate(bool keep_per_sample = false) const;

 private:
  std::size_t slot_of(std::size_t position) const { return (head_ + position) % capacity_; }
  std::size_t capacity_, dim_, m_;
  SnapshotQueueOptions options_;
  std::size_t head_ = 0, size_ = 0;  // oldest slot, number of rows
  long long pushes_ = 0;
  std::vector<double> points_;                 // [capacity, m]: angles (or raw rows) by slot
  std::vector<double> radius_, log_jacobian_;  // [capacity]
  std::vector<double> dist_sq_;                // [capacity, capacity]: exact squared distances by slot
  std::vector<double> scratch_;                // [dim]
};

}  // namespace idealgas
