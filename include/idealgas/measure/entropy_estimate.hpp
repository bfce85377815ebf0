// Kozachenko-Leonenko entropy (nats) at scale: N snapshots of d weights, N up to ~10^4, d up to ~10^6 and more,
// from memory or from an .npy / snapshot file larger than memory (docs/entropy.md).
//
// Spherical (default, the paper's convention, docs/theory.md §5): angles of each row (tail sums in double, telescoped
// log J), then KL on the m = d-1 angles and S(rho_w_hat) = H_hat(phi) + E[log J], total S + (d-1) log r_bar.
// Euclidean (--euclidean): KL on the raw vectors, m = d. k = 1..10 neighbours (Leonenko, Pronzato & Savani 2008,
// Ann. Statist. 36(5), 2153): H_hat = (1/N) sum_i [log n_i - psi(k) + log V_m + m log rho_{i,k}], n_i = N - 1 rows
// that can be neighbours of row i (fewer with an exclusion window); for k = 1 and no window this is exactly the
// paper's (m/N) sum log rho_i + log V_m + log(N-1) + gamma_E, and the numbers equal spherical_entropy()'s bit for
// bit. Duplicates are dropped and counted as in spherical_entropy.hpp.
//
// Neighbours come from knn_gram (exact; float32 or float64 Gram products) or knn_naive (the oracle). When the
// angles of all rows fit in the memory budget they are held in memory; otherwise rows are read in column blocks
// twice (Gram, then the exact distances of the candidate pairs), and no buffer is larger than the budget allows.
// Every mode, block size and thread count gives the same bits.
//
// Standard error: batch means of the per-sample terms h_i (their mean is the estimate) over contiguous batches
// of the queue, because consecutive snapshots are correlated and sd/sqrt(N) of correlated terms understates the
// error; se_iid = sd(h)/sqrt(N) is reported beside it (for an iid cloud both estimate the same thing; the terms
// of neighbouring points share distances, which both ignore: ~20 % low for iid Gaussians, see the tests).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "idealgas/measure/knn_exact.hpp"

namespace idealgas {

struct EntropyOptions {
  bool euclidean = false;          // KL on the raw vectors instead of the spherical estimate
  bool rotate = false;             // spherical: reflect the mean direction onto e_{d-1} first (spherical_entropy.hpp)
  int k = 1;                       // neighbour order, 1..kMaxNeighbours
  std::size_t exclude_window = 0;  // ignore neighbours fewer than this many rows apart (0, 1: none)
  GramPrecision precision = GramPrecision::float32;  // Gram products (the result does not depend on it)
  bool naive = false;             // knn_naive instead of knn_gram (the O(N^2 m) oracle; N^2 doubles of memory)
  std::size_t budget_bytes = 0;   // memory for the estimator's own buffers; 0: half the physical memory
  int se_batches = 20;            // batches of the batch-means standard error
  std::size_t panel_cols = 2048;  // knn_gram tuning (see knn_exact.hpp)
  std::size_t tile_rows = 512;
  GramProducts* gram_products = nullptr;  // Gram products on another device (gram_products.hpp; must outlive the
                                          // call); nullptr: OpenBLAS on the CPU. The result does not depend on it.
  std::size_t io_cols = 0;       // column block of the out-of-core mode; 0: as wide as the budget allows
  bool keep_per_sample = false;  // fill the per-sample vectors of the result
};

struct EntropyEstimate {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  std::size_t n = 0;           // rows given
  std::size_t n_distinct = 0;  // rows used (N)
  std::size_t dim = 0;         // d
  std::size_t m = 0;           // d - 1 (spherical) or d (euclidean)
  int k = 1;
  std::size_t exclude_window = 0;
  bool euclidean = false;
  bool rotated = false;
  double angle_entropy = kNaN;      // spherical: H_hat(phi); euclidean: H_hat(x) (nats)
  double mean_log_jacobian = kNaN;  // spherical: E[log J] over the used rows (nats)
  double spherical_entropy = kNaN;  // spherical: H_hat(phi) + E[log J] (nats)
  double mean_radius = kNaN;        // over all rows
  double log_radius_term = kNaN;    // spherical: (d-1) log r_bar (nats)
  double total_entropy = kNaN;      // spherical: spherical_entropy + log_radius_term; euclidean: H_hat(x)
  long long duplicates = 0;
  double adjacent_nn_fraction = kNaN;  // share of used rows whose nearest neighbour is the previous/next row
  double se = kNaN;                    // batch-means SE of spherical_entropy (euclidean: of total_entropy), nats
  double se_iid = kNaN;                // sd(h_i)/sqrt(N), nats
  double total_se = kNaN;              // batch-means SE of total_entropy (radius term linearised per sample), nats
  int se_batches = 0;                  // batches actually used
  // How it was computed:
  std::string mode;        // "memory" (angles held) or "stream" (column blocks read twice)
  std::string neighbours;  // "gram" or "naive"
  GramPrecision precision = GramPrecision::float32;
  std::string gram_device;  // where the Gram products ran: "blas" (OpenBLAS) or GramProducts::device(); "" if naive
  std::size_t budget_bytes = 0;
  std::size_t io_cols = 0;       // stream mode: columns per block read
  double mean_candidates = 0.0;  // exact recomputations per row
  std::size_t exact_pairs = 0;
  double seconds_coordinates = 0.0;  // memory mode: angles (or copy) of all rows; stream: inside gram
  double seconds_gram = 0.0, seconds_select = 0.0, seconds_exact = 0.0, seconds_total = 0.0;
  double seconds_io = 0.0;  // time spent reading the input (summed over reading threads / passes)
  // Per-sample values, with keep_per_sample:
  std::vector<double> radius;         // [n]
  std::vector<double> log_jacobian;   // [n], spherical
  std::vector<std::size_t> nn_index;  // [n, k], n for dropped rows
  std::vector<double> nn_dist_sq;     // [n, k]
  std::vector<double> terms;          // [n]: h_i (NaN for dropped rows)
};

/// Estimate from samples in memory (rows = samples; the samples themselves are not counted in the budget).
/// Requires 2 <= n < 2^32, dim >= 2 (spherical) or >= 1 (euclidean), finite values (of any magnitude: rows are
/// scaled by powers of two where their squares would overflow or underflow, docs/entropy.md), rows off the
/// coordinate singular set (spherical), at least k + 1 distinct rows and enough rows outside the exclusion
/// window: InputError naming the row, or saying how many rows are duplicates, otherwise.
EntropyEstimate estimate_entropy(const double* samples,  // [n, dim], row-major
                                 std::size_t n, std::size_t dim, const EntropyOptions& options);

/// Estimate from rows [first_row, first_row + n_rows) of a 2-D .npy or snapshot file (n_rows = 0: to the end),
/// float32 or float64, read in blocks (never loaded whole). The file must be a regular file (npy_header.hpp) and
/// hold the rows asked (checked without wrapping). IoError / InputError naming the file.
EntropyEstimate estimate_entropy_npy(const std::string& path, const EntropyOptions& options, std::size_t first_row = 0,
                                     std::size_t n_rows = 0);

/// The default budget: half the physical memory.
std::size_t default_entropy_budget_bytes();

}  // namespace idealgas
