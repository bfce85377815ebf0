// The oracle of the neighbour searches (knn_exact.hpp): every pair once, by dist_sq_exact, in blocks of rows.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/knn_exact.hpp"
#include "knn_select.hpp"

namespace idealgas {
namespace {

using knn_detail::outside_window;
using knn_detail::BestTable;
using knn_detail::worth_threads;

// Rows i handled together: for m ~ 1000 a block (32 rows x 8 KB) stays in L2 while the rows j stream past.
constexpr std::size_t kRowBlock = 32;

// |a - b|^2 exactly as dist_sq_exact computes it. M > 0: the width fixed at compile time (the small m of the main
// job, d = 3..5; a running sum in index order, which is what dist_sq_exact does for m <= 4).
template <int M>
inline double dist_sq(const double* a, const double* b, std::size_t m) {
  if constexpr (M > 0) {
    static_assert(M <= 4, "dist_sq_exact sums in index order only up to m = 4");
    double s = 0.0;
    for (int k = 0; k < M; ++k) {
      const double t = a[k] - b[k];
      s += t * t;
    }
    return s;
  } else {
    return dist_sq_exact(a, b, m);
  }
}

// Every pair (i < j) of rows not marked in `dropped`, once: each thread keeps the k best of every row among the
// pairs it computed, then the threads' tables are merged (BestTable does not depend on the order of the offers).
// With `zero_pairs`, the pairs at squared distance exactly 0 are listed too (as zero_pairs[j] = {i < j}).
template <int M, int K>  // K > 0: k known at compile time (k = 1, the common case); K = 0: o.k
void sweep_pairs(const double* pts, std::size_t n, std::size_t m, const KnnOptions& o, const std::vector<char>& dropped,
                 BestTable& best, std::vector<std::vector<std::uint32_t>>* zero_pairs) {
  const std::size_t n_blocks = (n + kRowBlock - 1) / kRowBlock;
  const std::size_t stride = M > 0 ? static_cast<std::size_t>(M) : m;  // compile-time row stride when known
  const std::size_t window = o.exclude_window;
  const bool any_dropped = std::find(dropped.begin(), dropped.end(), 1) != dropped.end();
  best = BestTable(n, o.k);
  const bool use_threads =
      worth_threads(0.5 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(m));
#pragma omp parallel if (use_threads)
  {
    // One thread fills `best` itself; several fill their own tables, merged at the end.
    const bool alone = omp_get_num_threads() == 1;
    BestTable own = alone ? BestTable() : BestTable(n, o.k);
    BestTable& mine = alone ? best : own;
    double* const best_d = mine.dist_data();
    std::size_t* const best_j = mine.index_data();
    const int k = K > 0 ? K : o.k;
    auto offer = [&](std::size_t row, double dd, std::size_t jj) {
      BestTable::insert(best_d + row * static_cast<std::size_t>(k), best_j + row * static_cast<std::size_t>(k), k, dd,
                        jj);
    };
    std::vector<std::pair<std::uint32_t, std::uint32_t>> zeros;
    double block_d[kRowBlock];
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < n_blocks; ++b) {
      const std::size_t i0 = b * kRowBlock, i1 = std::min(n, i0 + kRowBlock);
      for (std::size_t j = i0 + 1; j < n; ++j) {
        if (dropped[j]) continue;
        const double* pj = pts + j * stride;
        const std::size_t i_end = std::min(i1, j);
        for (std::size_t i = i0; i < i_end; ++i) block_d[i - i0] = dist_sq<M>(pts + i * stride, pj, m);
        // Row j's list in registers while the block's rows are offered to it.
        double list_d[K > 0 ? K : kMaxNeighbours];
        std::size_t list_j[K > 0 ? K : kMaxNeighbours];
        const std::size_t at_j = j * static_cast<std::size_t>(k);
        for (int q = 0; q < k; ++q) list_d[q] = best_d[at_j + q], list_j[q] = best_j[at_j + q];
        for (std::size_t i = i0; i < i_end; ++i) {
          if (any_dropped && dropped[i]) continue;
          const double d = block_d[i - i0];
          if (zero_pairs != nullptr && d == 0.0)
            zeros.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
          if (window > 1 && j - i < window) continue;  // i < j
          offer(i, d, j);
          BestTable::insert(list_d, list_j, k, d, i);
        }
        for (int q = 0; q < k; ++q) best_d[at_j + q] = list_d[q], best_j[at_j + q] = list_j[q];
      }
    }
#pragma omp critical(idealgas_knn_naive_merge)
    {
      if (!alone) best.merge(own);
      if (zero_pairs != nullptr)
        for (const auto& [i, j] : zeros) (*zero_pairs)[j].push_back(i);
    }
  }
}

template <int M>
void sweep_width(const double* pts, std::size_t n, std::size_t m, const KnnOptions& o, const std::vector<char>& dropped,
                 BestTable& best, std::vector<std::vector<std::uint32_t>>* zero_pairs) {
  if (o.k == 1)
    sweep_pairs<M, 1>(pts, n, m, o, dropped, best, zero_pairs);
  else
    sweep_pairs<M, 0>(pts, n, m, o, dropped, best, zero_pairs);
}

void sweep(const double* pts, std::size_t n, std::size_t m, const KnnOptions& o, const std::vector<char>& dropped,
           BestTable& best, std::vector<std::vector<std::uint32_t>>* zero_pairs) {
  switch (m) {
    case 1: sweep_width<1>(pts, n, m, o, dropped, best, zero_pairs); break;
    case 2: sweep_width<2>(pts, n, m, o, dropped, best, zero_pairs); break;
    case 3: sweep_width<3>(pts, n, m, o, dropped, best, zero_pairs); break;
    case 4: sweep_width<4>(pts, n, m, o, dropped, best, zero_pairs); break;
    default: sweep_width<0>(pts, n, m, o, dropped, best, zero_pairs); break;
  }
}

}  // namespace

KnnResult knn_naive(const double* points, std::size_t n, std::size_t m, const KnnOptions& o) {
  knn_detail::check_knn_input(n, m, o, "knn_naive");
  if (points == nullptr) throw InputError("knn_naive: points is null");
  KnnResult r;
  r.n = n;
  r.k = o.k;
  BestTable best;
  std::vector<std::vector<std::uint32_t>> zero(n);
  sweep(points, n, m, o, std::vector<char>(n, 0), best, o.drop_duplicates ? &zero : nullptr);
  r.dropped = knn_detail::resolve_duplicates(zero);
  // Copies were offered as neighbours in the first sweep: sweep again without them (rare).
  if (std::find(r.dropped.begin(), r.dropped.end(), 1) != r.dropped.end()) sweep(points, n, m, o, r.dropped, best, nullptr);
  knn_detail::count_eligible(r, o, "knn_naive");
  knn_detail::store_selection(r, best, o, "knn_naive");
  return r;
}

KnnResult knn_from_distances(const double* dist_sq, std::size_t n, const KnnOptions& o) {
  knn_detail::check_knn_input(n, 1, o, "knn_from_distances");
  KnnResult r;
  r.n = n;
  r.k = o.k;
  std::vector<std::vector<std::uint32_t>> zero(n);
  if (o.drop_duplicates)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (dist_sq[i * n + j] == 0.0) zero[i].push_back(static_cast<std::uint32_t>(j));
  knn_detail::select_k_nearest(r, n, zero, o, "knn", [&](std::size_t i, auto&& offer) {
    for (std::size_t j = 0; j < n; ++j)
      if (j != i && outside_window(i, j, o.exclude_window)) offer(dist_sq[i * n + j], j);
  });
  return r;
}

}  // namespace idealgas
