// Mean and standard error of a time series whose length is known in advance, by non-overlapping batch
// means: consecutive samples are correlated, so the naive sd/sqrt(n) would understate the error; the
// means of batches much longer than the autocorrelation time are nearly independent.
// SE = sd(batch means)/sqrt(n_batches). Batches are kept at kFinePerBatch times finer resolution too, so a
// caller can see whether the SE still grows with the batch length (batches too short: the SE is not reliable),
// and the sum of squares gives the effective sample size var(x)/SE^2 and the integrated autocorrelation time.
#pragma once

#include <cstddef>
#include <vector>

namespace idealgas {

class BatchMeans {
 public:
  static constexpr int kDefaultBatches = 20;
  static constexpr int kFinePerBatch = 4;

  /// Raw state, for checkpoints (bitwise resume).
  struct State {
    long long expected = 1, count = 0, batches = 1;
    double sum_sq = 0.0;
    std::vector<double> fine_sums;
    std::vector<long long> fine_counts;
  };

  BatchMeans() = default;
  /// Expects exactly `n_samples` calls to add(); they are split into `n_batches` contiguous batches.
  explicit BatchMeans(long long n_samples, int n_batches = kDefaultBatches);
  /// Restores a saved state; returns false (and leaves *this unchanged) if it is inconsistent.
  bool restore(const State& state);
  const State& state() const { return s_; }

  void add(double x) {
    const auto f = static_cast<std::size_t>((static_cast<unsigned long long>(s_.count) * s_.fine_sums.size()) /
                                            static_cast<unsigned long long>(s_.expected));
    s_.fine_sums[f] += x;
    ++s_.fine_counts[f];
    s_.sum_sq += x * x;
    ++s_.count;
  }
  long long count() const { return s_.count; }
  long long expected() const { return s_.expected; }
  int batches() const { return static_cast<int>(s_.batches); }
  /// Mean of all samples (NaN if none).
  double mean() const;
  /// Batch-means standard error of the mean (NaN with fewer than two non-empty batches).
  double standard_error() const;
  /// The same with the finer batches (kFinePerBatch times as many, each as many times shorter).
  double standard_error_fine() const;
  /// Sample variance of the individual values (NaN with fewer than two).
  double variance() const;
  /// var(x) / SE^2: how many independent samples the mean is worth (NaN where undefined).
  double effective_sample_size() const;

 private:
  State s_{1, 0, 1, 0.0, std::vector<double>(1, 0.0), std::vector<long long>(1, 0)};
};

/// Mean and standard error of independent values (sd/sqrt(n)); NaN where undefined.
struct MeanSe {
  double mean;
  double se;
};
MeanSe mean_and_se(const std::vector<double>& values);

}  // namespace idealgas
