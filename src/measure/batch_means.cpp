#include "idealgas/measure/batch_means.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Means of groups of fine batches: group g holds fine batches f with floor(f * groups / fine) == g, which is the
/// batch that add() would have chosen with `groups` batches (floor(floor(x)/k) = floor(x/k)).
std::vector<double> group_means(const BatchMeans::State& s, std::size_t groups) {
  const std::size_t fine = s.fine_sums.size();
  std::vector<double> sums(groups, 0.0);
  std::vector<long long> counts(groups, 0);
  for (std::size_t f = 0; f < fine; ++f) {
    const std::size_t g = f * groups / fine;
    sums[g] += s.fine_sums[f];
    counts[g] += s.fine_counts[f];
  }
  std::vector<double> means;
  for (std::size_t g = 0; g < groups; ++g)
    if (counts[g] > 0) means.push_back(sums[g] / static_cast<double>(counts[g]));
  return means;
}
}  // namespace

BatchMeans::BatchMeans(long long n_samples, int n_batches) {
  IDEALGAS_ASSERT(n_samples >= 1 && n_batches >= 1, "BatchMeans needs at least one sample and one batch");
  s_.expected = n_samples;
  s_.batches = std::min<long long>(n_batches, n_samples);
  const long long fine = std::min<long long>(n_samples, s_.batches * kFinePerBatch);
  s_.fine_sums.assign(static_cast<std::size_t>(fine), 0.0);
  s_.fine_counts.assign(static_cast<std::size_t>(fine), 0);
}

bool BatchMeans::restore(const State& state) {
  if (state.expected < 1 || state.batches < 1 || state.batches > state.expected || state.count < 0 ||
      state.count > state.expected || state.fine_sums.size() != state.fine_counts.size() ||
      state.batches > std::numeric_limits<int>::max() ||  // batches() is an int; batches * kFinePerBatch cannot wrap
      static_cast<long long>(state.fine_sums.size()) !=
          std::min<long long>(state.expected, state.batches * kFinePerBatch))
    return false;
  long long total = 0;
  for (long long c : state.fine_counts) {
    // A crafted checkpoint can hold counts whose sum wraps; refuse it rather than overflow (fuzz_checkpoint).
    if (c < 0 || __builtin_add_overflow(total, c, &total)) return false;
  }
  if (total != state.count) return false;
  s_ = state;
  return true;
}

double BatchMeans::mean() const {
  double sum = 0.0;
  for (double v : s_.fine_sums) sum += v;
  return s_.count > 0 ? sum / static_cast<double>(s_.count) : kNaN;
}

double BatchMeans::standard_error() const {
  return mean_and_se(group_means(s_, static_cast<std::size_t>(s_.batches))).se;
}

double BatchMeans::standard_error_fine() const { return mean_and_se(group_means(s_, s_.fine_sums.size())).se; }

double BatchMeans::variance() const {
  if (s_.count < 2) return kNaN;
  const double n = static_cast<double>(s_.count), m = mean();
  return std::max(0.0, (s_.sum_sq - n * m * m) / (n - 1.0));
}

double BatchMeans::effective_sample_size() const {
  const double se = standard_error();
  return se > 0.0 ? variance() / (se * se) : kNaN;
}

MeanSe mean_and_se(const std::vector<double>& values) {
  if (values.empty()) return {kNaN, kNaN};
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  if (values.size() < 2) return {mean, kNaN};
  double ss = 0.0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double n = static_cast<double>(values.size());
  return {mean, std::sqrt(ss / (n - 1.0) / n)};
}

}  // namespace idealgas
