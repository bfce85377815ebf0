// Exact k nearest neighbours (k = 1..10) in squared Euclidean distance, for the Kozachenko-Leonenko estimator.
// Distances are those of dist_sq_exact (double, the reference's summation order), so every path returns the
// reference's neighbours and squared distances bit for bit. Ties are broken by the lower row index; neighbours
// fewer than `exclude_window` rows apart are ignored (temporally correlated snapshots); later copies of a row
// (squared distance exactly 0 to a kept earlier row) are dropped, as in spherical_entropy.hpp.
//
// knn_naive: the O(n^2 m) oracle (spherical_entropy() and kl_entropy() use it). knn_gram: the fast path (docs/entropy.md): data centred, Gram blocks through
// OpenBLAS in float32 or float64 with OpenMP over blocks, summed in that precision over column panels of
// `panel_cols` columns; every pair whose Gram distance could, within a rigorous rounding bound, be among the k
// best is recomputed exactly; the k best recomputed distances are the answer. The result does not depend on the
// thread count or the precision of the products: only the number of exact recomputations does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace idealgas {

constexpr int kMaxNeighbours = 10;

class GramProducts;  // gram_products.hpp: the products on another device (LibTorch, a GPU)

enum class GramPrecision { float32, float64 };
const char* gram_precision_name(GramPrecision p);
/// "float32" or "float64"; InputError naming the value otherwise.
GramPrecision parse_gram_precision(const std::string& name);

struct KnnOptions {
  int k = 1;                       // neighbours per row, 1..kMaxNeighbours
  std::size_t exclude_window = 0;  // ignore neighbours j with 0 < |i - j| < exclude_window (0 and 1: none)
  bool drop_duplicates = true;     // drop later copies of a row (false: they stay, at squared distance 0)
  const char* who = nullptr;       // names the data in error messages (nullptr: the function's name)
};

struct KnnResult {
  std::size_t n = 0;
  int k = 0;
  std::vector<std::size_t> index;       // [n, k]: neighbours by increasing (dist_sq, index); n for a dropped row
  std::vector<double> dist_sq;          // [n, k]: squared distances (dist_sq_exact); NaN for a dropped row
  std::vector<char> dropped;            // [n]: 1 if the row is a later copy of a kept row
  std::vector<std::size_t> n_eligible;  // [n]: rows that could be its neighbours (kept, not itself, outside
                                        //      the window); 0 for a dropped row
  long long duplicates = 0;             // dropped rows
  // Diagnostics of knn_gram (zero for knn_naive):
  double mean_candidates = 0.0;  // exact recomputations per row (k at best)
  std::size_t exact_pairs = 0;   // distinct pairs recomputed
  double seconds_gram = 0.0, seconds_select = 0.0, seconds_exact = 0.0;
};

/// The oracle (the project's one naive neighbour search): every pair (i < j) once by dist_sq_exact, O(n^2 m) time
/// and O(n k) memory per thread, rows in blocks, OpenMP over blocks; each row keeps its k best by (dist_sq, index),
/// so the result does not depend on the thread count. Requires n >= 2, m >= 1, 1 <= k <= 10, at least k + 1
/// distinct rows and at least k eligible rows for every kept row (InputError saying which, otherwise).
KnnResult knn_naive(const double* points,  // [n, m], row-major
                    std::size_t n, std::size_t m, const KnnOptions& options);

/// The same selection from a full table of squared distances (symmetric, any diagonal): used by the snapshot
/// queue, which keeps the table up to date.
KnnResult knn_from_distances(const double* dist_sq,  // [n, n], row-major
                             std::size_t n, const KnnOptions& options);

/// Points delivered in column panels (for the Gram matrix) and as exact pair distances: in memory, or read
/// from a file in blocks (entropy_estimate.cpp).
class PointSource {
 public:
  using PanelVisitor = std::function<void(std::size_t c0, std::size_t c1, const double* panel, std::size_t ld)>;
  virtual ~PointSource() = default;
  virtual std::size_t rows() const = 0;
  virtual std::size_t cols() const = 0;
  /// Calls visit once per column block [c0, c1), c1 - c0 <= max_width, covering [0, cols) in any order; the
  /// panel is [rows, c1 - c0] with row stride ld, valid during the call.
  virtual void for_each_panel(std::size_t max_width, const PanelVisitor& visit) = 0;
  /// out[p] = dist_sq_exact(row pairs[p].first, row pairs[p].second).
  virtual void exact_dist_sq(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs,
                             double* out) = 0;  // [pairs.size()]
};

/// Points held in memory.
class MemoryPointSource final : public PointSource {
 public:
  MemoryPointSource(const double* points,  // [n, m], row-major; must outlive the source
                    std::size_t n, std::size_t m)
      : p_(points), n_(n), m_(m) {}
  std::size_t rows() const override { return n_; }
  std::size_t cols() const override { return m_; }
  void for_each_panel(std::size_t max_width, const PanelVisitor& visit) override;
  void exact_dist_sq(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, double* out) override;

 private:
  const double* p_;
  std::size_t n_, m_;
};

struct GramKnnOptions : KnnOptions {
  GramPrecision precision = GramPrecision::float32;
  std::size_t panel_cols = 2048;  // inner dimension of each Gram product: the rounding bound grows with it
  std::size_t tile_rows = 512;    // rows of a Gram block (one OpenBLAS call per block)
  GramProducts* products = nullptr;  // where the panel products run (must outlive the call); nullptr: OpenBLAS
};

/// Rigorous bound factor eps: |Gram distance - dist_sq_exact| <= eps (|a_i| + |a_j|)^2 with a the centred
/// points (docs/entropy.md derives it). For m columns in panels of panel_cols.
double gram_error_factor(GramPrecision precision, std::size_t panel_cols, std::size_t m);

/// The fast exact search (see the top of this file). Same requirements and result as knn_naive. Memory:
/// n^2 values of the product precision for the Gram matrix, plus one panel.
KnnResult knn_gram(PointSource& source, const GramKnnOptions& options);
KnnResult knn_gram(const double* points,  // [n, m], row-major
                   std::size_t n, std::size_t m, const GramKnnOptions& options);

/// C = A A^T in float32 through OpenBLAS (ssyrk, upper triangle, OpenBLAS's own threads): one Gram product of
/// the whole matrix, the floor the fast path is compared against in bench/.
void gram_product_float32(const float* a,  // [n, m], row-major
                          std::size_t n, std::size_t m,
                          float* c);  // [n, n], row-major, upper triangle written

}  // namespace idealgas
