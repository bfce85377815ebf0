#include "idealgas/measure/time_series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas {

namespace {
constexpr double kNaNValue = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double integrated_autocorrelation_time(const std::vector<double>& x, bool* window_closed) {
  const std::size_t n = x.size();
  if (window_closed) *window_closed = false;
  if (n < 2) return kNaNValue;
  double mean = 0.0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(n);
  double c0 = 0.0;
  for (double v : x) c0 += (v - mean) * (v - mean);
  c0 /= static_cast<double>(n);
  if (!(c0 > 0.0)) {  // a constant series: no fluctuation, every sample "independent"
    if (window_closed) *window_closed = true;
    return 1.0;
  }
  double tau = 1.0;
  const std::size_t max_lag = n / 2;
  for (std::size_t t = 1; t <= max_lag; ++t) {
    double c = 0.0;
    for (std::size_t i = 0; i + t < n; ++i) c += (x[i] - mean) * (x[i + t] - mean);
    c /= static_cast<double>(n);  // the biased estimator: smaller variance, standard for tau (Sokal)
    tau += 2.0 * c / c0;
    if (static_cast<double>(t) >= kSokalWindow * tau) {
      if (window_closed) *window_closed = true;
      return std::max(tau, 1.0 / static_cast<double>(n));
    }
  }
  return std::max(tau, 1.0 / static_cast<double>(n));
}

void batch_means(const std::vector<double>& x, std::size_t batch_length, double* mean, double* se,
                 std::size_t* batches) {
  IDEALGAS_ASSERT(batch_length >= 1, "batch_means needs batch_length >= 1");
  double sum = 0.0;
  for (double v : x) sum += v;
  *mean = x.empty() ? kNaNValue : sum / static_cast<double>(x.size());
  const std::size_t b = x.size() / batch_length;
  *batches = b;
  if (b < 2) {
    *se = kNaNValue;
    return;
  }
  std::vector<double> means(b, 0.0);
  for (std::size_t k = 0; k < b; ++k) {
    for (std::size_t i = 0; i < batch_length; ++i) means[k] += x[k * batch_length + i];
    means[k] /= static_cast<double>(batch_length);
  }
  double m = 0.0;
  for (double v : means) m += v;
  m /= static_cast<double>(b);
  double var = 0.0;
  for (double v : means) var += (v - m) * (v - m);
  var /= static_cast<double>(b - 1);
  *se = std::sqrt(var / static_cast<double>(b));
}

SeriesStats series_stats(const std::vector<double>& x) {
  SeriesStats s;
  s.n = x.size();
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) throw InputError(fmt::format("time series value {} at index {} is not finite", x[i], i));
  if (s.n < 2) {
    s.mean = s.n == 1 ? x[0] : kNaNValue;
    s.sd = s.se = s.tau = s.ess = s.drift_z = kNaNValue;
    s.reason = "fewer than 2 samples";
    return s;
  }
  double mean = 0.0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(s.n);
  double var = 0.0;
  for (double v : x) var += (v - mean) * (v - mean);
  s.sd = std::sqrt(var / static_cast<double>(s.n - 1));
  bool closed = false;
  s.tau = integrated_autocorrelation_time(x, &closed);
  s.ess = static_cast<double>(s.n) / s.tau;

  // Batches of >= 5 tau samples, and at least kMinBatches of them; a short series gets shorter batches.
  const std::size_t wanted = static_cast<std::size_t>(std::ceil(kBatchOverTau * s.tau));
  std::size_t length = std::max<std::size_t>(1, wanted);
  if (s.n / length < kMinBatches) length = std::max<std::size_t>(1, s.n / kMinBatches);
  batch_means(x, length, &s.mean, &s.se, &s.batches);
  s.batch_length = length;
  s.mean = mean;

  // Drift between halves, each with the same batch length.
  const std::size_t half = s.n / 2;
  const std::vector<double> first(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(half));
  const std::vector<double> second(x.end() - static_cast<std::ptrdiff_t>(half), x.end());
  const std::size_t half_length = std::max<std::size_t>(1, std::min(length, half / 2));
  double m1, se1, m2, se2;
  std::size_t b1, b2;
  batch_means(first, half_length, &m1, &se1, &b1);
  batch_means(second, half_length, &m2, &se2, &b2);
  const double combined = std::sqrt(se1 * se1 + se2 * se2);
  s.drift_z = combined > 0.0 ? (m2 - m1) / combined : (m2 == m1 ? 0.0 : kNaNValue);

  std::vector<std::string> why;
  if (!closed) why.push_back(fmt::format("the autocorrelation window did not close within n/2 = {} samples "
                                         "(tau >= {:.3g} is a lower bound)", s.n / 2, s.tau));
  if (length < wanted)
    why.push_back(fmt::format("only {} samples = {:.3g} tau: fewer than {} batches of {} tau", s.n,
                              static_cast<double>(s.n) / s.tau, kMinBatches, kBatchOverTau));
  if (!(std::fabs(s.drift_z) <= kMaxDriftZ))
    why.push_back(fmt::format("the halves differ by {:.3g} SE (drift: not stationary)", s.drift_z));
  s.reliable = why.empty();
  for (std::size_t k = 0; k < why.size(); ++k) s.reason += (k ? "; " : "") + why[k];
  return s;
}

}  // namespace idealgas
