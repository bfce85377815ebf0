// Private to the measure/ sources: the one k-nearest selection behind every neighbour search (knn_naive.cpp,
// knn_gram.cpp, the snapshot queue's table): later copies of a row are dropped (the reference's rule), each kept row
// keeps its k best eligible rows by (squared distance, index), and too few distinct or eligible rows is an
// InputError that says why (duplicates, the exclusion window, k).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "idealgas/measure/knn_exact.hpp"

namespace idealgas::knn_detail {

// Below this many element operations a loop runs on one thread: a parallel region costs a few microseconds,
// and far more when the cores are shared with other processes (waiting threads spin for their time slice).
constexpr double kParallelWork = 1 << 17;
inline bool worth_threads(double work) { return work >= kParallelWork; }

inline bool outside_window(std::size_t i, std::size_t j, std::size_t window) {
  return window <= 1 || (i > j ? i - j : j - i) >= window;
}

// The k best (dist_sq, index) pairs of every row, in increasing lexicographic order (ties by the lower index),
// flat: row r's list is d[r k .. r k + k), j[...]; an empty slot holds (+inf, n), which every real pair beats. The
// lists do not depend on the order of the offers, hence not on the thread count.
class BestTable {
 public:
  BestTable() = default;
  BestTable(std::size_t n, int k)
      : n_(n), k_(k), d_(n * static_cast<std::size_t>(k), std::numeric_limits<double>::infinity()),
        j_(n * static_cast<std::size_t>(k), n) {}
  /// Inserts (dd, jj) into the sorted list d[0..k), j[0..k) if it beats the last entry.
  static void insert(double* d, std::size_t* j, int k, double dd, std::size_t jj) {
    int p = k - 1;
    if (!(dd < d[p] || (dd == d[p] && jj < j[p]))) return;
    while (p > 0 && (dd < d[p - 1] || (dd == d[p - 1] && jj < j[p - 1]))) {
      d[p] = d[p - 1];
      j[p] = j[p - 1];
      --p;
    }
    d[p] = dd;
    j[p] = jj;
  }
  void offer(std::size_t row, double dd, std::size_t jj) {
    const std::size_t at = row * static_cast<std::size_t>(k_);
    insert(d_.data() + at, j_.data() + at, k_, dd, jj);
  }
  double* dist_data() { return d_.data(); }
  std::size_t* index_data() { return j_.data(); }
  /// Offers every pair of `other` (another thread's table of the same rows).
  void merge(const BestTable& other) {
    for (std::size_t q = 0; q < j_.size(); ++q)
      if (other.j_[q] != n_) offer(q / static_cast<std::size_t>(k_), other.d_[q], other.j_[q]);
  }
  int k() const { return k_; }
  std::size_t empty_index() const { return n_; }
  double dist_sq(std::size_t row, int q) const { return d_[row * static_cast<std::size_t>(k_) + q]; }
  std::size_t index(std::size_t row, int q) const { return j_[row * static_cast<std::size_t>(k_) + q]; }

 private:
  std::size_t n_ = 0;
  int k_ = 1;
  std::vector<double> d_;       // [n, k]
  std::vector<std::size_t> j_;  // [n, k]
};

void check_knn_input(std::size_t n, std::size_t m, const KnnOptions& o, const char* who);

// Rows that are later copies of a kept row, given for each row i the rows j < i at squared distance exactly 0
// (process rows in order; a row is dropped when an earlier kept row is at distance 0).
std::vector<char> resolve_duplicates(const std::vector<std::vector<std::uint32_t>>& zero_partners);

// r.dropped set: the counts of r (duplicates, n_eligible); InputError when fewer than k + 1 distinct rows remain.
void count_eligible(KnnResult& r, const KnnOptions& o, const char* who);

// r.dropped, the counts and the k best of every kept row: the index and dist_sq tables; InputError naming the first
// row with fewer than k eligible neighbours.
void store_selection(KnnResult& r, const BestTable& best, const KnnOptions& o, const char* who);

// The selection from candidates: drops later copies (zero_partners[i] = earlier rows at exact squared distance 0),
// then keeps each remaining row's k nearest among the candidates that `for_each_candidate(i, offer)` passes to
// offer(dist_sq, j); dropped rows are never offered. Parallel over rows.
template <class ForEachCandidate>
void select_k_nearest(KnnResult& r, std::size_t n, const std::vector<std::vector<std::uint32_t>>& zero_partners,
                      const KnnOptions& o, const char* who, ForEachCandidate&& for_each_candidate) {
  r.dropped = resolve_duplicates(zero_partners);
  count_eligible(r, o, who);
  BestTable best(n, o.k);
  const long long n_signed = static_cast<long long>(n);
  const bool use_threads = worth_threads(static_cast<double>(n) * static_cast<double>(n));
#pragma omp parallel for schedule(dynamic, 16) if (use_threads)
  for (long long is = 0; is < n_signed; ++is) {  // each row's list is written by one thread
    const std::size_t i = static_cast<std::size_t>(is);
    if (r.dropped[i]) continue;
    for_each_candidate(i, [&](double dist_sq, std::size_t j) {
      if (!r.dropped[j]) best.offer(i, dist_sq, j);
    });
  }
  store_selection(r, best, o, who);
}

}  // namespace idealgas::knn_detail
