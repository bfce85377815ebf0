#include "idealgas/measure/batch_means.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "idealgas/core/error.hpp"

namespace idealgas {

BatchMeans::BatchMeans(long long n_samples, int n_batches)
    : expected_(n_samples),
      batch_sum_(static_cast<std::size_t>(std::max<long long>(1, std::min<long long>(n_batches, n_samples))), 0.0),
      batch_count_(batch_sum_.size(), 0) {
  IDEALGAS_ASSERT(n_samples >= 1 && n_batches >= 1, "BatchMeans needs at least one sample and one batch");
}

double BatchMeans::mean() const {
  double sum = 0.0;
  long long n = 0;
  for (std::size_t b = 0; b < batch_sum_.size(); ++b) {
    sum += batch_sum_[b];
    n += batch_count_[b];
  }
  return n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

double BatchMeans::standard_error() const {
  std::vector<double> means;
  for (std::size_t b = 0; b < batch_sum_.size(); ++b)
    if (batch_count_[b] > 0) means.push_back(batch_sum_[b] / static_cast<double>(batch_count_[b]));
  return mean_and_se(means).se;
}

MeanSe mean_and_se(const std::vector<double>& values) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (values.empty()) return {nan, nan};
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  if (values.size() < 2) return {mean, nan};
  double ss = 0.0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double n = static_cast<double>(values.size());
  return {mean, std::sqrt(ss / (n - 1.0) / n)};
}

}  // namespace idealgas
