// The three training protocols of theory.md §2, written once for any gradient of a scale-invariant loss
// and shared by the isotropic simulator and the network trainer:
//   fixed LR      w <- w - eta (g + lambda w)
//   fixed ELR     w <- w - eta_eff |w|^2 (g + lambda w)          (the WD term is scaled too)
//   fixed sphere  w <- r (w - eta_eff |w|^2 g) / |w - eta_eff |w|^2 g|   (no WD; projection back to radius r)
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

/// What one update does at the current squared norm: w <- w - step_size (g + weight_decay w), then
/// (if project) w <- radius w/|w|.
struct ProtocolStep {
  double step_size;     // learning rate actually applied this iteration
  double weight_decay;  // coupled L2 coefficient (0 on the sphere)
  bool project;         // rescale to `radius` after the step (sphere)
};

/// One protocol with its hyperparameters. Built by make(), which validates and throws on unknown names.
struct ProtocolParams {
  Protocol kind = Protocol::fixed_lr;
  double eta = 0.0;     // fixed LR: learning rate eta; fixed ELR and sphere: effective learning rate eta_eff
  double lambda = 0.0;  // fixed LR and ELR: weight decay; sphere: 0
  double radius = 0.0;  // sphere: the radius r kept fixed; otherwise 0

  /// Factory: `name` is lr, elr or sphere; `second` is lambda (lr, elr) or the radius (sphere).
  /// Throws InputError for an unknown name or a non-positive/non-finite value.
  static ProtocolParams make(const std::string& name, double eta_or_eta_eff, double second);
  static ProtocolParams make(Protocol kind, double eta_or_eta_eff, double second);

  ProtocolStep step(double w_norm_sq) const {
    switch (kind) {
      case Protocol::fixed_lr: return {eta, lambda, false};
      case Protocol::fixed_elr: return {eta * w_norm_sq, lambda, false};
      case Protocol::fixed_sphere: return {eta * w_norm_sq, 0.0, true};
    }
    return {0.0, 0.0, false};
  }

  /// Effective learning rate eta / |w|^2 at the given squared norm (equals eta for ELR and sphere).
  double eta_eff(double w_norm_sq) const { return kind == Protocol::fixed_lr ? eta / w_norm_sq : eta; }

  /// {"protocol": "lr", "eta": ..., "lambda": ...} (sphere: "eta_eff", "radius"; elr: "eta_eff", "lambda").
  nlohmann::json settings() const;
};

}  // namespace idealgas
