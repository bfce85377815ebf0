// The fast exact k-NN (Gram blocks + rigorous candidate bound + exact recomputation) against the naive oracle
// knn_naive (k <= 10 with exclusion windows and duplicates), and the oracle against brute force. "Identical"
// means the same neighbour indices and the same bits of every squared distance. Hard cases: integer data (exact
// distances, many exact ties), near-ties a few ulp apart, points equidistant from a centre, duplicates, all
// points near one direction far from the origin, odd sizes with tiny blocks and panels (remainder paths), both
// product precisions, 1 and 2 threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/knn_exact.hpp"

using namespace idealgas;

namespace {

std::vector<double> gaussian(std::size_t n, std::size_t m, double s, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, s);
  std::vector<double> x(n * m);
  for (double& v : x) v = normal(rng);
  return x;
}

std::vector<double> integers(std::size_t n, std::size_t m, int range, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> coord(-range, range);
  std::vector<double> x(n * m);
  for (double& v : x) v = coord(rng);
  return x;
}

// Same rows dropped, same neighbours, same bits.
void expect_identical(const KnnResult& got, const KnnResult& want, const std::string& what) {
  ASSERT_EQ(got.n, want.n) << what;
  ASSERT_EQ(got.k, want.k) << what;
  EXPECT_EQ(got.dropped, want.dropped) << what;
  EXPECT_EQ(got.duplicates, want.duplicates) << what;
  EXPECT_EQ(got.n_eligible, want.n_eligible) << what;
  ASSERT_EQ(got.index, want.index) << what;
  ASSERT_EQ(got.dist_sq.size(), want.dist_sq.size()) << what;
  for (std::size_t q = 0; q < got.dist_sq.size(); ++q)
    ASSERT_EQ(std::memcmp(&got.dist_sq[q], &want.dist_sq[q], sizeof(double)), 0) << what << " entry " << q;
}

GramKnnOptions gram_options(int k, std::size_t window, GramPrecision p, std::size_t tile, std::size_t panel) {
  GramKnnOptions o;
  o.k = k;
  o.exclude_window = window;
  o.precision = p;
  o.tile_rows = tile;
  o.panel_cols = panel;
  return o;
}

// Compares knn_gram with knn_naive over precisions, block shapes, k and windows.
// Block shapes (tile rows, panel columns): the default, and tiny ones whose remainders differ.
using Shapes = std::vector<std::pair<std::size_t, std::size_t>>;
const Shapes kAllShapes = {{512, 2048}, {7, 5}, {33, 64}};

void check_against_oracle(const std::vector<double>& x, std::size_t n, std::size_t m, const std::string& what,
                          std::initializer_list<int> ks = {1, 2, 5, 10},
                          std::initializer_list<std::size_t> windows = {0, 3}, const Shapes& shapes = kAllShapes) {
  for (int k : ks)
    for (std::size_t window : windows) {
      KnnOptions base;
      base.k = k;
      base.exclude_window = window;
      const KnnResult want = knn_naive(x.data(), n, m, base);
      for (GramPrecision p : {GramPrecision::float32, GramPrecision::float64})
        for (auto [tile, panel] : shapes) {
          const KnnResult got = knn_gram(x.data(), n, m, gram_options(k, window, p, tile, panel));
          expect_identical(got, want,
                           what + " k=" + std::to_string(k) + " W=" + std::to_string(window) + " " +
                               gram_precision_name(p) + " tile=" + std::to_string(tile) +
                               " panel=" + std::to_string(panel));
          EXPECT_GE(got.mean_candidates, static_cast<double>(k) - 1e-12) << what;
        }
    }
}

}  // namespace

// The oracle against a plain loop over every ordered pair (dist_sq_exact, ties by index), for k = 1..3, windows,
// copies kept or dropped, on integer data (exact distances, many ties) and Gaussian data, at sizes that exercise
// the remainders of the 32-row blocks and of the compile-time widths (m <= 4) and the 4-lane sums (m > 4).
TEST(KnnNaive, MatchesEveryPairByBruteForce) {
  std::mt19937_64 rng(201);
  for (std::size_t n : {2, 3, 5, 17, 31, 33, 65, 101})
    for (std::size_t m : {1, 2, 3, 4, 5, 9, 13})
      for (bool integer : {false, true})
        for (int k : {1, 3})
          for (std::size_t window : {0, 3})
            for (bool drop : {false, true}) {
              if (n < static_cast<std::size_t>(k) + 2 * window + 1) continue;
              const auto x = integer ? integers(n, m, 2, rng) : gaussian(n, m, 1.0, rng);
              KnnOptions o;
              o.k = k;
              o.exclude_window = window;
              o.drop_duplicates = drop;
              KnnResult r;
              try {
                r = knn_naive(x.data(), n, m, o);
              } catch (const InputError&) {
                continue;  // too few distinct or eligible rows for this draw (checked in InputChecks)
              }
              const std::string what = "n=" + std::to_string(n) + " m=" + std::to_string(m) + " k=" +
                                       std::to_string(k) + " w=" + std::to_string(window) + " drop=" +
                                       std::to_string(drop);
              for (std::size_t i = 0; i < n; ++i) {
                bool copy = false;  // a later copy of a kept row
                for (std::size_t j = 0; j < i && drop && !copy; ++j)
                  copy = !r.dropped[j] && dist_sq_exact(x.data() + i * m, x.data() + j * m, m) == 0.0;
                ASSERT_EQ(static_cast<bool>(r.dropped[i]), copy) << what << " i=" << i;
                if (copy) continue;
                std::vector<std::pair<double, std::size_t>> all;
                for (std::size_t j = 0; j < n; ++j) {
                  if (j == i || r.dropped[j] || (window > 1 && (i > j ? i - j : j - i) < window)) continue;
                  all.emplace_back(dist_sq_exact(x.data() + std::min(i, j) * m, x.data() + std::max(i, j) * m, m), j);
                }
                std::sort(all.begin(), all.end());
                ASSERT_EQ(r.n_eligible[i], all.size()) << what << " i=" << i;
                for (int q = 0; q < k; ++q) {
                  ASSERT_EQ(r.index[i * k + q], all[q].second) << what << " i=" << i << " q=" << q;
                  ASSERT_EQ(std::memcmp(&r.dist_sq[i * k + q], &all[q].first, sizeof(double)), 0) << what;
                }
              }
            }
}

// The oracle's bits do not depend on the thread count (each row's k best are merged by (distance, index)).
TEST(KnnNaive, ResultDoesNotDependOnTheThreadCount) {
  std::mt19937_64 rng(43);
  const int saved = omp_get_max_threads();
  for (std::size_t m : {2, 9, 33}) {
    const std::size_t n = 1001;
    const auto p = gaussian(n, m, 1.0, rng);
    KnnOptions o;
    o.k = 2;
    omp_set_num_threads(1);
    const KnnResult ref = knn_naive(p.data(), n, m, o);
    for (int threads : {2, 3, 5}) {
      omp_set_num_threads(threads);
      expect_identical(knn_naive(p.data(), n, m, o), ref, "threads=" + std::to_string(threads));
    }
  }
  omp_set_num_threads(saved);
}

// All rows copies of one point: the error says so (duplicates, distinct rows, rows needed), in every search.
TEST(KnnNaive, AllCopiesOfOnePointSayDuplicates) {
  std::vector<double> same(5 * 3, 0.25);
  GramKnnOptions o;
  o.k = 2;
  for (int path = 0; path < 2; ++path) {
    try {
      if (path == 0) knn_naive(same.data(), 5, 3, o);
      else knn_gram(same.data(), 5, 3, o);
      ADD_FAILURE() << "no throw";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      for (const char* needle : {"5 rows hold only 1 distinct point", "4 duplicates", "at least 3 distinct rows"})
        EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  }
}

// k > 1 on integer data: against sorting every row's distances (ties by index), computed independently.
TEST(KnnNaive, KNearestBySortingEveryRow) {
  std::mt19937_64 rng(203);
  const std::size_t n = 120, m = 3;
  const auto x = integers(n, m, 2, rng);  // few distinct distances: ties everywhere, some duplicates
  KnnOptions o;
  o.k = 6;
  o.exclude_window = 4;
  const KnnResult r = knn_naive(x.data(), n, m, o);
  for (std::size_t i = 0; i < n; ++i) {
    if (r.dropped[i]) continue;
    std::vector<std::pair<double, std::size_t>> all;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i || r.dropped[j] || (i > j ? i - j : j - i) < 4) continue;
      double s = 0.0;
      for (std::size_t c = 0; c < m; ++c) s += (x[i * m + c] - x[j * m + c]) * (x[i * m + c] - x[j * m + c]);
      all.emplace_back(s, j);
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(r.n_eligible[i], all.size());
    for (std::size_t q = 0; q < 6; ++q) {
      ASSERT_EQ(r.index[i * 6 + q], all[q].second) << "i=" << i << " q=" << q;
      ASSERT_EQ(r.dist_sq[i * 6 + q], all[q].first);
    }
  }
  // Duplicates: a row is dropped iff an earlier kept row has the same coordinates.
  for (std::size_t i = 0; i < n; ++i) {
    bool copy = false;
    for (std::size_t j = 0; j < i && !copy; ++j)
      copy = !r.dropped[j] && std::equal(x.begin() + i * m, x.begin() + (i + 1) * m, x.begin() + j * m);
    ASSERT_EQ(static_cast<bool>(r.dropped[i]), copy) << i;
  }
  EXPECT_GT(r.duplicates, 0);
}

TEST(KnnGram, GaussianCloudsMatchTheOracle) {
  std::mt19937_64 rng(205);
  for (std::size_t n : {2, 3, 31, 65, 257})
    for (std::size_t m : {1, 2, 7, 33, 130}) {
      const std::string what = "gauss n=" + std::to_string(n) + " m=" + std::to_string(m);
      if (n < 12)
        check_against_oracle(gaussian(n, m, 1.0, rng), n, m, what, {1}, {0});
      else if (n * m > 5000)  // tiny blocks only where they stay cheap
        check_against_oracle(gaussian(n, m, 1.0, rng), n, m, what, {1, 4}, {0, 3}, {{512, 2048}, {33, 64}});
      else
        check_against_oracle(gaussian(n, m, 1.0, rng), n, m, what, {1, 4, 10}, {0, 3});
    }
}

// Integer coordinates: every distance is exact in float32 and float64 alike, so ties are exact and decided by
// the index rule alone; copies of rows are frequent.
TEST(KnnGram, IntegerDataWithExactTiesAndDuplicates) {
  std::mt19937_64 rng(207);
  for (std::size_t n : {17, 64, 101})
    for (std::size_t m : {1, 2, 3, 5, 13}) {
      // Range 2 in m >= 3 coordinates (5^m values, a few copies); wider in m = 1, 2 so that >= 10 rows stay.
      const auto x = integers(n, m, m >= 3 ? 2 : 40, rng);
      check_against_oracle(x, n, m, "int n=" + std::to_string(n) + " m=" + std::to_string(m), {1, 3, 10}, {0, 2});
    }
}

// Near-ties: a centre with two neighbours whose squared distances differ by a few ulp, or not at all, and a centre
// with 60 neighbours at the same distance up to rounding (every one of them is a candidate).
TEST(KnnGram, NearTiesAreDecidedByTheExactDistance) {
  std::mt19937_64 rng(209);
  const std::size_t m = 16, n_far = 200;
  std::vector<double> x = gaussian(n_far, m, 50.0, rng);  // far from the special points
  auto add_row = [&](const std::vector<double>& row) { x.insert(x.end(), row.begin(), row.end()); };
  std::vector<double> c(m, 0.5);
  for (int variant = 0; variant < 4; ++variant) {
    std::vector<double> a(c), b(c);
    const double delta = 1e-3;
    a[variant] += delta;
    b[variant + 4] += variant % 2 ? delta : delta * (1.0 + 0x1p-50);  // exact tie, or 2^-49 relative apart
    if (variant < 2) {
      add_row(a), add_row(c), add_row(b);
    } else {
      add_row(b), add_row(c), add_row(a);
    }
    for (double& v : c) v += 1.0;
  }
  std::normal_distribution<double> normal;
  std::vector<double> centre(m, -3.0);
  add_row(centre);
  for (int s = 0; s < 60; ++s) {
    std::vector<double> u(m);
    double norm = 0.0;
    for (double& v : u) norm += (v = normal(rng)) * v;
    for (std::size_t q = 0; q < m; ++q) u[q] = centre[q] + 0.25 * u[q] / std::sqrt(norm);
    add_row(u);
  }
  const std::size_t n = x.size() / m;
  check_against_oracle(x, n, m, "near-ties", {1, 2, 10}, {0, 2});
}

// All points near one direction, far from the origin (offset 1e4, spread 1e-2): without centring the float32 Gram
// distances would be pure rounding; the angles of network snapshots (all near pi/2) are this case.
TEST(KnnGram, PointsNearOneDirectionFarFromTheOrigin) {
  std::mt19937_64 rng(211);
  for (std::size_t m : {3, 50, 301}) {
    const std::size_t n = 150;
    auto x = gaussian(n, m, 1e-2, rng);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t q = 0; q < m; ++q) x[i * m + q] += 1e4 * (1.0 + 0.001 * static_cast<double>(q % 7));
    check_against_oracle(x, n, m, "offset m=" + std::to_string(m), {1, 4}, {0, 5});
  }
}

TEST(KnnGram, DuplicatesAnywhereInTheQueue) {
  std::mt19937_64 rng(213);
  const std::size_t m = 20;
  auto x = gaussian(80, m, 1.0, rng);
  auto copy_row = [&](std::size_t i) {
    std::vector<double> row(x.begin() + i * m, x.begin() + (i + 1) * m);
    x.insert(x.end(), row.begin(), row.end());
  };
  copy_row(0), copy_row(79), copy_row(5), copy_row(5), copy_row(81);  // copies of copies too
  const std::vector<double> row3(x.begin() + 3 * m, x.begin() + 4 * m);
  x.insert(x.begin(), row3.begin(), row3.end());  // a copy before its original
  const std::size_t n = x.size() / m;
  check_against_oracle(x, n, m, "duplicates", {1, 3}, {0, 2});
  const KnnResult r = knn_gram(x.data(), n, m, GramKnnOptions{});
  EXPECT_EQ(r.duplicates, 6);
  EXPECT_TRUE(r.dropped[4]);  // row 3 moved to row 4; its copy at row 0 comes first
  EXPECT_FALSE(r.dropped[0]);
}

TEST(KnnGram, ResultDoesNotDependOnTheThreadCount) {
  std::mt19937_64 rng(215);
  const std::size_t n = 700, m = 400;  // large enough that every stage runs on threads
  auto x = gaussian(n, m, 1.0, rng);
  for (std::size_t q = 0; q < m; ++q) x[500 * m + q] = x[20 * m + q];  // one duplicate
  const int saved = omp_get_max_threads();
  for (GramPrecision p : {GramPrecision::float32, GramPrecision::float64}) {
    omp_set_num_threads(1);
    const KnnResult one = knn_gram(x.data(), n, m, gram_options(3, 2, p, 64, 256));
    omp_set_num_threads(2);
    const KnnResult two = knn_gram(x.data(), n, m, gram_options(3, 2, p, 64, 256));
    expect_identical(two, one, std::string("threads ") + gram_precision_name(p));
  }
  omp_set_num_threads(saved);
}

TEST(KnnGram, InputChecks) {
  std::vector<double> x(12, 1.0);
  for (std::size_t i = 0; i < 12; ++i) x[i] = static_cast<double>(i * i);
  GramKnnOptions o;
  o.k = 11;
  EXPECT_THROW(knn_gram(x.data(), 6, 2, o), InputError);
  o.k = 0;
  EXPECT_THROW(knn_gram(x.data(), 6, 2, o), InputError);
  o.k = 1;
  EXPECT_THROW(knn_gram(x.data(), 1, 2, o), InputError);
  o.k = 2;
  o.exclude_window = 5;  // 6 rows, window 5: row 2 has no row 5 apart
  EXPECT_THROW(knn_gram(x.data(), 6, 2, o), InputError);
  EXPECT_THROW(knn_naive(x.data(), 6, 2, o), InputError);
  EXPECT_THROW(parse_gram_precision("float16"), InputError);
  EXPECT_EQ(parse_gram_precision("float64"), GramPrecision::float64);
}

// The bound factor: float32 with 2048-column panels is gamma_2048 ~ 2048 * 2^-24; float64 many orders smaller.
TEST(KnnGram, ErrorFactorMagnitudes) {
  const double f32 = gram_error_factor(GramPrecision::float32, 2048, 24407);
  const double f64 = gram_error_factor(GramPrecision::float64, 2048, 24407);
  EXPECT_NEAR(f32, 2048.0 * 0x1p-24, 2048.0 * 0x1p-24 * 0.01);
  EXPECT_LT(f64, 1e-11);
  EXPECT_GT(f64, 24407.0 * 0x1p-53);
}
