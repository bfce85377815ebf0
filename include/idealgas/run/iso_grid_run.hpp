// One isotropic-noise protocol grid run to its end with checkpoints: resumes from CHECKPOINT when it exists,
// saves it every checkpoint_seconds of wall time, at the end and when a signal arrives (SIGINT/SIGTERM/SIGHUP:
// then throws Interrupted saying how to resume), and reports progress. Shared by `reproduce iso` (17 x 17 grids)
// and `simulate iso` (one configuration: a 1 x 1 grid).
#pragma once

#include <filesystem>
#include <functional>

#include "idealgas/simulate/iso_grid.hpp"

namespace idealgas {

struct IsoProgress {
  Protocol protocol;
  double fraction = 0.0;         // of this protocol's work (configuration-iterations), 0..1
  double elapsed_seconds = 0.0;  // since this protocol (re)started in this process
  double eta_seconds = 0.0;      // estimated time left for this protocol
  long long resumed_from = 0;    // iteration of the checkpoint it resumed from (0 = fresh)
  bool finished = false;
};

/// Runs `protocol`'s grid of `config` to its end. Throws Interrupted (after saving) on a signal, InputError if the
/// checkpoint belongs to another configuration, IoError if it is corrupt. `progress` may be empty.
IsoGrid run_iso_grid(const IsoConfig& config, Protocol protocol, const std::filesystem::path& checkpoint,
                     const std::function<void(const IsoProgress&)>& progress);

}  // namespace idealgas
