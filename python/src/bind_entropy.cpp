// idealgas.entropy(X, **options): `idealgas entropy` on a NumPy array instead of an .npy file, with every option of
// the CLI and the same dict as its JSON ("file" is None); idealgas.entropy_file(path, **options): the CLI's own path,
// the file read in blocks. The number equals the CLI's on the same data bit for bit: both run estimate_entropy's
// arithmetic on the same doubles (float32 values are widened exactly, as the CLI widens a '<f4' file; the memory and
// stream modes give the same bits, docs/entropy.md).
//
// Layout: a C-contiguous float64 array is read in place (zero-copy). Any other float32/float64 array (float32,
// Fortran order, slices with strides) is converted once into a C-ordered float64 buffer of the selected rows,
// because the library's in-memory entry point reads double rows; the spherical estimate holds the n x (d-1)
// angles in double anyway, so the copy at most doubles the peak memory. The GIL is released for the copy and the
// estimate; the array must not be written to meanwhile.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/knn_exact.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/npy_stream.hpp"

namespace idealgas::python {
namespace {

// --budget-mb in bytes must stay below 2^63 (and so fit a size_t without rounding to a different number).
constexpr double kMaxBudgetBytes = 9223372036854775807.0;
constexpr double kBytesPerMiB = 1048576.0;

/// A non-negative decimal integer with nothing else around it, or -1.
long long parse_row_number(const std::string& s) {
  if (s.empty() || s.size() > 18) return -1;  // 18 digits < 2^63: no overflow below
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// rows: None (all), "A:B" / "A:" as the CLI's --rows, or slice(A, B) with step None or 1. Returns (first, end),
/// end = -1 for "to the end". A < B, both >= 0.
std::pair<long long, long long> rows_argument(const py::handle& rows) {
  if (rows.is_none()) return {0, -1};
  long long a = 0, b = -1;
  if (py::isinstance<py::str>(rows)) {
    const std::string s = rows.cast<std::string>();
    const std::size_t colon = s.find(':');
    if (colon == std::string::npos) throw InputError(fmt::format("rows '{}': expected 'A:B' or 'A:'", s));
    a = parse_row_number(s.substr(0, colon));
    if (colon + 1 < s.size()) b = parse_row_number(s.substr(colon + 1));
    if (a < 0 || (colon + 1 < s.size() && b < 0))
      throw InputError(fmt::format("rows '{}': expected 'A:B' with row numbers 0 <= A < B (B may be omitted)", s));
  } else if (py::isinstance<py::slice>(rows)) {
    const py::object start = rows.attr("start"), stop = rows.attr("stop"), step = rows.attr("step");
    if (!step.is_none() && integer_argument("rows.step", step) != 1)
      throw InputError(fmt::format("rows {}: expected a step of 1", py::repr(rows).cast<std::string>()));
    a = start.is_none() ? 0 : integer_argument("rows.start", start);
    b = stop.is_none() ? -1 : integer_argument("rows.stop", stop);
    if (a < 0 || (!stop.is_none() && b < 0))
      throw InputError(fmt::format("rows {}: expected row numbers 0 <= A < B (negative indices are not accepted)",
                                   py::repr(rows).cast<std::string>()));
  } else {
    throw InputError(
        fmt::format("rows must be None, 'A:B', 'A:' or slice(A, B), got {}", py::repr(rows).cast<std::string>()));
  }
  if (b >= 0 && b <= a) throw InputError(fmt::format("rows {}: expected A < B", py::repr(rows).cast<std::string>()));
  return {a, b};
}

/// The float32/float64 2-D array the estimate reads, and where its rows lie.
struct SampleArray {
  const char* base = nullptr;  // first selected row
  py::ssize_t row_stride = 0, col_stride = 0;  // bytes
  std::size_t n = 0, dim = 0;
  bool float32 = false;
  bool in_place = false;  // C-contiguous float64: read without a copy
};

SampleArray sample_array(const py::array& X, long long first, long long end) {
  if (X.ndim() != 2) {
    std::string shape;
    for (py::ssize_t i = 0; i < X.ndim(); ++i) shape += fmt::format("{}{}", i ? ", " : "", X.shape(i));
    throw InputError(fmt::format("X must be a 2-D array [n_samples, dim], got shape ({}{})", shape,
                                 X.ndim() == 1 ? "," : ""));
  }
  bool f32 = false;
  if (!native_float(X.dtype(), f32))
    throw InputError(fmt::format("X has dtype {}; expected float32 or float64 in native byte order (convert with "
                                 "X.astype(numpy.float64))",
                                 dtype_text(X.dtype())));
  const long long n_all = static_cast<long long>(X.shape(0));
  if (first > n_all)
    throw InputError(fmt::format("rows: first row {} is past the last row (X has {} rows)", first, n_all));
  if (end > n_all)
    throw InputError(fmt::format("rows [{}, {}) asked, X has {} rows", first, end, n_all));
  SampleArray s;
  s.n = static_cast<std::size_t>((end < 0 ? n_all : end) - first);
  s.dim = static_cast<std::size_t>(X.shape(1));
  s.row_stride = X.strides(0);
  s.col_stride = X.strides(1);
  s.float32 = f32;
  s.base = static_cast<const char*>(X.data()) + first * s.row_stride;
  s.in_place = !f32 && (X.flags() & py::array::c_style) != 0;
  return s;
}

/// The selected rows as C-ordered doubles (exact widening of float32).
std::vector<double> c_ordered_copy(const SampleArray& s) {
  std::vector<double> out(s.n * s.dim);
  for (std::size_t i = 0; i < s.n; ++i) {
    const char* row = s.base + static_cast<py::ssize_t>(i) * s.row_stride;
    double* dst = out.data() + i * s.dim;
    if (s.float32) {
      for (std::size_t c = 0; c < s.dim; ++c)
        dst[c] = static_cast<double>(*reinterpret_cast<const float*>(row + static_cast<py::ssize_t>(c) * s.col_stride));
    } else {
      for (std::size_t c = 0; c < s.dim; ++c)
        dst[c] = *reinterpret_cast<const double*>(row + static_cast<py::ssize_t>(c) * s.col_stride);
    }
  }
  return out;
}

/// The options of `idealgas entropy`, as keyword arguments (validated here; the library checks the rest).
struct CallOptions {
  EntropyOptions estimate;
  long long first = 0, end = -1;  // rows [first, end); end -1: to the last row
  bool per_sample = false;
};

CallOptions call_options(const char* function, const py::kwargs& kwargs) {
  static const char* const kNames[] = {"k", "exclude_window", "precision", "budget_mb", "euclidean", "rotate",
                                       "naive", "rows", "se_batches", "per_sample"};
  for (const auto& item : kwargs) {
    const std::string key = py::str(item.first).cast<std::string>();
    if (std::find(std::begin(kNames), std::end(kNames), key) == std::end(kNames))
      throw py::type_error(fmt::format("{}() got an unexpected keyword argument '{}'", function, key));
  }
  const auto get = [&](const char* name, py::object fallback) -> py::object {
    return kwargs.contains(name) ? py::reinterpret_borrow<py::object>(kwargs[name]) : fallback;
  };
  CallOptions c;
  EntropyOptions& o = c.estimate;
  const long long k = integer_argument("k", get("k", py::int_(1)));
  if (k < 1 || k > kMaxNeighbours)
    throw InputError(fmt::format("k = {} neighbours; expected 1 <= k <= {}", k, kMaxNeighbours));
  o.k = static_cast<int>(k);
  const long long window = integer_argument("exclude_window", get("exclude_window", py::int_(0)));
  if (window < 0) throw InputError(fmt::format("exclude_window must be >= 0, got {}", window));
  o.exclude_window = static_cast<std::size_t>(window);
  o.precision = parse_gram_precision(string_argument("precision", get("precision", py::str("float32"))));
  const double budget_mb = float_argument("budget_mb", get("budget_mb", py::float_(0.0)));
  if (!(std::isfinite(budget_mb) && budget_mb >= 0.0))
    throw InputError(fmt::format("budget_mb must be a finite number >= 0 (0: half the memory), got {}", budget_mb));
  const double budget_bytes = std::floor(budget_mb * kBytesPerMiB);
  if (budget_mb > 0.0 && budget_bytes < 1.0)
    throw InputError(fmt::format("budget_mb = {} is less than one byte; give 0 for the default (half the memory)",
                                 budget_mb));
  if (budget_bytes > kMaxBudgetBytes) throw InputError(fmt::format("budget_mb = {} is beyond 2^63 bytes", budget_mb));
  o.budget_bytes = static_cast<std::size_t>(budget_bytes);
  const long long batches = integer_argument("se_batches", get("se_batches", py::int_(20)));
  if (batches < 2 || batches > std::numeric_limits<int>::max())
    throw InputError(fmt::format("se_batches = {}; expected at least 2", batches));
  o.se_batches = static_cast<int>(batches);
  o.euclidean = bool_argument("euclidean", get("euclidean", py::bool_(false)));
  o.rotate = bool_argument("rotate", get("rotate", py::bool_(false)));
  o.naive = bool_argument("naive", get("naive", py::bool_(false)));
  if (o.rotate && o.euclidean)
    throw InputError("rotate applies to the spherical estimate; drop it with euclidean=True");
  c.per_sample = bool_argument("per_sample", get("per_sample", py::bool_(false)));
  o.keep_per_sample = c.per_sample;
  std::tie(c.first, c.end) = rows_argument(get("rows", py::none()));
  return c;
}

py::dict result_dict(const py::object& file, NpyDtype dtype, long long first, const EntropyEstimate& e,
                     bool per_sample) {
  py::dict out;
  out["file"] = file;
  out["dtype"] = npy_dtype_descr(dtype);
  out["units"] = "nats";
  // "estimator" and "rotated" come before "first_row" in cli/cmd_entropy.cpp.
  out["estimator"] = e.euclidean ? "euclidean" : "spherical";
  out["rotated"] = e.rotated;
  out["first_row"] = first;
  put_estimate(out, e, per_sample);
  return out;
}

/// Options are keyword-only: a second positional argument is refused by name (not with pybind11's dump of X).
void no_more_positionals(const char* function, const py::args& args) {
  if (args.size() > 0)
    throw py::type_error(fmt::format("{}() takes 1 positional argument but {} were given; the options are keyword "
                                     "arguments",
                                     function, args.size() + 1));
}

py::dict entropy(const py::handle& X_arg, const py::args& args, const py::kwargs& kwargs) {
  no_more_positionals("entropy", args);
  if (!py::isinstance<py::array>(X_arg))
    throw InputError(fmt::format("X must be a numpy array [n_samples, dim] of float32 or float64, got a {}",
                                 py::str(py::type::handle_of(X_arg).attr("__name__")).cast<std::string>()));
  const py::array X = py::reinterpret_borrow<py::array>(X_arg);
  const CallOptions c = call_options("entropy", kwargs);
  const SampleArray s = sample_array(X, c.first, c.end);
  EntropyEstimate e;
  {
    py::gil_scoped_release release;
    if (s.in_place) {
      e = estimate_entropy(reinterpret_cast<const double*>(s.base), s.n, s.dim, c.estimate);
    } else {
      const std::vector<double> rows_c = c_ordered_copy(s);
      e = estimate_entropy(rows_c.data(), s.n, s.dim, c.estimate);
    }
  }
  return result_dict(py::none(), s.float32 ? NpyDtype::float32 : NpyDtype::float64, c.first, e, c.per_sample);
}

py::dict entropy_file(const py::handle& path_arg, const py::args& args, const py::kwargs& kwargs) {
  no_more_positionals("entropy_file", args);
  const py::object fspath = py::module_::import("os").attr("fspath");
  if (!(py::isinstance<py::str>(path_arg) || py::hasattr(path_arg, "__fspath__")))
    throw InputError(fmt::format("path must be a str or path-like, got {}", py::repr(path_arg).cast<std::string>()));
  const py::object path_obj = fspath(path_arg);
  if (!py::isinstance<py::str>(path_obj))
    throw InputError(fmt::format("path must be a str or path-like, got {}", py::repr(path_arg).cast<std::string>()));
  const std::string path = path_obj.cast<std::string>();
  const CallOptions c = call_options("entropy_file", kwargs);
  EntropyEstimate e;
  NpyLayout layout;
  {
    py::gil_scoped_release release;
    layout = read_npy_layout(path);
    const std::size_t count = c.end < 0 ? 0 : static_cast<std::size_t>(c.end - c.first);
    e = estimate_entropy_npy(path, c.estimate, static_cast<std::size_t>(c.first), count);
  }
  return result_dict(path_obj, layout.dtype, c.first, e, c.per_sample);
}

}  // namespace

void bind_entropy(py::module_& m) {
  using py::arg;
  m.def("entropy", &entropy, arg("X"),
        R"doc(entropy(X: numpy.ndarray, *, k=1, exclude_window=0, precision="float32", budget_mb=0.0, euclidean=False,
        rotate=False, naive=False, rows=None, se_batches=20, per_sample=False) -> dict

Kozachenko-Leonenko entropy (nats) of weight snapshots, one sample per row, as `idealgas entropy`.

X: 2-D numpy array [n_samples, dim] of float32 or float64, C or Fortran order (a C-ordered float64 array is read
in place; anything else is converted once to C-ordered float64, exactly). Options (the CLI's flags):
  k               neighbour order 1..10 (digamma form for k > 1)
  exclude_window  ignore neighbours fewer than W rows apart (0 or 1: none)
  precision       'float32' or 'float64' Gram products (same result; float64 recomputes less)
  budget_mb       memory for the estimator's buffers in MiB (0: half the physical memory)
  euclidean       plain KL on the raw vectors instead of the spherical estimate
  rotate          reflect the mean direction away from the coordinate singular set first (spherical)
  naive           exhaustive O(N^2 d) neighbour search (the reference)
  rows            'A:B', 'A:' or slice(A, B): only those rows
  se_batches      batches of the batch-means standard error (>= 2)
  per_sample      also return 'per_sample': radius, log_jacobian, nn_index, nn_dist_sq, terms (numpy arrays)
Returns the CLI's JSON as a dict (file is None; NaN where the CLI prints null; angle_entropy is None for
euclidean): spherical_entropy = angle_entropy + mean_log_jacobian, total_entropy = spherical_entropy +
(d-1) log mean_radius, their batch-means SEs se and total_se, se_iid, adjacent_nn_fraction, duplicates, timing.
The GIL is released during the work. Raises InputError (a ValueError) on bad input.)doc");

  m.def("entropy_file", &entropy_file, arg("path"),
        R"doc(entropy_file(path, *, k=1, exclude_window=0, precision="float32", budget_mb=0.0, euclidean=False,
             rotate=False, naive=False, rows=None, se_batches=20, per_sample=False) -> dict

`idealgas entropy FILE` itself: the entropy of the rows of a 2-D '<f4'/'<f8' C-order .npy or snapshot file, read
in blocks (never loaded whole; files larger than memory work within budget_mb). Same options and dict as
entropy() ('file' is the path). Raises IoError (an OSError) when the file cannot be read as .npy, InputError
when its content is not supported. The GIL is released during the work.)doc");
}

}  // namespace idealgas::python