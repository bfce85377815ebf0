#include "idealgas/measure/snapshot_queue.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <new>

#include "entropy_finish.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/knn_exact.hpp"
#include "idealgas/measure/spherical_coords.hpp"

namespace idealgas {
namespace {

// Below this many element operations a push's distances run on one thread (a parallel region costs microseconds).
constexpr double kParallelWork = 1 << 17;
// The neighbour search indexes rows with 32-bit integers.
constexpr std::size_t kMaxCapacity = (std::size_t{1} << 32) - 1;

}  // namespace

SnapshotQueue::SnapshotQueue(std::size_t capacity, std::size_t dim, const SnapshotQueueOptions& options)
    : capacity_(capacity), dim_(dim), options_(options) {
  if (capacity < 2) throw InputError(fmt::format("snapshot queue: capacity {} ; expected at least 2", capacity));
  if (options.euclidean) {
    if (dim < 1) throw InputError("snapshot queue: dim must be >= 1");
  } else {
    require_dimension("snapshot queue: dim", static_cast<long long>(dim));
  }
  if (options.k < 1 || options.k > kMaxNeighbours)
    throw InputError(fmt::format("snapshot queue: k = {}; expected 1 <= k <= {}", options.k, kMaxNeighbours));
  m_ = options.euclidean ? dim : dim - 1;
  if (capacity > kMaxCapacity)
    throw InputError(fmt::format("snapshot queue: capacity {}; the neighbour search takes at most 2^32 - 1 rows",
                                 capacity));
  std::size_t values = 0;  // capacity * (m + capacity + 2) doubles
  if (__builtin_add_overflow(m_, capacity + 2, &values) || __builtin_mul_overflow(values, capacity, &values) ||
      values > std::vector<double>().max_size())
    throw InputError(fmt::format("snapshot queue: capacity {} of {}-dimensional rows does not fit in memory "
                                 "(capacity x (dim + capacity) doubles)",
                                 capacity, dim));
  try {
    points_.assign(capacity * m_, 0.0);
    radius_.assign(capacity, 0.0);
    log_jacobian_.assign(capacity, 0.0);
    dist_sq_.assign(capacity * capacity, 0.0);
    scratch_.assign(dim, 0.0);
  } catch (const std::bad_alloc&) {
    throw InputError(fmt::format("snapshot queue: capacity {} of {}-dimensional rows needs {:.4g} GiB, which could "
                                 "not be allocated; use a smaller queue",
                                 capacity, dim, static_cast<double>(values) * 8.0 / 1073741824.0));
  }
}

void SnapshotQueue::push(const float* w) {
  for (std::size_t c = 0; c < dim_; ++c) scratch_[c] = static_cast<double>(w[c]);
  push(scratch_.data());
}

void SnapshotQueue::push(const double* w) {
  for (std::size_t c = 0; c < dim_; ++c)
    if (!std::isfinite(w[c]))
      throw InputError(
          fmt::format("snapshot queue: push {} has {} in column {}; expected finite values", pushes_, w[c], c));
  const std::size_t slot = size_ < capacity_ ? slot_of(size_) : head_;
  // Coordinates into a scratch row first, so that a rejected row leaves the queue as it was.
  std::vector<double> row(m_);
  double radius = 0.0, log_jac = 0.0;
  if (options_.euclidean) {
    std::copy(w, w + dim_, row.begin());
  } else {
    const SphericalPoint p = to_spherical(w, dim_, row.data());  // rows of any finite magnitude (scaled)
    if (!(p.radius > 0.0))
      throw InputError(fmt::format("snapshot queue: push {} is zero (all {} coordinates are 0): its direction is "
                                   "undefined",
                                   pushes_, dim_));
    if (!std::isfinite(p.radius))
      throw InputError(fmt::format("snapshot queue: push {} has a norm beyond the largest double (1.8e308)", pushes_));
    if (!std::isfinite(p.log_jacobian))
      throw InputError(fmt::format("snapshot queue: push {} lies on the coordinate singular set (its trailing "
                                   "coordinates are 0, or their squares underflow against the rest of the row)",
                                   pushes_));
    radius = p.radius;
    log_jac = p.log_jacobian;
  }
  std::copy(row.begin(), row.end(), points_.begin() + static_cast<std::ptrdiff_t>(slot * m_));
  radius_[slot] = radius;
  log_jacobian_[slot] = log_jac;
  if (size_ < capacity_)
    ++size_;
  else
    head_ = (head_ + 1) % capacity_;
  // The new row's distances to every other row in the queue: O(N m).
  const double* a = points_.data() + slot * m_;
  const long long n_slots = static_cast<long long>(capacity_);
  const std::size_t size = size_, head = head_, cap = capacity_;
  const bool use_threads = static_cast<double>(size) * static_cast<double>(m_) >= kParallelWork;
#pragma omp parallel for schedule(dynamic, 8) if (use_threads)
  for (long long js = 0; js < n_slots; ++js) {
    const std::size_t j = static_cast<std::size_t>(js);
    const bool occupied = (j + cap - head) % cap < size;
    if (!occupied || j == slot) continue;
    const double d = dist_sq_exact(a, points_.data() + j * m_, m_);
    dist_sq_[slot * cap + j] = d;
    dist_sq_[j * cap + slot] = d;
  }
  dist_sq_[slot * cap + slot] = 0.0;
  ++pushes_;
}

EntropyEstimate SnapshotQueue::estimate(bool keep_per_sample) const {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = size_;
  if (n < 2) throw InputError(fmt::format("snapshot queue: {} row(s); the entropy needs at least 2", n));
  // The table in FIFO order (position 0 = oldest), then the same selection and formula as estimate_entropy().
  std::vector<double> table(n * n);
  std::vector<double> radius(options_.euclidean ? 0 : n), log_jac(options_.euclidean ? 0 : n);
  for (std::size_t p = 0; p < n; ++p) {
    const std::size_t sp = slot_of(p);
    for (std::size_t q = 0; q < n; ++q) table[p * n + q] = dist_sq_[sp * capacity_ + slot_of(q)];
    if (!options_.euclidean) {
      radius[p] = radius_[sp];
      log_jac[p] = log_jacobian_[sp];
    }
  }
  KnnOptions ko;
  ko.k = options_.k;
  ko.exclude_window = options_.exclude_window;
  ko.who = "snapshot queue";
  const KnnResult knn = knn_from_distances(table.data(), n, ko);
  EntropyEstimate e;
  e.n = n;
  e.dim = dim_;
  e.m = m_;
  e.k = options_.k;
  e.exclude_window = options_.exclude_window;
  e.euclidean = options_.euclidean;
  e.mode = "queue";
  e.neighbours = "exact table";
  e.precision = GramPrecision::float64;
  finish_entropy_estimate(knn, radius, log_jac, options_.se_batches, keep_per_sample, "snapshot queue", e);
  e.seconds_select = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  e.seconds_total = e.seconds_select;
  return e;
}

}  // namespace idealgas
