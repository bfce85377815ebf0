// Mean of a stationary time series with a standard error that accounts for autocorrelation (issue 6: numbers you
// can trust). Conventions:
//  - integrated autocorrelation time tau = 1 + 2 sum_{t>=1} rho(t), in samples, so that var(mean) ~ tau var(x)/n
//    and the effective sample size is n/tau (1 for independent samples). The sum is cut at Sokal's automatic
//    window: the smallest M with M >= 5 tau(M) (Sokal 1997, "Monte Carlo methods in statistical mechanics").
//  - standard error by non-overlapping batch means with batches of at least 5 tau samples (longer than the
//    correlations, so the batch means are nearly independent) and at least kMinBatches batches; when the series is
//    too short for both, the batches are shorter and `reliable` is false with the reason.
//  - drift: the means of the first and second half differ by `drift_z` of their combined batch-means SE; a large
//    |drift_z| (> 3) says the window is not stationary.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace idealgas {

struct SeriesStats {
  std::size_t n = 0;            // samples
  double mean = 0.0;
  double sd = 0.0;              // sample standard deviation of x
  double se = 0.0;              // batch-means standard error of the mean
  double tau = 1.0;             // integrated autocorrelation time, samples
  double ess = 0.0;             // effective sample size n / tau
  std::size_t batch_length = 0; // samples per batch of the SE
  std::size_t batches = 0;
  double drift_z = 0.0;         // (mean of 2nd half - mean of 1st half) / combined SE
  bool reliable = false;        // tau's window closed, >= kMinBatches batches of >= 5 tau, |drift_z| <= 3
  std::string reason;           // why not reliable (empty when reliable)
};

inline constexpr std::size_t kMinBatches = 10;
inline constexpr double kSokalWindow = 5.0;      // M >= 5 tau(M)
inline constexpr double kBatchOverTau = 5.0;     // batch length >= 5 tau
inline constexpr double kMaxDriftZ = 3.0;

/// Statistics of x[0..n) (n >= 2; fewer gives NaNs and reliable = false). Non-finite values: InputError.
SeriesStats series_stats(const std::vector<double>& x);  // x: [n], in time order

/// Integrated autocorrelation time alone (as in series_stats); `window_closed` is false when the Sokal window
/// did not close before n/2 (tau is then a lower bound).
double integrated_autocorrelation_time(const std::vector<double>& x, bool* window_closed = nullptr);

/// Mean and standard error of x with batches of exactly `batch_length` samples (the last partial batch dropped
/// from the SE, kept in the mean). NaN SE with fewer than two batches.
void batch_means(const std::vector<double>& x, std::size_t batch_length, double* mean, double* se,
                 std::size_t* batches);

}  // namespace idealgas
