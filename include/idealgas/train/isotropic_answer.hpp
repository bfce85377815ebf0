// The known answer of a run of the isotropic model through the trainer (model.arch = "isotropic",
// train/isotropic_model.hpp): what every measured stationary quantity must be, from the closed forms alone, and the
// distance of each measurement from it in units of the combined standard error. Torch-free.
//
//   sigma2      the model's (exact); measured: the fresh-draw estimator (or the steps')
//   r           lr, elr: the exact one-step norm identity with X = sigma2 (d-1) + G (theory/ideal_gas.hpp r_one_step)
//   lambda_eff  sphere: the same identity (lambda_eff_one_step)
//   Z           Z = 2 P r^2 / (eta_eff Tr Sigma) at that radius: 1 + G / Tr Sigma to first order
//   U           exact VMF mean loss at the direction law of the discrete update, T_discrete (theory/discrete_direction.hpp)
//   S_sphere    what the KL estimator returns on exact VMF(T_discrete) samples of the queue's size
//               (analyse/kl_reference.hpp): S_sphere_discrete + the estimator's measured bias
// G = E|grad L(w_hat)|^2 is the VMF value at the closed-form T. Each entry: measured, se, expected, expected_se,
// z = (measured - expected) / sqrt(se^2 + expected_se^2), within_3_se. "stationary_predictions" holds the exact
// values under the names of a grid row (T_discrete, U_discrete, S_sphere_discrete, U_vmf, S_sphere_vmf, S_pred,
// S_sphere_expected): `idealgas train` merges them into summary.json's "stationary", so that `analyze` judges a grid
// of these runs against the same exact targets as the isotropic grids.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "idealgas/train/train_config.hpp"

namespace idealgas::train {

/// `stationary`: the run's summary.json "stationary" object; `queue_size`: snapshots of the queue behind its S_sphere.
nlohmann::json isotropic_known_answer(const TrainConfig& config, const nlohmann::json& stationary,
                                      std::size_t queue_size);

}  // namespace idealgas::train
