// idealgas.SnapshotQueue: the trainer's FIFO of the last N weight snapshots (measure/snapshot_queue.hpp) with its
// table of exact pairwise distances kept up to date, so an entropy at a log point costs O(N^2) instead of a fresh
// O(N^2 d) estimate; estimate() equals idealgas.entropy() on the queue's rows (oldest first) bit for bit.
// push() and estimate() release the GIL; a mutex keeps concurrent calls on one queue in order.
#include <fmt/format.h>

#include <limits>
#include <memory>
#include <mutex>

#include "bindings.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/measure/snapshot_queue.hpp"

namespace idealgas::python {
namespace {

class PySnapshotQueue {
 public:
  PySnapshotQueue(const py::handle& capacity, const py::handle& dim, const py::handle& euclidean_arg,
                  const py::handle& k, const py::handle& exclude_window, const py::handle& se_batches) {
    const bool euclidean = bool_argument("euclidean", euclidean_arg);
    const long long cap = integer_argument("capacity", capacity), d = integer_argument("dim", dim);
    if (cap < 2) throw InputError(fmt::format("snapshot queue: capacity {}; expected at least 2", cap));
    if (d < (euclidean ? 1 : 2))
      throw InputError(fmt::format("snapshot queue: dim {}; expected at least {}", d, euclidean ? 1 : 2));
    // The queue holds capacity x (d or d-1) angles and capacity x capacity distances, in doubles: refuse sizes
    // whose byte count does not fit 64 bits before the library multiplies them.
    std::size_t cells = 0, bytes = 0;
    const auto c = static_cast<std::size_t>(cap), m = static_cast<std::size_t>(d);
    if (__builtin_mul_overflow(c, c + m, &cells) || __builtin_mul_overflow(cells, sizeof(double), &bytes))
      throw InputError(fmt::format("snapshot queue: capacity {} and dim {} need more than 2^64 bytes", cap, d));
    const long long kk = integer_argument("k", k), window = integer_argument("exclude_window", exclude_window),
                    batches = integer_argument("se_batches", se_batches);
    if (kk < 1 || kk > kMaxNeighbours)
      throw InputError(fmt::format("snapshot queue: k = {}; expected 1 <= k <= {}", kk, kMaxNeighbours));
    if (window < 0) throw InputError(fmt::format("snapshot queue: exclude_window must be >= 0, got {}", window));
    if (batches < 2 || batches > std::numeric_limits<int>::max())
      throw InputError(fmt::format("snapshot queue: se_batches = {}; expected at least 2", batches));
    SnapshotQueueOptions o;
    o.euclidean = euclidean;
    o.k = static_cast<int>(kk);
    o.exclude_window = static_cast<std::size_t>(window);
    o.se_batches = static_cast<int>(batches);
    queue_ = std::make_unique<SnapshotQueue>(c, m, o);
  }

  void push(const py::handle& w_arg) {
    if (!py::isinstance<py::array>(w_arg))
      throw InputError(fmt::format("snapshot queue: push expects a 1-D numpy array of dim = {} values, got a {} "
                                   "(torch: tensor.detach().cpu().numpy())",
                                   queue_->dim(),
                                   py::str(py::type::handle_of(w_arg).attr("__name__")).cast<std::string>()));
    const py::array w = py::reinterpret_borrow<py::array>(w_arg);
    bool f32 = false;
    if (!native_float(w.dtype(), f32))
      throw InputError(fmt::format("snapshot queue: push of dtype {}; expected float32 or float64 in native byte "
                                   "order",
                                   dtype_text(w.dtype())));
    if (w.ndim() != 1 || static_cast<std::size_t>(w.shape(0)) != queue_->dim())
      throw InputError(fmt::format("snapshot queue: push expects a 1-D array of dim = {} values, got {} dimension(s) "
                                   "of {} values",
                                   queue_->dim(), w.ndim(), w.size()));
    // A strided 1-D array (e.g. a column) is made contiguous; a contiguous one is read in place.
    const py::array row = (w.flags() & py::array::c_style) ? w : py::array(py::module_::import("numpy").attr(
                                                                           "ascontiguousarray")(w));
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mu_);
    if (f32)
      queue_->push(static_cast<const float*>(row.data()));
    else
      queue_->push(static_cast<const double*>(row.data()));
  }

  py::dict estimate(const py::handle& per_sample_arg) const {
    const bool per_sample = bool_argument("per_sample", per_sample_arg);
    EntropyEstimate e;
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mu_);
      e = queue_->estimate(per_sample);
    }
    py::dict out;
    out["units"] = "nats";
    put_estimate(out, e, per_sample);
    return out;
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_->size();
  }
  long long pushes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_->pushes();
  }
  std::size_t capacity() const { return queue_->capacity(); }  // fixed at construction
  std::size_t dim() const { return queue_->dim(); }

 private:
  std::unique_ptr<SnapshotQueue> queue_;
  mutable std::mutex mu_;
};

}  // namespace

void bind_snapshot_queue(py::module_& m) {
  using py::arg;
  py::class_<PySnapshotQueue>(m, "SnapshotQueue", R"doc(FIFO of the last `capacity` weight snapshots of dimension `dim`.

Each push computes the snapshot's spherical angles (or keeps the raw vector, euclidean=True) and its exact squared
distances to every row in the queue, O(capacity * dim); estimate() then needs only the neighbour selection over the
table, O(capacity^2), and returns exactly what idealgas.entropy() returns for the queue's rows, oldest first (the
same keys from 'estimator' on). Memory: capacity * (dim + capacity) doubles. rotate is not offered: a queue has no
fixed mean direction.)doc")
      .def(py::init<const py::handle&, const py::handle&, const py::handle&, const py::handle&, const py::handle&,
                    const py::handle&>(),
           arg("capacity"), arg("dim"), py::kw_only(), arg("euclidean") = false, arg("k") = 1,
           arg("exclude_window") = 0, arg("se_batches") = 20,
           "__init__(self, capacity: int, dim: int, *, euclidean=False, k=1, exclude_window=0, se_batches=20)\n\n"
           "capacity >= 2 snapshots of dim values (dim >= 2; >= 1 with euclidean=True); k, exclude_window and "
           "se_batches as in idealgas.entropy().")
      .def("push", &PySnapshotQueue::push, arg("w"),
           "push(self, w: numpy.ndarray) -> None\n\nAppend one snapshot: a 1-D float32 or float64 numpy array of dim values (float32 is widened exactly); "
           "the oldest is dropped when the queue is full. Raises InputError for non-finite values or a row on the "
           "coordinate singular set (the queue is then unchanged).")
      .def("estimate", &PySnapshotQueue::estimate, arg("per_sample") = false,
           "estimate(self, per_sample=False) -> dict\n\nThe entropy of the queue's rows (needs at least 2), as idealgas.entropy() returns it.")
      .def_property_readonly("size", [](const PySnapshotQueue& q) { return q.size(); },
                             "Rows held now.")
      .def_property_readonly("capacity", [](const PySnapshotQueue& q) { return q.capacity(); })
      .def_property_readonly("dim", [](const PySnapshotQueue& q) { return q.dim(); })
      .def_property_readonly("pushes", [](const PySnapshotQueue& q) { return q.pushes(); },
                             "Snapshots pushed since construction.")
      .def("__len__", [](const PySnapshotQueue& q) { return q.size(); })
      .def("__repr__", [](const PySnapshotQueue& q) {
        return fmt::format("SnapshotQueue(size={}, capacity={}, dim={})", q.size(), q.capacity(),
                           q.dim());
      });
}

}  // namespace idealgas::python
