#include "idealgas/measure/entropy_estimate.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/math/constants/constants.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>

#include "entropy_finish.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/core/memory.hpp"
#include "idealgas/measure/batch_means.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/gram_products.hpp"
#include "idealgas/measure/npy_stream.hpp"
#include "idealgas/measure/spherical_coords.hpp"
#include "idealgas/measure/spherical_entropy.hpp"
#include "idealgas/measure/spherical_stream.hpp"
#include "uninit_buffer.hpp"

namespace idealgas {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The neighbour searches index rows with 32-bit integers.
constexpr std::size_t kMaxRows = (std::size_t{1} << 32) - 1;
// knn_naive's memory per row and thread: the k best (distance, index) pairs.
constexpr std::size_t kNaiveBytesPerRow = 8 + kMaxNeighbours * 16;
// Bytes the estimator keeps besides the big buffers (per-row vectors, candidate lists): a safety allowance per
// row in the budget arithmetic.
constexpr std::size_t kPerRowOverheadBytes = 4096;
// Below this many element operations a loop runs on one thread (see knn_gram.cpp: parallel regions are costly
// when the cores are shared).
constexpr double kParallelWork = 1 << 17;
inline bool worth_threads(double work) { return work >= kParallelWork; }

// The first error thrown inside an OpenMP loop, kept by the lowest item index (so the message does not depend on
// the thread count) and rethrown after the loop (an exception must not leave an OpenMP region).
class LoopErrors {
 public:
  void capture(std::size_t item) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_ || item < item_) {
      error_ = std::current_exception();
      item_ = item;
    }
  }
  void rethrow() {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mu_;
  std::exception_ptr error_;
  std::size_t item_ = 0;
};

// Raw samples, widened to double: from memory or from an .npy file.
class Samples {
 public:
  virtual ~Samples() = default;
  virtual std::size_t rows() const = 0;
  virtual std::size_t cols() const = 0;
  // out[(r - r0) * ld + (c - c0)] for r in [r0, r1), c in [c0, c1); safe from several threads for disjoint rows.
  virtual void read(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, double* out,
                    std::size_t ld) const = 0;
  virtual std::string who() const = 0;  // prefix of error messages
  // The row itself when the samples are in memory as doubles (no copy needed), else nullptr.
  virtual const double* row_pointer(std::size_t) const { return nullptr; }
  // Called when the rows will be read in column blocks, once per pass (a file: stop caching it).
  virtual void streaming() const {}
  double io_seconds() const { return static_cast<double>(io_ns_.load()) * 1e-9; }

 protected:
  mutable std::atomic<long long> io_ns_{0};
};

class MemorySamples final : public Samples {
 public:
  MemorySamples(const double* p, std::size_t n, std::size_t d, const char* who) : p_(p), n_(n), d_(d), who_(who) {}
  std::size_t rows() const override { return n_; }
  std::size_t cols() const override { return d_; }
  void read(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, double* out,
            std::size_t ld) const override {
    for (std::size_t r = r0; r < r1; ++r) std::copy(p_ + r * d_ + c0, p_ + r * d_ + c1, out + (r - r0) * ld);
  }
  std::string who() const override { return who_; }
  const double* row_pointer(std::size_t i) const override { return p_ + i * d_; }

 private:
  const double* p_;
  std::size_t n_, d_;
  const char* who_;
};

class FileSamples final : public Samples {
 public:
  FileSamples(const std::string& path, std::size_t first_row, std::size_t n_rows) : reader_(path), first_(first_row) {
    const NpyLayout& lay = reader_.layout();
    if (first_row > lay.rows)
      throw InputError(fmt::format("{}: first row {} asked, the file holds {} rows", path, first_row, lay.rows));
    n_ = n_rows == 0 ? lay.rows - first_row : n_rows;
    if (n_ > lay.rows - first_row)  // first_row + n_ could wrap past 2^64
      throw InputError(fmt::format("{}: {} rows from row {} asked, the file holds {} rows", path, n_, first_row,
                                   lay.rows));
  }
  std::size_t rows() const override { return n_; }
  std::size_t cols() const override { return reader_.layout().cols; }
  void read(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, double* out,
            std::size_t ld) const override {
    const auto t0 = Clock::now();
    thread_local std::vector<unsigned char> scratch;
    scratch.resize((c1 - c0) * reader_.layout().item_bytes());
    reader_.read(first_ + r0, first_ + r1, c0, c1, out, ld, scratch.data());
    io_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  }
  std::string who() const override { return reader_.path(); }
  NpyDtype dtype() const { return reader_.layout().dtype; }
  // A file that does not fit the budget is read twice in full; its pages would only evict other processes' pages.
  void streaming() const override { reader_.set_drop_cache(true); }

 private:
  mutable NpyBlockReader reader_;
  std::size_t first_;
  std::size_t n_ = 0;
};

void require_finite_row(const Samples& src, std::size_t row, std::size_t c0, const double* x, std::size_t w) {
  for (std::size_t c = 0; c < w; ++c)
    if (!std::isfinite(x[c]))
      throw InputError(fmt::format("{}: row {} column {} is {}; expected finite values", src.who(), row, c0 + c, x[c]));
}

// The regularising reflection of spherical_coords.hpp (the project's one reflection), for rows streamed one at a
// time: the mean direction from MeanDirectionSum, then each row's coefficient s_i, so that a column block of H x_i
// is RegularisingReflection::apply_block(s_i, ...) (the same operations as apply(), hence the same bits).
struct Reflection {
  std::optional<RegularisingReflection> h;  // absent: the identity
  std::vector<double> s;                    // [n]
  bool identity() const { return !h; }
  void apply(std::size_t row, std::size_t c0, double* x, std::size_t w) const {
    if (h) h->apply_block(s[row], c0, x, w);
  }
};

Reflection make_reflection(const Samples& src) {
  const std::size_t n = src.rows(), d = src.cols();
  std::vector<double> row(d);
  MeanDirectionSum sum(d);
  for (std::size_t i = 0; i < n; ++i) {
    src.read(i, i + 1, 0, d, row.data(), d);
    require_finite_row(src, i, 0, row.data(), d);
    sum.add(row.data(), i, src.who());
  }
  Reflection r;
  const std::vector<double> direction = sum.direction();
  if (direction.empty()) return r;  // no preferred direction: nothing to move
  RegularisingReflection h(direction.data(), d);
  if (h.is_identity()) return r;
  r.h.emplace(std::move(h));
  r.s.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    src.read(i, i + 1, 0, d, row.data(), d);
    r.s[i] = r.h->coefficient(row.data());
  }
  return r;
}

// Per-row outputs of the coordinate transform.
struct RowScalars {
  std::vector<double> radius, log_jacobian;  // [n]; spherical only
};

// Why row i (as it enters the coordinates: reflected with --rotate) has a non-finite log J: trailing coordinates
// that are exactly 0 (the singular set), or so small against the rest of the row that their squares underflow.
std::string singular_row_message(const Samples& src, const Reflection& h, std::size_t i) {
  const std::size_t d = src.cols();
  std::vector<double> row(d);
  src.read(i, i + 1, 0, d, row.data(), d);
  h.apply(i, 0, row.data(), d);
  std::size_t zeros = 0;  // trailing exact zeros
  while (zeros < d && row[d - 1 - zeros] == 0.0) ++zeros;
  const char* hint = "; rotate the samples (--rotate) or check the data";
  if (zeros >= 2)
    return fmt::format("{}: row {} lies on the coordinate singular set: its last {} of {} coordinates{} are 0, so "
                       "some sin phi_k = 0 and log J = -inf{}",
                       src.who(), i, zeros, d, h.identity() ? "" : " (after the reflection)", hint);
  return fmt::format("{}: row {} lies on the coordinate singular set to double precision: its trailing "
                     "coordinates{} are nonzero but so small against the rest of the row (largest |x| {:.3g}) that "
                     "their squares underflow, so log J = -inf{}",
                     src.who(), i, h.identity() ? "" : " (after the reflection)", max_abs(row.data(), d), hint);
}

void check_row_scalars(const Samples& src, const Reflection& h, const RowScalars& rs) {
  for (std::size_t i = 0; i < rs.radius.size(); ++i) {
    if (!(rs.radius[i] > 0.0))
      throw InputError(fmt::format("{}: row {} is zero (all {} coordinates are 0): its direction is undefined",
                                   src.who(), i, src.cols()));
    if (!std::isfinite(rs.radius[i]))
      throw InputError(fmt::format("{}: row {} has a norm beyond the largest double (1.8e308); rescale the samples",
                                   src.who(), i));
    if (!std::isfinite(rs.log_jacobian[i])) throw InputError(singular_row_message(src, h, i));
  }
}

[[noreturn]] void norm_overflow(const Samples& src, const Reflection& h, std::size_t i) {
  throw InputError(fmt::format("{}: row {} has a norm{} beyond the largest double (1.8e308); rescale the samples",
                               src.who(), i, h.identity() ? "" : " (or, reflected, a coordinate)"));
}

// Memory mode: the angles of every row, [n, d-1] in double (spherical). Finite values give a finite radius unless
// the norm itself overflows, so the row is scanned for the offending column only when the radius is not finite.
UninitBuffer<double> materialise(const Samples& src, const Reflection& h, RowScalars& rs) {
  const std::size_t n = src.rows(), d = src.cols(), m = d - 1;
  UninitBuffer<double> points(n * m);  // n * m doubles fit: run() checked the plan's sizes
  points.prefault();
  rs.radius.assign(n, 0.0);
  rs.log_jacobian.assign(n, 0.0);
  LoopErrors errors;
  const long long n_signed = static_cast<long long>(n);
#pragma omp parallel if (worth_threads(static_cast<double>(n) * static_cast<double>(d)))
  {
    std::vector<double> row;
#pragma omp for schedule(dynamic, 4)
    for (long long is = 0; is < n_signed; ++is) {
      const std::size_t i = static_cast<std::size_t>(is);
      try {
        const double* x = h.identity() ? src.row_pointer(i) : nullptr;
        if (x == nullptr) {
          row.resize(d);
          src.read(i, i + 1, 0, d, row.data(), d);
          h.apply(i, 0, row.data(), d);
          x = row.data();
        }
        const SphericalPoint p = to_spherical(x, d, points.data() + i * m);  // scales the row when needed
        if (!std::isfinite(p.radius)) {
          row.resize(d);
          src.read(i, i + 1, 0, d, row.data(), d);  // the values before the reflection
          require_finite_row(src, i, 0, row.data(), d);
          norm_overflow(src, h, i);
        }
        rs.radius[i] = p.radius;
        rs.log_jacobian[i] = p.log_jacobian;
      } catch (...) {
        errors.capture(i);
      }
    }
  }
  errors.rethrow();
  check_row_scalars(src, h, rs);
  return points;
}

// Memory mode, Euclidean: the raw rows, [n, d], scaled by 2^scale_exponent (the one power of two that brings the
// largest |x| of all rows into [1, 2) when it lies outside the safe range of spherical_coords.hpp, else 1), so that
// squared distances neither overflow nor underflow. No copy when the samples are doubles in memory and need no
// scale.
UninitBuffer<double> materialise_raw(const Samples& src, const double*& points, int& scale_exponent) {
  const std::size_t n = src.rows(), d = src.cols();
  UninitBuffer<double> copy;
  points = src.row_pointer(0);
  double largest = 0.0;
  if (points != nullptr) {
    for (std::size_t i = 0; i < n; ++i) {
      require_finite_row(src, i, 0, points + i * d, d);
      largest = std::max(largest, max_abs(points + i * d, d));
    }
    scale_exponent = row_scale_exponent(largest);
    if (scale_exponent == 0) return copy;
    copy.reset(n * d);
    for (std::size_t q = 0; q < n * d; ++q) copy[q] = std::ldexp(points[q], scale_exponent);
    points = copy.data();
    return copy;
  }
  copy.reset(n * d);
  copy.prefault();
  points = copy.data();
  LoopErrors errors;
  const long long n_signed = static_cast<long long>(n);
  const bool use_threads = worth_threads(static_cast<double>(n) * static_cast<double>(d));
#pragma omp parallel for schedule(dynamic, 4) if (use_threads) reduction(max : largest)
  for (long long is = 0; is < n_signed; ++is) {
    const std::size_t i = static_cast<std::size_t>(is);
    try {
      src.read(i, i + 1, 0, d, copy.data() + i * d, d);
      require_finite_row(src, i, 0, copy.data() + i * d, d);
      largest = std::max(largest, max_abs(copy.data() + i * d, d));
    } catch (...) {
      errors.capture(i);
    }
  }
  errors.rethrow();
  scale_exponent = row_scale_exponent(largest);
  if (scale_exponent != 0)
    for (std::size_t q = 0; q < n * d; ++q) copy[q] = std::ldexp(copy[q], scale_exponent);
  return copy;
}

// Stream mode: points produced in column blocks from the samples, twice (Gram panels, then exact distances of
// the candidate pairs). Blocks of io_cols angle columns (a multiple of the panel width and of 4), the last raw
// block reaching column d-1; the spherical state of every row at each block's right end is kept between passes.
// The power-of-two scales (per row for the coordinates, one for all rows in the Euclidean case; see materialise*)
// need the largest |x| of each row, known only after the first pass: when one turns out not to be 1 (rows of 1e300
// or 1e-200, never network weights) the first pass is repeated with the scales, so the bits equal memory mode's.
class StreamedPoints final : public PointSource {
 public:
  struct Restart {};  // thrown at the end of a first pass that found scales; knn_gram is then run again

  StreamedPoints(const Samples& src, bool spherical, const Reflection& h, std::size_t io_cols, RowScalars& rs)
      : src_(src), spherical_(spherical), h_(h), io_cols_(io_cols), rs_(rs) {
    n_ = src.rows();
    d_ = src.cols();
    m_ = spherical ? d_ - 1 : d_;
  }
  std::size_t rows() const override { return n_; }
  std::size_t cols() const override { return m_; }
  int euclidean_scale_exponent() const { return euclidean_scale_; }

  void for_each_panel(std::size_t max_width, const PanelVisitor& visit) override {
    const std::size_t w = max_width;
    IDEALGAS_ASSERT(io_cols_ % w == 0 && io_cols_ % 4 == 0, "blocks must hold whole panels and lanes");
    ensure_buffer();
    if (!scales_known_) row_max_.assign(n_, 0.0);
    const std::size_t n_blocks = (m_ + io_cols_ - 1) / io_cols_;
    if (!spherical_) {
      for (std::size_t b = 0; b < n_blocks; ++b) {
        const std::size_t b0 = b * io_cols_, b1 = std::min(m_, b0 + io_cols_);
        read_block(b0, b1);
        for (std::size_t p0 = b0; p0 < b1; p0 += w) visit(p0, std::min(b1, p0 + w), buf_.data() + (p0 - b0), ld());
      }
      if (!scales_known_) {
        scales_known_ = true;
        double largest = 0.0;
        for (double v : row_max_) largest = std::max(largest, v);
        euclidean_scale_ = row_scale_exponent(largest);
        if (euclidean_scale_ != 0) throw Restart{};
      }
      return;
    }
    std::vector<SphericalRowState> state(n_);
    for (std::size_t i = 0; i < n_; ++i) state[i] = spherical_row_begin(d_, row_scale_.empty() ? 0 : row_scale_[i]);
    saved_.assign(n_blocks, {});
    panel_.resize(n_ * w);
    for (std::size_t b = n_blocks; b-- > 0;) {
      saved_[b] = state;
      const std::size_t b0 = b * io_cols_, b1 = std::min(m_, b0 + io_cols_);
      const std::size_t raw_end = b1 == m_ ? d_ : b1;
      read_block(b0, raw_end);
      // Panels right to left; each row's state moves from raw_end down to b0.
      for (std::size_t p0 = b0 + (b1 - 1 - b0) / w * w;; p0 -= w) {
        const std::size_t p1 = std::min(b1, p0 + w), q1 = p1 == m_ ? d_ : p1;
        const long long n_signed = static_cast<long long>(n_);
        const bool use_threads = worth_threads(static_cast<double>(n_) * static_cast<double>(q1 - p0));
#pragma omp parallel for schedule(static) if (use_threads)
        for (long long is = 0; is < n_signed; ++is) {
          const std::size_t i = static_cast<std::size_t>(is);
          spherical_row_block(buf_.data() + i * ld() + (p0 - b0), p0, q1, state[i], panel_.data() + i * w);
        }
        visit(p0, p1, panel_.data(), w);
        if (p0 == b0) break;
      }
    }
    if (!scales_known_) {
      scales_known_ = true;
      row_scale_.assign(n_, 0);
      bool any = false;
      for (std::size_t i = 0; i < n_; ++i) any = (row_scale_[i] = row_scale_exponent(row_max_[i])) != 0 || any;
      if (any) throw Restart{};
    }
    rs_.radius.resize(n_);
    rs_.log_jacobian.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) {
      const SphericalPoint p = spherical_row_finish(state[i]);
      if (!std::isfinite(p.radius)) norm_overflow(src_, h_, i);
      rs_.radius[i] = p.radius;
      rs_.log_jacobian[i] = p.log_jacobian;
    }
    check_row_scalars(src_, h_, rs_);
  }

  void exact_dist_sq(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs, double* out) override {
    std::vector<DistSqAccumulator> acc(pairs.size(), DistSqAccumulator(m_));
    std::vector<char> needed(n_, 0);
    for (const auto& [i, j] : pairs) needed[i] = needed[j] = 1;
    std::vector<std::uint32_t> rows;
    for (std::size_t i = 0; i < n_; ++i)
      if (needed[i]) rows.push_back(static_cast<std::uint32_t>(i));
    ensure_buffer();
    const std::size_t n_blocks = (m_ + io_cols_ - 1) / io_cols_;
    const long long n_rows = static_cast<long long>(rows.size()), n_pairs = static_cast<long long>(pairs.size());
    LoopErrors errors;
    for (std::size_t b = 0; b < n_blocks; ++b) {
      const std::size_t b0 = b * io_cols_, b1 = std::min(m_, b0 + io_cols_);
      const std::size_t raw_end = spherical_ && b1 == m_ ? d_ : b1;
#pragma omp parallel if (worth_threads(static_cast<double>(n_rows) * static_cast<double>(raw_end - b0)))
      {
        std::vector<double> raw(spherical_ ? raw_end - b0 : 0);
#pragma omp for schedule(dynamic, 8)
        for (long long q = 0; q < n_rows; ++q) {
          const std::size_t i = rows[static_cast<std::size_t>(q)];
          try {
            double* row = buf_.data() + i * ld();
            if (!spherical_) {
              src_.read(i, i + 1, b0, raw_end, row, ld());
              scale_euclidean(row, raw_end - b0);
              continue;
            }
            src_.read(i, i + 1, b0, raw_end, raw.data(), raw.size());
            h_.apply(i, b0, raw.data(), raw.size());
            SphericalRowState st = saved_[b][i];  // the state at raw_end, from the first pass
            spherical_row_block(raw.data(), b0, raw_end, st, row);
          } catch (...) {
            errors.capture(i);
          }
        }
      }
      errors.rethrow();
      const bool use_threads = worth_threads(static_cast<double>(n_pairs) * static_cast<double>(b1 - b0));
#pragma omp parallel for schedule(dynamic, 64) if (use_threads)
      for (long long p = 0; p < n_pairs; ++p) {
        const auto [i, j] = pairs[static_cast<std::size_t>(p)];
        acc[static_cast<std::size_t>(p)].add_block(buf_.data() + i * ld(), buf_.data() + j * ld(), b0, b1);
      }
    }
    for (std::size_t p = 0; p < pairs.size(); ++p) out[p] = acc[p].value();
  }

 private:
  std::size_t ld() const { return io_cols_ + 1; }
  void ensure_buffer() {
    if (buf_.size() == n_ * ld()) return;
    buf_.reset(n_ * ld());
    buf_.prefault();
  }
  void scale_euclidean(double* x, std::size_t w) const {
    if (euclidean_scale_ != 0)
      for (std::size_t c = 0; c < w; ++c) x[c] = std::ldexp(x[c], euclidean_scale_);
  }
  // Raw columns [c0, c1) of every row into buf_ (row stride ld()), checked finite and reflected (spherical) or
  // scaled (Euclidean); in the first pass, each row's largest |x| so far.
  void read_block(std::size_t c0, std::size_t c1) {
    LoopErrors errors;
    const long long n_signed = static_cast<long long>(n_);
    const bool use_threads = worth_threads(static_cast<double>(n_) * static_cast<double>(c1 - c0));
#pragma omp parallel for schedule(dynamic, 8) if (use_threads)
    for (long long is = 0; is < n_signed; ++is) {
      const std::size_t i = static_cast<std::size_t>(is);
      try {
        double* row = buf_.data() + i * ld();
        src_.read(i, i + 1, c0, c1, row, ld());
        require_finite_row(src_, i, c0, row, c1 - c0);
        h_.apply(i, c0, row, c1 - c0);
        if (!scales_known_) row_max_[i] = std::max(row_max_[i], max_abs(row, c1 - c0));
        if (!spherical_) scale_euclidean(row, c1 - c0);
      } catch (...) {
        errors.capture(i);
      }
    }
    errors.rethrow();
  }

  const Samples& src_;
  bool spherical_;
  const Reflection& h_;
  std::size_t io_cols_;
  RowScalars& rs_;
  std::size_t n_ = 0, d_ = 0, m_ = 0;
  UninitBuffer<double> buf_;   // [n, io_cols + 1]: one block of raw columns (the +1: column d-1 in the last block)
  std::vector<double> panel_;  // [n, panel width]: angles of one panel
  std::vector<std::vector<SphericalRowState>> saved_;  // [blocks][n]: state at each block's right end
  bool scales_known_ = false;
  std::vector<double> row_max_;  // [n]: largest |x| of each row (as it enters the coordinates), first pass
  std::vector<int> row_scale_;   // [n]: spherical, row_scale_exponent of each row
  int euclidean_scale_ = 0;      // Euclidean: the one scale of all rows
};

struct Budget {
  bool memory = true;
  std::size_t io_cols = 0;
};

// Sizes of the plan in bytes, saturating at SIZE_MAX (a size that does not fit is larger than any budget).
std::size_t sat_mul(std::size_t a, std::size_t b) {
  std::size_t r;
  return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
std::size_t sat_add(std::size_t a, std::size_t b) {
  std::size_t r;
  return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}
std::size_t round_up(std::size_t x, std::size_t to) { return sat_mul((x + to - 1) / to, to); }
double mib(std::size_t bytes) { return static_cast<double>(bytes) / 1048576.0; }

Budget plan(std::size_t n, std::size_t d, std::size_t m, const EntropyOptions& o, std::size_t budget) {
  const std::size_t threads = static_cast<std::size_t>(omp_get_max_threads());
  const std::size_t w = std::max<std::size_t>(1, std::min(o.panel_cols, m));
  const std::size_t product_bytes = o.precision == GramPrecision::float32 ? 4 : 8;
  const std::size_t tile = std::min(o.tile_rows, n);
  const std::size_t per_row = sat_mul(n, kPerRowOverheadBytes);  // per-row vectors, candidates
  const std::size_t points = sat_add(sat_mul(sat_mul(n, m), 8), sat_mul(threads, sat_mul(d, 8)));
  if (o.naive) {  // the oracle: the points and every thread's k best of every row
    const std::size_t need = sat_add(sat_add(points, per_row), sat_mul(threads, sat_mul(n, kNaiveBytesPerRow)));
    if (need > budget)
      throw InputError(fmt::format("the naive neighbour search needs all {} x {} points in memory ({:.6g} MiB) "
                                   "within the budget of {:.6g} MiB; raise --budget-mb or drop --naive",
                                   n, m, mib(need), mib(budget)));
    return Budget{};
  }
  const std::size_t common = sat_add(sat_add(sat_mul(sat_mul(n, n), 8),                    // Gram matrix
                                             sat_mul(sat_mul(n, w), product_bytes)),       // converted panel
                                     sat_add(sat_mul(threads, sat_mul(sat_mul(tile, tile), product_bytes)),  // blocks
                                             per_row));
  Budget b;
  if (o.io_cols == 0 && sat_add(common, points) <= budget) return b;
  b.memory = false;
  const std::size_t step = std::lcm(w, std::size_t{4});
  // Stream mode: one raw block [n, W + 1] doubles, an angle panel [n, w], per-thread row scratch, and the saved
  // states [blocks, n] of about n * sizeof(state) * m / W.
  const std::size_t fixed = sat_add(common, sat_mul(sat_mul(n, w), 8));
  const std::size_t per_col = sat_add(sat_mul(n, 8), threads * 16);
  const std::size_t least = sat_add(fixed, sat_mul(step, per_col));
  if (o.io_cols != 0) {
    b.io_cols = round_up(o.io_cols, step);
  } else {
    if (budget <= least)
      throw InputError(fmt::format("a memory budget of {:.6g} MiB is too small for {} rows: the Gram matrix and one "
                                   "block of {} columns need {:.6g} MiB; raise --budget-mb",
                                   mib(budget), n, step, mib(least)));
    const std::size_t w_cols = (budget - fixed) / per_col;
    b.io_cols = std::max(step, w_cols / step * step);
  }
  b.io_cols = std::min(b.io_cols, round_up(m, step));
  return b;
}

EntropyEstimate run(const Samples& src, const EntropyOptions& o) {
  const auto t_start = Clock::now();
  const std::size_t n = src.rows(), d = src.cols();
  const bool spherical = !o.euclidean;
  if (spherical && d < 2)
    throw InputError(fmt::format("{}: the samples have {} column(s); the spherical estimate needs dim >= 2 (the "
                                 "sphere S^(d-1)), or use --euclidean",
                                 src.who(), d));
  if (d < 1) throw InputError(fmt::format("{}: the samples have no columns", src.who()));
  if (n < 2) throw InputError(fmt::format("{}: the entropy needs n >= 2 samples (rows), got {}", src.who(), n));
  if (n > kMaxRows)
    throw InputError(fmt::format("{}: {} rows; the neighbour search takes at most 2^32 - 1", src.who(), n));
  if (o.k < 1 || o.k > kMaxNeighbours)
    throw InputError(fmt::format("k = {} neighbours; expected 1 <= k <= {}", o.k, kMaxNeighbours));
  if (o.naive && o.gram_products != nullptr)
    throw InputError("the naive neighbour search computes no Gram products: drop --naive or the Gram device (--device)");
  if (o.se_batches < 2) throw InputError(fmt::format("se_batches = {}; expected at least 2", o.se_batches));
  const std::size_t m = spherical ? d - 1 : d;
  const std::size_t budget = o.budget_bytes ? o.budget_bytes : default_entropy_budget_bytes();

  EntropyEstimate e;
  e.n = n;
  e.dim = d;
  e.m = m;
  e.k = o.k;
  e.exclude_window = o.exclude_window;
  e.euclidean = o.euclidean;
  e.rotated = spherical && o.rotate;
  e.precision = o.precision;
  e.neighbours = o.naive ? "naive" : "gram";
  e.gram_device = o.naive ? "" : o.gram_products != nullptr ? o.gram_products->device() : "blas";
  e.budget_bytes = budget;

  const Budget plan_ = plan(n, d, m, o, budget);
  Reflection h;
  if (e.rotated) h = make_reflection(src);
  RowScalars rs;
  KnnResult knn;
  GramKnnOptions ko;
  ko.k = o.k;
  ko.exclude_window = o.exclude_window;
  ko.precision = o.precision;
  ko.panel_cols = o.panel_cols;
  ko.tile_rows = o.tile_rows;
  ko.products = o.gram_products;
  const std::string who = src.who();
  ko.who = who.c_str();
  int euclidean_scale = 0;
  if (plan_.memory) {
    e.mode = "memory";
    auto t0 = Clock::now();
    const double* points = nullptr;
    UninitBuffer<double> held;
    if (spherical) {
      held = materialise(src, h, rs);
      points = held.data();
    } else {
      held = materialise_raw(src, points, euclidean_scale);
    }
    e.seconds_coordinates = seconds_since(t0);
    if (o.naive) {
      const auto t1 = Clock::now();
      knn = knn_naive(points, n, m, ko);
      e.seconds_exact = seconds_since(t1);
    } else {
      MemoryPointSource ps(points, n, m);
      knn = knn_gram(ps, ko);
    }
  } else {
    e.mode = "stream";
    e.io_cols = plan_.io_cols;
    src.streaming();
    ko.panel_cols = std::max<std::size_t>(1, std::min(o.panel_cols, m));
    StreamedPoints ps(src, spherical, h, plan_.io_cols, rs);
    for (;;) {
      try {
        knn = knn_gram(ps, ko);
        break;
      } catch (const StreamedPoints::Restart&) {  // the first pass found rows to scale: once more, scaled
      }
    }
    euclidean_scale = ps.euclidean_scale_exponent();
  }
  if (!o.naive) {
    e.seconds_gram = knn.seconds_gram;
    e.seconds_select = knn.seconds_select;
    e.seconds_exact = knn.seconds_exact;
    e.mean_candidates = knn.mean_candidates;
    e.exact_pairs = knn.exact_pairs;
  }

  finish_entropy_estimate(knn, rs.radius, rs.log_jacobian, o.se_batches, o.keep_per_sample, who, e,
                          euclidean_scale);
  e.seconds_io = src.io_seconds();
  e.seconds_total = seconds_since(t_start);
  return e;
}

}  // namespace

std::size_t default_entropy_budget_bytes() {
  const double physical = physical_memory_bytes();
  if (physical <= 0.0) return std::size_t{4} << 30;
  return static_cast<std::size_t>(physical / 2);
}

EntropyEstimate estimate_entropy_named(const char* who, const double* samples, std::size_t n, std::size_t dim,
                                       const EntropyOptions& options) {
  if (samples == nullptr && n > 0 && dim > 0) throw InputError(fmt::format("{}: samples is null", who));
  const MemorySamples src(samples, n, dim, who);
  return run(src, options);
}

EntropyEstimate estimate_entropy(const double* samples, std::size_t n, std::size_t dim, const EntropyOptions& options) {
  return estimate_entropy_named("estimate_entropy", samples, n, dim, options);
}

EntropyEstimate estimate_entropy_npy(const std::string& path, const EntropyOptions& options, std::size_t first_row,
                                     std::size_t n_rows) {
  const FileSamples src(path, first_row, n_rows);
  return run(src, options);
}

}  // namespace idealgas
