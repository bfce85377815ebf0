// One network configuration being trained (docs/paper-setup.md §2): SGD on i.i.d. batches drawn with replacement,
// the protocol's update through the shared step (protocol/protocol.hpp: apply_protocol_step), and the
// measurements that need the network (full-batch gradient, test metrics, fresh-batch Tr Sigma). Torch-free
// interface; the state (double master copy of the tracked parameters, the float32 network, BatchNorm running
// statistics, iteration) lives in an explicit per-configuration struct behind it, so that several could later be
// advanced together on one GPU.
//
// Units: the tracked vector w is the SI parameters (conv weights; practical mode: every trainable parameter);
// gradients in parameter units unless named "_unit" (unit-sphere units: times |w|^2 for squared norms,
// docs/theory.md §5). Iteration t (1-based) uses batch t of the SGD stream: a pure function of (seed, t), so a resumed
// run draws the same batches.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "idealgas/protocol/protocol.hpp"
#include "idealgas/train/scale_invariance.hpp"
#include "idealgas/train/train_config.hpp"
#include "idealgas/train/training_data.hpp"

namespace idealgas::train {

struct StepResult {
  double loss = 0.0;   // batch loss at w_t (the weights before the step)
  StepRecord record;   // |w_t|^2, step size, pre-projection |w_{t+1}|^2, |g_B|^2, sphere norm growth
  bool finite = true;  // loss and gradient finite
};

struct FullBatchMetrics {
  double loss = 0.0;               // mean loss over the training set, train-mode BN over chunks of eval_chunk
  double accuracy = 0.0;           // same pass
  double grad_norm_sq_unit = 0.0;  // |grad L(w_hat)|^2 = |w|^2 |grad L(w)|^2
};

struct EvalMetrics {
  double loss = 0.0;      // test set, eval-mode BN (running statistics)
  double accuracy = 0.0;
};

/// Fresh-batch estimate of Tr Sigma(w_hat) (the paper's estimator) at the current weights.
struct FreshTrSigma {
  long long batches = 0;
  double tr_sigma = 0.0, tr_sigma_se = 0.0;  // |w|^2 mean_j |g_j - grad L(w)|^2 and its SE (independent batches)
  double second_moment_unit = 0.0;           // |w|^2 mean_j |g_j|^2 (E|g|^2 - |grad L|^2 is the step estimator)
  double second_moment_unit_se = 0.0;
};

class Trainer {
 public:
  /// Builds the network (init and head seeds), rescales the SI weights jointly to norm 1 (sphere: the radius),
  /// moves the data to the device, sets the thread counts. InputError for a device this LibTorch cannot use.
  Trainer(const TrainConfig& config, const TrainingData& data);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  long long dim() const;     // tracked parameters d
  long long si_dim() const;  // scale-invariant parameters (= dim() unless practical)
  long long iteration() const;
  double norm_sq() const;    // |w|^2 of the tracked parameters (double master copy)
  const ProtocolParams& protocol() const;

  /// SGD step of iteration() + 1. When the loss or gradient is not finite the weights are left unchanged and
  /// `finite` is false.
  StepResult step();

  /// Measurements at the current weights; they change neither the weights, the running statistics nor any
  /// random stream of the training (results do not depend on whether or how often they are called).
  FullBatchMetrics train_metrics();
  EvalMetrics test_metrics();
  /// Uses the full gradient of the last train_metrics() call (call that first at the same weights); batches come
  /// from the measurement stream keyed by the iteration.
  FreshTrSigma fresh_tr_sigma(long long batches);

  std::vector<double> weights() const;       // [dim] double master copy
  std::vector<float> weights_float() const;  // [dim] as the network holds them (rounded to float32)
  std::vector<float> running_stats() const;  // the network's buffers as 32-bit words (Model::buffer_words)
  /// Restores a state written by weights() / running_stats() at `iteration` (InputError if the sizes differ).
  void restore(long long iteration, const std::vector<double>& w, const std::vector<float>& running_stats);

  /// The full-batch gradient [dim] (parameter units) of the last train_metrics() (empty before the first).
  std::vector<double> full_gradient() const;
  /// For tests: the stochastic gradient [dim] (parameter units) of the last step(), kept when enabled.
  void keep_last_gradient(bool keep);
  std::vector<double> last_gradient() const;

  /// Scale invariance of the network at its current weights (train/scale_invariance.hpp), measured on the first
  /// min(batch_size, n) training images: the SI parameters (all_tracked: every tracked parameter, the protocol's
  /// w; the same unless practical) scaled by each factor. Weights and running statistics are left as they were.
  ScaleInvarianceReport check_scale_invariance(const std::vector<double>& factors, double rtol, bool all_tracked);

  /// Device, threads, dimensions, LibTorch version, and the architecture's own description.
  nlohmann::json describe() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// LibTorch's version string ("1.13.1"); whether it can use CUDA here.
std::string libtorch_version();
bool libtorch_has_cuda();

}  // namespace idealgas::train
