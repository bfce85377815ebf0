// idealgas._core: the compiled half of the Python package idealgas (the pure-Python half, python/idealgas/, adds
// the training monitor, the scale-invariance check and the run-folder reader on top of it).
#include <string>

#include "bindings.hpp"
#include "idealgas/core/build_info.hpp"

PYBIND11_MODULE(_core, m) {
  namespace ig = idealgas::python;
  namespace py = pybind11;
  m.doc() =
      "idealgas._core: closed forms (docs/theory.md §2-4), the Kozachenko-Leonenko entropy of weight snapshots, the "
      "incremental snapshot queue and the isotropic-noise simulator, from the C++ library. Entropies in nats, gradients in unit-sphere units, time "
      "in iterations. Use it through the package: import idealgas.";
  // Each docstring opens with the Python signature (the generated one would show pybind11's C++ types).
  py::options options;
  options.disable_function_signatures();
  ig::bind_errors(m);
  ig::bind_theory(m);
  ig::bind_entropy(m);
  ig::bind_snapshot_queue(m);
  ig::bind_simulate(m);
  const nlohmann::json info = idealgas::build_info();
  m.attr("__version__") = info.at("idealgas_version").get<std::string>();
  m.attr("git_revision") = info.at("git_revision").get<std::string>();
}
