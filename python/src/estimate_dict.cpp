// One EntropyEstimate -> dict conversion, shared by entropy() and SnapshotQueue.estimate(): the keys of
// cli/cmd_entropy.cpp's JSON from "estimator" on.
#include <fmt/format.h>

#include <vector>

#include "bindings.hpp"
#include "idealgas/measure/knn_exact.hpp"

namespace idealgas::python {
namespace {

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& v, std::size_t rows, std::size_t cols = 1) {
  py::array_t<T> a(cols == 1 ? std::vector<py::ssize_t>{static_cast<py::ssize_t>(rows)}
                             : std::vector<py::ssize_t>{static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

}  // namespace

void put_estimate(py::dict& out, const EntropyEstimate& e, bool per_sample) {
  out["estimator"] = e.euclidean ? "euclidean" : "spherical";
  out["rotated"] = e.rotated;
  out["n"] = e.n;
  out["n_distinct"] = e.n_distinct;
  out["duplicates"] = e.duplicates;
  out["dim"] = e.dim;
  out["m"] = e.m;
  out["k"] = e.k;
  out["exclude_window"] = e.exclude_window;
  out["angle_entropy"] = e.euclidean ? py::object(py::none()) : py::object(py::float_(e.angle_entropy));
  out["mean_log_jacobian"] = e.mean_log_jacobian;
  out["spherical_entropy"] = e.spherical_entropy;
  out["mean_radius"] = e.mean_radius;
  out["log_radius_term"] = e.log_radius_term;
  out["total_entropy"] = e.total_entropy;
  out["adjacent_nn_fraction"] = e.adjacent_nn_fraction;
  out["se"] = e.se;
  out["se_iid"] = e.se_iid;
  out["total_se"] = e.total_se;
  out["se_method"] = fmt::format(
      "batch means of the per-sample terms over {} contiguous batches of the queue (consecutive snapshots are "
      "correlated); se_iid = sd/sqrt(N) of the same terms",
      e.se_batches);
  out["precision"] = gram_precision_name(e.precision);
  out["neighbours"] = e.neighbours;
  if (e.gram_device.empty())
    out["gram_device"] = py::none();  // naive: no Gram products
  else
    out["gram_device"] = e.gram_device;
  out["mode"] = e.mode;
  out["budget_mb"] = static_cast<double>(e.budget_bytes) / 1048576.0;
  out["io_cols"] = e.io_cols;
  out["mean_candidates"] = e.mean_candidates;
  out["exact_pairs"] = e.exact_pairs;
  py::dict timing;
  timing["seconds_total"] = e.seconds_total;
  timing["seconds_io"] = e.seconds_io;
  timing["seconds_coordinates"] = e.seconds_coordinates;
  timing["seconds_gram"] = e.seconds_gram;
  timing["seconds_select"] = e.seconds_select;
  timing["seconds_exact"] = e.seconds_exact;
  out["timing"] = timing;
  if (per_sample) {
    const std::size_t k = static_cast<std::size_t>(e.k);
    py::dict ps;
    ps["radius"] = to_numpy(e.radius, e.radius.size());              // [n]; empty for euclidean
    ps["log_jacobian"] = to_numpy(e.log_jacobian, e.log_jacobian.size());  // [n]; empty for euclidean
    ps["nn_index"] = to_numpy(e.nn_index, e.n, k);                   // [n] or [n, k]; n for dropped rows
    ps["nn_dist_sq"] = to_numpy(e.nn_dist_sq, e.n, k);               // [n] or [n, k]
    ps["terms"] = to_numpy(e.terms, e.terms.size());                 // [n]: h_i, NaN for dropped rows
    out["per_sample"] = ps;
  }
}

}  // namespace idealgas::python
