// idealgas.simulate_iso(config): the isotropic-noise simulator (simulate/iso_grid.hpp) on a TOML configuration, in
// memory (no folder, no checkpoint): every protocol's grid run to its end and measured as `idealgas reproduce iso`
// and `idealgas simulate iso` measure it (analyse/iso_stationary.hpp), each row the dict of summary.json's
// "stationary" (report/summary_json.hpp), so the numbers equal the CLI's bit for bit. The GIL is released while the
// walkers run; Ctrl-C is noticed between chunks of iterations.
#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "idealgas/analyse/iso_stationary.hpp"
#include "idealgas/core/error.hpp"
#include "idealgas/report/summary_json.hpp"
#include "idealgas/simulate/iso_config.hpp"
#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas::python {
namespace {

constexpr long long kChunks = 100;  // signal checks per grid

py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

py::dict simulate_iso(const py::handle& config_arg, const py::handle& threads_arg) {
  const std::string text = string_argument("config", config_arg);
  // An empty text would run the default grid, the paper's 17 x 17 at 2 million iterations: a mistake, not a request.
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError("config is empty: give the TOML of one configuration (protocol = ...) or of a grid");
  IsoConfig config = IsoConfig::point_or_grid_from_toml_string(text, "config");
  if (!threads_arg.is_none()) {
    const long long threads = integer_argument("threads", threads_arg);
    if (threads < 0 || threads > 4096) throw InputError(fmt::format("threads must be in 0..4096, got {}", threads));
    config.threads = static_cast<int>(threads);
  }
  config.validate();
  py::dict out;
  for (Protocol p : config.protocols) {
    IsoGrid grid(config, p);
    const long long total = grid.max_iterations(), chunk = std::max<long long>(1, total / kChunks);
    while (!grid.finished()) {
      {
        py::gil_scoped_release release;
        grid.advance_to(std::min(total, grid.iteration() + chunk));
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // KeyboardInterrupt
    }
    const IsoStationaryTable t = iso_stationary_table(grid);
    py::list rows;
    for (std::size_t k = 0; k < t.table.rows.size(); ++k) {
      nlohmann::json row = stationary_row_json(t.table.rows[k]);
      row["status"] = t.status[k];
      row["divergence"] = grid.walkers()[k].divergence;
      rows.append(to_python(row));
    }
    out[py::str(protocol_name(p))] = rows;
  }
  return out;
}

}  // namespace

void bind_simulate(py::module_& m) {
  m.def("simulate_iso", &simulate_iso, py::arg("config"), py::kw_only(), py::arg("threads") = py::none(),
        R"doc(simulate_iso(config: str, *, threads: int | None = None) -> dict[str, list[dict]]

Runs the isotropic-noise model (docs/config.md) in memory and returns, for each protocol of the configuration
('lr', 'elr', 'sphere'), one dict per grid configuration in grid order (i over eta or eta_eff, j over lambda or
the radius): the keys of summary.json's "stationary" of `idealgas simulate iso` (measured U, r, S with their
SEs, the SDE and discrete-time predictions, T, Z, flags), plus "status" ('ok' or why there is no measurement)
and "divergence" ('' unless the walker diverged). `config` is TOML text: one configuration (protocol = "elr",
eta_eff = 0.05, lambda = 0.05, schedule keys) or a grid (protocols = [...], eta = [lo, hi], grid = N, ...). The
numbers equal the CLI's bit for bit; `threads` (0 = all cores) changes none of them. Releases the GIL; Ctrl-C
stops it between chunks (KeyboardInterrupt).)doc");
}

}  // namespace idealgas::python
