// Mean and standard error of a time series whose length is known in advance, by non-overlapping batch
// means: consecutive samples are correlated, so the naive sd/sqrt(n) would understate the error; the
// means of long batches are nearly independent. SE = sd(batch means)/sqrt(n_batches).
#pragma once

#include <cstddef>
#include <vector>

namespace idealgas {

class BatchMeans {
 public:
  static constexpr int kDefaultBatches = 20;

  BatchMeans() = default;
  /// Expects exactly `n_samples` calls to add(); they are split into `n_batches` contiguous batches.
  explicit BatchMeans(long long n_samples, int n_batches = kDefaultBatches);

  void add(double x) {
    const long long b = static_cast<long long>((static_cast<unsigned long long>(count_) * batch_sum_.size()) /
                                               static_cast<unsigned long long>(expected_));
    batch_sum_[static_cast<std::size_t>(b)] += x;
    ++batch_count_[static_cast<std::size_t>(b)];
    ++count_;
  }
  long long count() const { return count_; }
  long long expected() const { return expected_; }
  /// Mean of all samples (NaN if none).
  double mean() const;
  /// Batch-means standard error of the mean (NaN with fewer than two non-empty batches).
  double standard_error() const;

  // Raw state, for checkpoints (bitwise resume).
  std::vector<double>& batch_sums() { return batch_sum_; }
  std::vector<long long>& batch_counts() { return batch_count_; }
  long long& count_ref() { return count_; }

 private:
  long long expected_ = 1;
  long long count_ = 0;
  std::vector<double> batch_sum_ = std::vector<double>(1, 0.0);
  std::vector<long long> batch_count_ = std::vector<long long>(1, 0);
};

/// Mean and standard error of independent values (sd/sqrt(n)); NaN where undefined.
struct MeanSe {
  double mean;
  double se;
};
MeanSe mean_and_se(const std::vector<double>& values);

}  // namespace idealgas
