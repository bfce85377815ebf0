#include "idealgas/measure/spherical_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <boost/math/constants/constants.hpp>
#include <fmt/format.h>
#include <omp.h>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/spherical_coords.hpp"

namespace idealgas {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Rows i handled together: for m ~ 1000 a block (32 rows x 8 KB) stays in L2 while the rows j stream past.
constexpr std::size_t kRowBlock = 32;

// Squared distance |a - b|^2. M > 0: width fixed at compile time (the small m of the main job, d = 3..10);
// M == 0: runtime width, dist_sq_exact (four partial sums in a fixed order, so the same inputs give the same bits,
// shared with every fast path that recomputes its chosen neighbours).
template <int M>
inline double dist_sq(const double* a, const double* b, std::size_t m) {
  if constexpr (M > 0) {
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

// (d, j) better than (best_d, best_j) in the lexicographic order: order-independent, hence thread-count-independent.
inline bool better(double d, std::size_t j, double best_d, std::size_t best_j) {
  return d < best_d || (d == best_d && j < best_j);
}

// Pairs (i, j), i < j, by blocks of kRowBlock rows i: for each later row j the block's distances are computed
// first (a loop without branches) and then compared (branches that are almost always predicted right).
template <int M>
void nn_naive_kernel(const double* pts, std::size_t n, std::size_t m, NearestNeighbours& out) {
  out.index.assign(n, n);
  out.dist_sq.assign(n, kInf);
  const std::size_t n_blocks = (n + kRowBlock - 1) / kRowBlock;
  const std::size_t stride = M > 0 ? static_cast<std::size_t>(M) : m;  // compile-time row stride when known
#pragma omp parallel
  {
    std::vector<double> bd(n, kInf);  // this thread's best candidates
    std::vector<std::size_t> bi(n, n);
    double block_d[kRowBlock];
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < n_blocks; ++b) {
      const std::size_t i0 = b * kRowBlock, i1 = std::min(n, i0 + kRowBlock);
      for (std::size_t j = i0 + 1; j < n; ++j) {
        const double* pj = pts + j * stride;
        const std::size_t i_end = std::min(i1, j);
        for (std::size_t i = i0; i < i_end; ++i) block_d[i - i0] = dist_sq<M>(pts + i * stride, pj, m);
        double bdj = bd[j];
        std::size_t bij = bi[j];
        for (std::size_t i = i0; i < i_end; ++i) {
          const double d = block_d[i - i0];
          if (better(d, j, bd[i], bi[i])) {
            bd[i] = d;
            bi[i] = j;
          }
          if (better(d, i, bdj, bij)) {
            bdj = d;
            bij = i;
          }
        }
        bd[j] = bdj;
        bi[j] = bij;
      }
    }
#pragma omp critical(idealgas_nn_merge)
    for (std::size_t i = 0; i < n; ++i)
      if (better(bd[i], bi[i], out.dist_sq[i], out.index[i])) {
        out.dist_sq[i] = bd[i];
        out.index[i] = bi[i];
      }
  }
}

double row_dist_sq(const double* pts, std::size_t m, std::size_t i, std::size_t j) {
  return dist_sq<0>(pts + i * m, pts + j * m, m);
}

void require_finite(const double* values, std::size_t n, std::size_t cols, const char* what) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < cols; ++k)
      if (!std::isfinite(values[i * cols + k]))
        throw InputError(fmt::format("{}: row {} column {} is {}; expected finite values", what, i, k,
                                     values[i * cols + k]));
}

}  // namespace

NearestNeighbours nearest_neighbours_naive(const double* points, std::size_t n, std::size_t m) {
  if (n < 2 || m < 1)
    throw InputError(fmt::format("nearest neighbours need n >= 2 points of dimension m >= 1, got n = {}, m = {}",
                                 n, m));
  if (points == nullptr) throw InputError("nearest neighbours: points is null");
  NearestNeighbours nn;
  switch (m) {
    case 1: nn_naive_kernel<1>(points, n, m, nn); break;
    case 2: nn_naive_kernel<2>(points, n, m, nn); break;
    case 3: nn_naive_kernel<3>(points, n, m, nn); break;
    case 4: nn_naive_kernel<4>(points, n, m, nn); break;
    default: nn_naive_kernel<0>(points, n, m, nn); break;
  }
  return nn;
}

double log_unit_ball_volume(std::size_t m) {
  const double half_m = 0.5 * static_cast<double>(m);
  return half_m * std::log(boost::math::constants::pi<double>()) - std::lgamma(half_m + 1.0);
}

double kl_entropy_from_dist_sq(const double* dist_sq, std::size_t n_points, std::size_t m) {
  IDEALGAS_ASSERT(n_points >= 2, "the KL formula needs at least two points");
  double sum_log_rho = 0.0;
  for (std::size_t i = 0; i < n_points; ++i) {
    IDEALGAS_ASSERT(dist_sq[i] > 0.0 && std::isfinite(dist_sq[i]), "KL needs finite positive distances");
    sum_log_rho += 0.5 * std::log(dist_sq[i]);
  }
  const double N = static_cast<double>(n_points);
  return static_cast<double>(m) / N * sum_log_rho + log_unit_ball_volume(m) + std::log(N - 1.0) +
         boost::math::constants::euler<double>();
}

KlEntropyResult kl_entropy(const double* points, std::size_t n, std::size_t m) {
  if (n < 2 || m < 1)
    throw InputError(fmt::format("the KL entropy needs n >= 2 points of dimension m >= 1, got n = {}, m = {}", n, m));
  if (points == nullptr) throw InputError("kl_entropy: points is null");
  require_finite(points, n, m, "kl_entropy");

  NearestNeighbours nn = nearest_neighbours_naive(points, n, m);
  // Duplicates: drop every later copy (squared distance exactly 0 to a kept earlier row).
  std::vector<char> dropped(n, 0);
  long long n_dropped = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (dropped[i] || nn.dist_sq[i] != 0.0) continue;
    for (std::size_t j = i + 1; j < n; ++j)
      if (!dropped[j] && row_dist_sq(points, m, i, j) == 0.0) {
        dropped[j] = 1;
        ++n_dropped;
      }
  }
  std::vector<std::size_t> used;  // original numbering of the rows used
  used.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!dropped[i]) used.push_back(i);
  if (used.size() < 2)
    throw InputError(fmt::format("kl_entropy: all {} rows are copies of one point; need at least 2 distinct rows", n));

  KlEntropyResult r;
  r.n = n;
  r.n_distinct = used.size();
  r.duplicates = n_dropped;
  r.nn_index.assign(n, n);
  r.nn_dist_sq.assign(n, kNaN);
  if (n_dropped == 0) {
    r.nn_index = std::move(nn.index);
    r.nn_dist_sq = std::move(nn.dist_sq);
  } else {
    std::vector<double> distinct(used.size() * m);
    for (std::size_t u = 0; u < used.size(); ++u)
      std::copy(points + used[u] * m, points + (used[u] + 1) * m, distinct.begin() + u * m);
    const NearestNeighbours nn_distinct = nearest_neighbours_naive(distinct.data(), used.size(), m);
    for (std::size_t u = 0; u < used.size(); ++u) {
      r.nn_index[used[u]] = used[nn_distinct.index[u]];
      r.nn_dist_sq[used[u]] = nn_distinct.dist_sq[u];
    }
  }

  std::vector<double> used_dist_sq;
  used_dist_sq.reserve(used.size());
  std::size_t adjacent = 0;
  for (std::size_t i : used) {
    const double d = r.nn_dist_sq[i];
    if (!std::isfinite(d))
      throw InputError(fmt::format("kl_entropy: the squared distance from row {} to its nearest neighbour "
                                   "overflows; rescale the points",
                                   i));
    used_dist_sq.push_back(d);
    const std::size_t j = r.nn_index[i];
    if (j + 1 == i || i + 1 == j) ++adjacent;
  }
  r.entropy = kl_entropy_from_dist_sq(used_dist_sq.data(), used_dist_sq.size(), m);
  r.adjacent_nn_fraction = static_cast<double>(adjacent) / static_cast<double>(used.size());
  return r;
}

double kl_entropy_euclidean(const double* points, std::size_t n, std::size_t m) {
  return kl_entropy(points, n, m).entropy;
}

SphericalEntropyResult spherical_entropy(const double* samples, std::size_t n, std::size_t dim,
                                         const SphericalEntropyOptions& options) {
  require_dimension("spherical_entropy: dim (columns of the samples)", static_cast<long long>(dim));
  if (n < 2) throw InputError(fmt::format("spherical_entropy needs n >= 2 samples (rows), got {}", n));
  if (samples == nullptr) throw InputError("spherical_entropy: samples is null");
  require_finite(samples, n, dim, "spherical_entropy");
  const std::size_t m = dim - 1;

  SphericalEntropyResult res;
  res.n = n;
  res.dim = dim;
  res.m = m;
  std::optional<RegularisingReflection> reflection;
  if (options.rotate_mean_off_singularities) {
    const std::vector<double> direction = mean_direction(samples, n, dim);
    if (!direction.empty()) reflection.emplace(direction.data(), dim);
    res.rotated = true;
  }

  std::vector<double> angles(n * m), radius(n), log_jac(n);
  const long long n_signed = static_cast<long long>(n);
#pragma omp parallel
  {
    std::vector<double> scratch(reflection ? dim : 0);
#pragma omp for schedule(static)
    for (long long is = 0; is < n_signed; ++is) {
      const std::size_t i = static_cast<std::size_t>(is);
      const double* x = samples + i * dim;
      if (reflection) {
        reflection->apply(x, scratch.data());
        x = scratch.data();
      }
      const SphericalPoint p = to_spherical(x, dim, angles.data() + i * m);
      radius[i] = p.radius;
      log_jac[i] = p.log_jacobian;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!(radius[i] > 0.0))
      throw InputError(fmt::format("spherical_entropy: row {} has zero norm: its direction is undefined", i));
    if (!std::isfinite(log_jac[i]))
      throw InputError(fmt::format(
          "spherical_entropy: row {} lies on the coordinate singular set (its trailing coordinates vanish, so "
          "some sin phi_k = 0 and log J = -inf); rotate the samples (--rotate) or check the data",
          i));
  }

  KlEntropyResult kl = kl_entropy(angles.data(), n, m);
  double sum_log_jac = 0.0, sum_radius = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sum_radius += radius[i];
    if (kl.nn_index[i] != n) sum_log_jac += log_jac[i];
  }
  res.n_distinct = kl.n_distinct;
  res.duplicates = kl.duplicates;
  res.adjacent_nn_fraction = kl.adjacent_nn_fraction;
  res.angle_entropy = kl.entropy;
  res.mean_log_jacobian = sum_log_jac / static_cast<double>(kl.n_distinct);
  res.spherical_entropy = res.angle_entropy + res.mean_log_jacobian;
  res.mean_radius = sum_radius / static_cast<double>(n);
  res.log_radius_term = static_cast<double>(m) * std::log(res.mean_radius);
  res.total_entropy = res.spherical_entropy + res.log_radius_term;
  if (options.keep_per_sample) {
    res.radius = std::move(radius);
    res.log_jacobian = std::move(log_jac);
    res.nn_index = std::move(kl.nn_index);
    res.nn_dist_sq = std::move(kl.nn_dist_sq);
  }
  return res;
}

}  // namespace idealgas
