// Configuration of the isotropic-noise simulation (docs/theory.md §4, docs/paper-setup.md §1): model, grids and the
// measurement schedule (iso_schedule.hpp). Model and grid defaults are the paper's. Time in iterations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/protocol/protocol.hpp"
#include "idealgas/simulate/iso_schedule.hpp"

namespace idealgas {

/// A closed interval of positive values, log-spaced over a grid.
struct LogRange {
  double lo, hi;
};

struct IsoConfig {
  long long d = 3;             // number of parameters
  double sigma2 = 1.0;         // noise variance: Sigma(w_hat) = sigma2 P_w_hat (unit-sphere units)
  std::uint64_t seed = 42;     // master seed: loss direction mu, initial point, and every noise stream
  int grid = 17;               // values per hyperparameter axis (log-spaced), 1..kMaxGrid
  int threads = 0;             // OpenMP threads; 0 = all hardware threads (results do not depend on it)
  static constexpr int kMaxGrid = 1000;  // 10^6 configurations per protocol: beyond any grid anyone plots
  static constexpr long long kMaxQueueBytes = 16'000'000'000LL;  // all snapshot queues of one protocol grid
  std::vector<Protocol> protocols = {Protocol::fixed_lr, Protocol::fixed_elr, Protocol::fixed_sphere};
  LogRange eta{1e-3, 1e-1};      // fixed LR: learning rate
  LogRange eta_eff{1e-3, 1e-1};  // fixed ELR and sphere: effective learning rate
  LogRange lambda{1e-3, 1e-1};   // fixed LR and ELR: weight decay
  LogRange radius{0.1, 10.0};    // sphere: radius
  IsoSchedule schedule;
  double checkpoint_seconds = 30.0;  // wall time between checkpoints (atomic; a killed run resumes)

  /// Throws InputError naming the first invalid value and what is expected.
  void validate() const;
  /// Part of validate(): the closed-form predictions are finite at every grid corner of every protocol.
  void require_closed_forms_defined() const;
  /// Every setting the schedule uses, defaults included (the "effective config" recorded with results).
  nlohmann::json to_json() const;
  /// to_json() less the settings that change no number of a run (threads, checkpoint_seconds, protocols):
  /// what a checkpoint or an output folder must match to be resumed.
  nlohmann::json result_relevant_json() const;
  /// Reads a TOML file over the defaults. Unknown keys and wrong types throw InputError naming the key.
  static IsoConfig from_toml_file(const std::string& path);
  /// Same as from_toml_file, from a TOML string (`source` names it in errors).
  static IsoConfig from_toml_string(const std::string& toml_text, const std::string& source);

  // One configuration (what `idealgas simulate iso` and a sweep's iso jobs run): `protocol` and exactly the
  // protocol's two hyperparameters as numbers (lr: eta, lambda; elr: eta_eff, lambda; sphere: eta_eff, radius)
  // beside the model and schedule keys; no grid, protocols or ranges. It is held as a 1 x 1 grid: grid = 1,
  // protocols = {protocol}, the protocol's two ranges [x, x] (the other ranges keep their unused defaults), so
  // that it runs, and draws its noise, exactly like that configuration of any grid holding it.

  /// Reads a one-configuration TOML file; InputError names the key, the value and what is accepted.
  static IsoConfig point_from_toml_file(const std::string& path);
  static IsoConfig point_from_toml_string(const std::string& toml_text, const std::string& source);
  /// One configuration when the table has a `protocol` key, else a grid (what idealgas.simulate_iso accepts).
  static IsoConfig point_or_grid_from_toml_string(const std::string& toml_text, const std::string& source);
  /// True if this is one configuration (grid 1, one protocol, the protocol's two ranges of one value each).
  bool is_point() const;
  /// to_json() of one configuration in point form: "protocol" and its two hyperparameters as numbers, no grid,
  /// protocols or ranges (what point_from_toml_string reads back). Requires is_point().
  nlohmann::json point_json() const;
  /// point_json() less threads and checkpoint_seconds (what a folder or checkpoint must match).
  nlohmann::json point_result_relevant_json() const;
};

/// `n` log-spaced values from lo to hi inclusive: 10^(log10 lo + k (log10 hi - log10 lo)/(n-1)), like numpy.
std::vector<double> log_spaced(LogRange range, int n);

}  // namespace idealgas
