#include "knn_select.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "idealgas/core/error.hpp"

namespace idealgas::knn_detail {

void check_knn_input(std::size_t n, std::size_t m, const KnnOptions& o, const char* who) {
  if (o.who != nullptr) who = o.who;
  if (n < 2 || m < 1)
    throw InputError(fmt::format("{}: need n >= 2 points of dimension m >= 1, got n = {}, m = {}", who, n, m));
  if (o.k < 1 || o.k > kMaxNeighbours)
    throw InputError(fmt::format("{}: k = {} neighbours; expected 1 <= k <= {}", who, o.k, kMaxNeighbours));
  if (n >= (std::size_t{1} << 32)) throw InputError(fmt::format("{}: n = {} rows; at most 2^32 - 1 supported", who, n));
}

std::vector<char> resolve_duplicates(const std::vector<std::vector<std::uint32_t>>& zero_partners) {
  std::vector<char> dropped(zero_partners.size(), 0);
  for (std::size_t i = 0; i < zero_partners.size(); ++i)
    for (std::uint32_t j : zero_partners[i])
      if (!dropped[j]) {
        dropped[i] = 1;
        break;
      }
  return dropped;
}

void count_eligible(KnnResult& r, const KnnOptions& o, const char* who) {
  if (o.who != nullptr) who = o.who;
  const std::size_t n = r.n, window = o.exclude_window;
  std::size_t kept = 0;
  for (char c : r.dropped) kept += c ? 0 : 1;
  r.duplicates = static_cast<long long>(n - kept);
  if (kept < static_cast<std::size_t>(o.k) + 1)
    throw InputError(fmt::format("{}: the {} rows hold only {} distinct point(s): {} duplicates (later copies of an "
                                 "earlier row, at distance exactly 0) were dropped; k = {} needs at least {} distinct "
                                 "rows",
                                 who, n, kept, n - kept, o.k, o.k + 1));
  r.n_eligible.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (r.dropped[i]) continue;
    std::size_t near = 0;  // kept rows inside the window
    if (window > 1) {
      const std::size_t lo = i >= window - 1 ? i - (window - 1) : 0;
      const std::size_t hi = window - 1 >= n - 1 - i ? n - 1 : i + (window - 1);
      for (std::size_t j = lo; j <= hi; ++j) near += (j != i && !r.dropped[j]) ? 1 : 0;
    }
    r.n_eligible[i] = kept - 1 - near;
  }
}

void store_selection(KnnResult& r, const BestTable& best, const KnnOptions& o, const char* who) {
  if (o.who != nullptr) who = o.who;
  const std::size_t n = r.n, k = static_cast<std::size_t>(o.k);
  r.index.assign(n * k, n);
  r.dist_sq.assign(n * k, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < n; ++i) {
    if (r.dropped[i]) continue;
    if (best.index(i, o.k - 1) == best.empty_index())
      throw InputError(fmt::format(
          "{}: row {} has {} eligible neighbours (distinct rows outside the exclusion window {}; {} duplicates "
          "dropped); k = {} needs at least k; use more rows, a smaller --exclude-window or a smaller k",
          who, i, r.n_eligible[i], o.exclude_window, r.duplicates, o.k));
    for (std::size_t q = 0; q < k; ++q) {
      r.index[i * k + q] = best.index(i, static_cast<int>(q));
      r.dist_sq[i * k + q] = best.dist_sq(i, static_cast<int>(q));
    }
  }
}

}  // namespace idealgas::knn_detail
