#include "idealgas/measure/knn_exact.hpp"

#include <cblas.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/gram_products.hpp"
#include "knn_select.hpp"
#include "uninit_buffer.hpp"

namespace idealgas {
namespace {

using knn_detail::outside_window;
using knn_detail::worth_threads;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kU64 = 0x1p-53;  // unit roundoff of double
constexpr double kU32 = 0x1p-24;  // unit roundoff of float
// Relative margin on the error bound: covers the second-order terms left out of gram_error_factor (products of
// two rounding errors, the rounding of the norms |a_i|, ~1e-10 relative at m = 1.5*10^6).
constexpr double kBoundMargin = 1e-3;
// Rows whose mean is the centre of the Gram products (see accumulate_gram).
constexpr std::size_t kCentreRows = 256;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The k smallest values (no indices): the threshold T_i of the candidate rule.
struct KSmallest {
  int k = 1, size = 0;
  double v[kMaxNeighbours];
  void offer(double x) {
    if (size == k && !(x < v[k - 1])) return;
    int p = size < k ? size++ : k - 1;
    while (p > 0 && x < v[p - 1]) {
      v[p] = v[p - 1];
      --p;
    }
    v[p] = x;
  }
  double kth() const { return size == k ? v[k - 1] : kInf; }
};

// Number type of the Gram products.
template <class T>
struct Blas;
template <>
struct Blas<float> {
  static void gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  }
  static void syrk(int n, int k, const float* a, int lda, float* c, int ldc) {
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, k, 1.0f, a, lda, 0.0f, c, ldc);
  }
};
template <>
struct Blas<double> {
  static void gemm(int m, int n, int k, const double* a, int lda, const double* b, int ldb, double* c, int ldc) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
  }
  static void syrk(int n, int k, const double* a, int lda, double* c, int ldc) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, k, 1.0, a, lda, 0.0, c, ldc);
  }
};

// OpenBLAS runs single-threaded inside our OpenMP loop over blocks (its own threads would oversubscribe the
// cores); restored on exit.
class BlasSingleThreaded {
 public:
  BlasSingleThreaded() : saved_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
  ~BlasSingleThreaded() { openblas_set_num_threads(saved_); }
  BlasSingleThreaded(const BlasSingleThreaded&) = delete;
  BlasSingleThreaded& operator=(const BlasSingleThreaded&) = delete;

 private:
  int saved_;
};

// The Gram matrix G = A A^T of the centred points (both triangles), summed over the column panels in the
// precision T of the products (gram_error_factor counts those additions), and the squared norms |a_i|^2 in double.
template <class T>
void accumulate_gram(PointSource& src, const GramKnnOptions& o, UninitBuffer<T>& gram, std::vector<double>& norm_sq) {
  const std::size_t n = src.rows();
  const std::size_t w_max = std::max<std::size_t>(1, o.panel_cols);
  const std::size_t b = std::max<std::size_t>(1, std::min(o.tile_rows, n));
  const std::size_t n_blocks = (n + b - 1) / b;
  std::vector<std::pair<std::size_t, std::size_t>> tiles;  // (I, J), I <= J
  for (std::size_t bi = 0; bi < n_blocks; ++bi)
    for (std::size_t bj = bi; bj < n_blocks; ++bj) tiles.emplace_back(bi, bj);
  gram.reset(n * n);  // the first panel assigns, later ones add; the lower triangle is mirrored at the end
  gram.prefault();
  norm_sq.assign(n, 0.0);
  bool first_panel = true;
  UninitBuffer<T> panel(n * std::min(w_max, src.cols()));
  std::vector<double> mean;
  GramProducts* device = o.products;  // nullptr: OpenBLAS blocks below
  const int n_threads = omp_get_max_threads();
  std::vector<std::vector<T>> tile_buf(device ? 0 : static_cast<std::size_t>(n_threads), std::vector<T>(b * b));
  BlasSingleThreaded single;
  if (device) device->begin(n, o.precision);

  src.for_each_panel(w_max, [&](std::size_t c0, std::size_t c1, const double* p, std::size_t ld) {
    const std::size_t w = c1 - c0;
    IDEALGAS_ASSERT(w >= 1 && w <= w_max, "panel wider than asked");
    // Centre: the column means of at most kCentreRows evenly spaced rows, summed in row order. Any centre keeps
    // the bound valid (distances do not depend on it; the bound uses the norms of the centred rows); the mean of
    // a sample of rows is as good as the full mean for tightness and reads 1/16 of the panel at n = 4000.
    mean.assign(w, 0.0);
    const std::size_t n_centre = std::min(n, kCentreRows);
    for (std::size_t q = 0; q < n_centre; ++q) {
      const double* row = p + (q * n / n_centre) * ld;
      for (std::size_t c = 0; c < w; ++c) mean[c] += row[c];
    }
    for (std::size_t c = 0; c < w; ++c) mean[c] /= static_cast<double>(n_centre);
    // Centred panel in the product precision; squared norms from the double values.
    const long long n_signed = static_cast<long long>(n);
#pragma omp parallel for schedule(static) if (worth_threads(static_cast<double>(n) * static_cast<double>(w)))
    for (long long is = 0; is < n_signed; ++is) {
      const std::size_t i = static_cast<std::size_t>(is);
      const double* row = p + i * ld;
      T* out = panel.data() + i * w;
      double s = 0.0;
      for (std::size_t c = 0; c < w; ++c) {
        const double a = row[c] - mean[c];
        s += a * a;
        out[c] = static_cast<T>(a);
      }
      norm_sq[i] += s;
    }
    if (device) {  // the same products on the device, one panel at a time (gram_products.hpp's contract)
      device->add_panel(panel.data(), w);
      return;
    }
    // One product per block of the upper triangle, accumulated into G in the product precision.
    const long long n_tiles = static_cast<long long>(tiles.size());
    const bool use_threads =
        n_tiles > 1 && worth_threads(0.5 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(w));
#pragma omp parallel for schedule(dynamic, 1) if (use_threads)
    for (long long ts = 0; ts < n_tiles; ++ts) {
      const auto [bi, bj] = tiles[static_cast<std::size_t>(ts)];
      const std::size_t i0 = bi * b, j0 = bj * b;
      const std::size_t ni = std::min(b, n - i0), nj = std::min(b, n - j0);
      T* c = tile_buf[static_cast<std::size_t>(omp_get_thread_num())].data();
      const T* a_i = panel.data() + i0 * w;
      if (bi == bj) {
        Blas<T>::syrk(static_cast<int>(ni), static_cast<int>(w), a_i, static_cast<int>(w), c, static_cast<int>(ni));
        for (std::size_t r = 0; r < ni; ++r) {
          T* g = gram.data() + (i0 + r) * n + j0;
          if (first_panel)
            for (std::size_t q = r; q < ni; ++q) g[q] = c[r * ni + q];
          else
            for (std::size_t q = r; q < ni; ++q) g[q] += c[r * ni + q];
        }
      } else {
        Blas<T>::gemm(static_cast<int>(ni), static_cast<int>(nj), static_cast<int>(w), a_i, static_cast<int>(w),
                      panel.data() + j0 * w, static_cast<int>(w), c, static_cast<int>(nj));
        for (std::size_t r = 0; r < ni; ++r) {
          T* g = gram.data() + (i0 + r) * n + j0;
          const T* cr = c + r * nj;
          if (first_panel)
            for (std::size_t q = 0; q < nj; ++q) g[q] = cr[q];
          else
            for (std::size_t q = 0; q < nj; ++q) g[q] += cr[q];
        }
      }
    }
    first_panel = false;
  });
  if (device) device->finish(gram.data());
  // Mirror the upper triangle into the lower one (blocks of 64 x 64 keep both sides in cache).
  constexpr std::size_t kMirror = 64;
  const long long nb = static_cast<long long>((n + kMirror - 1) / kMirror);
  const bool use_threads = worth_threads(0.5 * static_cast<double>(n) * static_cast<double>(n));
#pragma omp parallel for schedule(dynamic, 1) if (use_threads)
  for (long long bis = 0; bis < nb; ++bis) {
    const std::size_t i0 = static_cast<std::size_t>(bis) * kMirror, i1 = std::min(n, i0 + kMirror);
    for (std::size_t j0 = 0; j0 <= i0; j0 += kMirror) {
      const std::size_t j1 = std::min(n, j0 + kMirror);
      for (std::size_t i = i0; i < i1; ++i)
        for (std::size_t j = j0; j < std::min(j1, i); ++j) gram[i * n + j] = gram[j * n + i];
    }
  }
}

// Gram matrix, then the candidate pairs (see knn_gram): zero_cand[i] = rows j < i that may be copies of row i,
// cand[i] = eligible rows j whose exact distance may be among the k best of row i.
template <class T>
void gram_candidates(PointSource& src, const GramKnnOptions& o, KnnResult& r,
                     std::vector<std::vector<std::uint32_t>>& zero_cand,
                     std::vector<std::vector<std::uint32_t>>& cand) {
  const std::size_t n = src.rows(), m = src.cols();
  auto t0 = std::chrono::steady_clock::now();
  UninitBuffer<T> gram;
  std::vector<double> norm_sq;
  accumulate_gram<T>(src, o, gram, norm_sq);
  r.seconds_gram = seconds_since(t0);

  // Candidates. With g the Gram distance and E = eps (|a_i| + |a_j|)^2 its bound, the exact distance lies in
  // [L, U] = [g - E, g + E]. T_i = k-th smallest U over eligible rows that cannot be dropped bounds the k-th
  // exact distance from above, so every row with L <= T_i is recomputed; a possible copy needs L <= 0.
  t0 = std::chrono::steady_clock::now();
  const double eps = gram_error_factor(o.precision, o.panel_cols, m);
  std::vector<double> norm(n);
  for (std::size_t i = 0; i < n; ++i) norm[i] = std::sqrt(norm_sq[i]);
  const long long n_signed = static_cast<long long>(n);
  std::vector<char> maybe_dropped(n, 0);
  std::vector<double> gram_diag(n);
  for (std::size_t i = 0; i < n; ++i) gram_diag[i] = static_cast<double>(gram[i * n + i]);
  // Pass 1 (only when copies are dropped): rows that may be copies of an earlier row (L <= 0).
  if (o.drop_duplicates) {
    const bool use_threads = worth_threads(0.5 * static_cast<double>(n) * static_cast<double>(n));
#pragma omp parallel for schedule(dynamic, 16) if (use_threads)
    for (long long is = 0; is < n_signed; ++is) {
      const std::size_t i = static_cast<std::size_t>(is);
      const T* gi = gram.data() + i * n;
      for (std::size_t j = 0; j < i; ++j) {
        const double s = norm[i] + norm[j];
        if (gram_diag[i] + gram_diag[j] - 2.0 * static_cast<double>(gi[j]) - eps * s * s <= 0.0)
          zero_cand[i].push_back(static_cast<std::uint32_t>(j));
      }
      maybe_dropped[i] = zero_cand[i].empty() ? 0 : 1;
    }
  }
  // Pass 2: per row, the bounds L and U of every pair (one vectorisable loop into a row buffer), then T_i and the
  // candidates from the buffer.
#pragma omp parallel if (worth_threads(static_cast<double>(n) * static_cast<double>(n)))
  {
    std::vector<double> lower(n), upper(n);
#pragma omp for schedule(dynamic, 16)
    for (long long is = 0; is < n_signed; ++is) {
      const std::size_t i = static_cast<std::size_t>(is);
      const T* gi = gram.data() + i * n;
      const double gii = gram_diag[i], ni = norm[i];
      for (std::size_t j = 0; j < n; ++j) {
        const double s = ni + norm[j];
        const double g = gii + gram_diag[j] - 2.0 * static_cast<double>(gi[j]), e = eps * s * s;
        lower[j] = g - e;
        upper[j] = g + e;
      }
      KSmallest best;
      best.k = o.k;
      for (std::size_t j = 0; j < n; ++j)
        if (j != i && !maybe_dropped[j] && outside_window(i, j, o.exclude_window)) best.offer(upper[j]);
      const double threshold = best.kth();
      for (std::size_t j = 0; j < n; ++j)
        if (lower[j] <= threshold && j != i && outside_window(i, j, o.exclude_window))
          cand[i].push_back(static_cast<std::uint32_t>(j));
    }
  }
  r.seconds_select = seconds_since(t0);
}

}  // namespace

const char* gram_precision_name(GramPrecision p) { return p == GramPrecision::float32 ? "float32" : "float64"; }

GramPrecision parse_gram_precision(const std::string& name) {
  if (name == "float32") return GramPrecision::float32;
  if (name == "float64") return GramPrecision::float64;
  throw InputError(fmt::format("precision '{}' is not known; expected float32 or float64", name));
}

double gram_error_factor(GramPrecision precision, std::size_t panel_cols, std::size_t m) {
  auto gamma = [](double k, double u) { return k * u / (1.0 - k * u); };
  const double w = static_cast<double>(std::max<std::size_t>(1, std::min(panel_cols, m)));
  const double n_panels = std::ceil(static_cast<double>(m) / w);
  // G_ij is a sum of m products computed in the product precision: each panel product (inner dimension w, any
  // summation order) and then the sum over the panels, so every product passes through at most w + n_panels
  // additions: gamma_{w + panels} sum_k |a_ik a_jk|. float32 products also round their double inputs (u each).
  const double u = precision == GramPrecision::float32 ? kU32 : kU64;
  const double products = gamma(w + n_panels, u) + (precision == GramPrecision::float32 ? 2.0 * u + u * u : 0.0);
  // D = G_ii + G_jj - 2 G_ij formed in double.
  const double forming = gamma(3.0, kU64);
  // dist_sq_exact against the real distance (m additions of rounded squares of rounded differences).
  const double reference = gamma(static_cast<double>(m) + 1.0, kU64) + 2.0 * kU64 + kU64 * kU64;
  // Centring: fl(x - centre) is off by u|x - centre| per coordinate; forming D - E and D + E: 4 u.
  const double centre_and_compare = 2.0 * kU64 + kU64 * kU64 + 4.0 * kU64;
  return (products * (1.0 + forming) + forming + reference + centre_and_compare) * (1.0 + kBoundMargin);
}

void MemoryPointSource::for_each_panel(std::size_t max_width, const PanelVisitor& visit) {
  const std::size_t w = std::max<std::size_t>(1, max_width);
  for (std::size_t c0 = 0; c0 < m_; c0 += w) visit(c0, std::min(m_, c0 + w), p_ + c0, m_);
}

void MemoryPointSource::exact_dist_sq(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, double* out) {
  const long long np = static_cast<long long>(pairs.size());
  const bool use_threads = worth_threads(static_cast<double>(np) * static_cast<double>(m_));
#pragma omp parallel for schedule(dynamic, 16) if (use_threads)
  for (long long q = 0; q < np; ++q) {
    const auto [i, j] = pairs[static_cast<std::size_t>(q)];
    out[q] = dist_sq_exact(p_ + std::size_t{i} * m_, p_ + std::size_t{j} * m_, m_);
  }
}

KnnResult knn_gram(PointSource& src, const GramKnnOptions& o) {
  const std::size_t n = src.rows(), m = src.cols();
  knn_detail::check_knn_input(n, m, o, "knn_gram");
  KnnResult r;
  r.n = n;
  r.k = o.k;

  std::vector<std::vector<std::uint32_t>> zero_cand(n), cand(n);
  if (o.precision == GramPrecision::float32)
    gram_candidates<float>(src, o, r, zero_cand, cand);
  else
    gram_candidates<double>(src, o, r, zero_cand, cand);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  std::size_t n_cand = 0;
  for (std::size_t i = 0; i < n; ++i) {
    n_cand += cand[i].size();
    for (std::uint32_t j : zero_cand[i]) pairs.emplace_back(j, static_cast<std::uint32_t>(i));
    for (std::uint32_t j : cand[i])
      pairs.emplace_back(std::min<std::uint32_t>(j, static_cast<std::uint32_t>(i)),
                         std::max<std::uint32_t>(j, static_cast<std::uint32_t>(i)));
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  r.seconds_select += seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  std::vector<double> exact(pairs.size());
  src.exact_dist_sq(pairs, exact.data());
  r.seconds_exact = seconds_since(t0);
  r.exact_pairs = pairs.size();
  r.mean_candidates = static_cast<double>(n_cand) / static_cast<double>(n);
  auto exact_of = [&](std::size_t i, std::size_t j) {
    const std::pair<std::uint32_t, std::uint32_t> key(static_cast<std::uint32_t>(std::min(i, j)),
                                                      static_cast<std::uint32_t>(std::max(i, j)));
    const auto it = std::lower_bound(pairs.begin(), pairs.end(), key);
    IDEALGAS_ASSERT(it != pairs.end() && *it == key, "a candidate pair was not recomputed");
    return exact[static_cast<std::size_t>(it - pairs.begin())];
  };

  std::vector<std::vector<std::uint32_t>> zero(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::uint32_t j : zero_cand[i])
      if (exact_of(i, j) == 0.0) zero[i].push_back(j);
  knn_detail::select_k_nearest(r, n, zero, o, "knn_gram", [&](std::size_t i, auto&& offer) {
    for (std::uint32_t j : cand[i]) offer(exact_of(i, j), j);
  });
  return r;
}

KnnResult knn_gram(const double* points, std::size_t n, std::size_t m, const GramKnnOptions& o) {
  if (points == nullptr) throw InputError("knn_gram: points is null");
  MemoryPointSource src(points, n, m);
  return knn_gram(src, o);
}

void gram_product_float32(const float* a, std::size_t n, std::size_t m, float* c) {
  cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(n), static_cast<int>(m), 1.0f, a,
              static_cast<int>(m), 0.0f, c, static_cast<int>(n));
}

}  // namespace idealgas
