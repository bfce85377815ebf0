// The three training protocols of docs/theory.md §2, written once for any gradient of a scale-invariant loss and
// shared by the isotropic simulator (simulate/) and the network trainer (train/):
//   fixed LR      w <- w - eta (g + lambda w)
//   fixed ELR     w <- w - eta_eff |w|^2 (g + lambda w)          (the WD term is scaled too)
//   fixed sphere  w <- r (w - eta_eff |w|^2 g) / |w - eta_eff |w|^2 g|   (no WD; projection back to radius r)
// This is the bottom layer: theory, simulate, train, analyse and report include it; it includes nothing of theirs.
// Naming: `eta` is always the learning rate actually multiplying the gradient (fixed LR: a hyperparameter),
// `eta_eff` = eta/|w|^2 the effective learning rate (fixed ELR and sphere: a hyperparameter).
#pragma once

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

namespace idealgas {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The three training protocols of docs/theory.md §2.
enum class Protocol { fixed_lr, fixed_elr, fixed_sphere };

/// "lr", "elr", "sphere".
const char* protocol_name(Protocol p);
/// Inverse of protocol_name; throws InputError naming the accepted values.
Protocol parse_protocol(const std::string& name);

/// What one update does at the current squared norm: w <- w - step_size (g + weight_decay w), then
/// (if project) w <- radius w/|w|.
struct ProtocolStep {
  double step_size;     // learning rate eta actually applied this iteration
  double weight_decay;  // coupled L2 coefficient (0 on the sphere)
  bool project;         // rescale to `radius` after the step (sphere)
};

/// Sums an update pass returns (see apply_protocol_step): all in parameter units, over every SI parameter.
struct UpdateSums {
  double new_norm_sq;  // |w_new|^2 after w <- decay w - s g, before any projection
  double w_dot_g;      // <w_old, g> (0 up to rounding for a scale-invariant loss)
  double g_norm_sq;    // |g|^2, the stochastic gradient the step used
};

/// What one update measured on the way (for lambda_eff, the norm identity and diagnostics).
struct StepRecord {
  double norm_sq_before;          // |w_t|^2
  double step_size;               // eta applied (fixed LR: eta; else eta_eff |w_t|^2)
  double pre_projection_norm_sq;  // |w_t - s (g + wd w_t)|^2, before any projection
  double g_norm_sq;               // |g_B|^2, parameter units
  double norm_growth;             // sphere: |w_tilde| - |w_t| without cancellation; otherwise 0
};

/// One protocol with its hyperparameters. Built by make(), which validates and throws on unknown names.
struct ProtocolParams {
  Protocol kind = Protocol::fixed_lr;
  double eta = 0.0;      // fixed LR: the learning rate; 0 otherwise
  double eta_eff = 0.0;  // fixed ELR and sphere: the effective learning rate; 0 for fixed LR
  double lambda = 0.0;   // fixed LR and ELR: weight decay; 0 on the sphere
  double radius = 0.0;   // sphere: the radius r kept fixed; 0 otherwise

  /// Factory: `name` is lr, elr or sphere; `first` is eta (lr) or eta_eff (elr, sphere); `second` is lambda
  /// (lr, elr) or the radius (sphere). Throws InputError for an unknown name or a non-positive/non-finite value.
  static ProtocolParams make(const std::string& name, double first, double second);
  static ProtocolParams make(Protocol kind, double first, double second);

  /// The protocol's two hyperparameters in grid order: (eta or eta_eff, lambda or radius).
  double first() const { return kind == Protocol::fixed_lr ? eta : eta_eff; }
  double second() const { return kind == Protocol::fixed_sphere ? radius : lambda; }

  ProtocolStep step(double w_norm_sq) const {
    switch (kind) {
      case Protocol::fixed_lr: return {eta, lambda, false};
      case Protocol::fixed_elr: return {eta_eff * w_norm_sq, lambda, false};
      case Protocol::fixed_sphere: return {eta_eff * w_norm_sq, 0.0, true};
    }
    return {0.0, 0.0, false};
  }

  /// Effective learning rate eta / |w|^2 at the given squared norm (the hyperparameter for ELR and sphere).
  double eta_eff_at(double w_norm_sq) const { return kind == Protocol::fixed_lr ? eta / w_norm_sq : eta_eff; }

  /// {"protocol": "lr", "eta": ..., "lambda": ...} (elr: "eta_eff", "lambda"; sphere: "eta_eff", "radius").
  nlohmann::json settings() const;
};

/// One update of the protocol, for any storage of the weights: the one place where the step size, the weight
/// decay, the projection and the pre-projection norm are decided. `norm_sq` is |w_t|^2;
/// `update(decay, s)` must do w <- decay w - s g over every SI parameter and return UpdateSums;
/// `scale(c)` must do w <- c w (called only on the sphere, with c = radius / |w_tilde|).
template <class Update, class Scale>
StepRecord apply_protocol_step(const ProtocolParams& protocol, double norm_sq, Update&& update, Scale&& scale) {
  const ProtocolStep step = protocol.step(norm_sq);
  const double s = step.step_size;
  const double decay = 1.0 - s * step.weight_decay;
  const UpdateSums sums = update(decay, s);
  StepRecord record{norm_sq, s, sums.new_norm_sq, sums.g_norm_sq, 0.0};
  if (step.project) {
    // |w_tilde|^2 - |w|^2 from its parts (<w, g> = 0 up to rounding), so the O(eta_eff^2) growth of the norm is
    // not lost to cancellation between two nearly equal norms (docs/theory.md §5, lambda_eff).
    const double norm_sq_growth =
        (decay * decay - 1.0) * norm_sq - 2.0 * decay * s * sums.w_dot_g + s * s * sums.g_norm_sq;
    const double pre_projection_norm = std::sqrt(sums.new_norm_sq);
    record.norm_growth = norm_sq_growth / (pre_projection_norm + std::sqrt(norm_sq));
    scale(protocol.radius / pre_projection_norm);
  }
  return record;
}

}  // namespace idealgas
