#include "idealgas/train/trainer.hpp"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <omp.h>
#include <torch/autograd.h>
#include <torch/version.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/interrupt.hpp"
#include "idealgas/core/memory.hpp"
#include "idealgas/core/rng.hpp"
#include "idealgas/gpu/torch_device.hpp"
#include "idealgas/train/model.hpp"

// OpenBLAS's thread count (its cblas.h is not on this target's include path; the library is linked: CMakeLists.txt).
extern "C" void openblas_set_num_threads(int num_threads);

namespace idealgas::train {

namespace {

// Bytes per scale-invariant parameter the built-in networks hold at least: the float weight and its gradient, and the
// flat float64 copy the protocol step works on (measured allocations are larger still: activations, BN buffers).
constexpr double kBytesPerParameter = 4.0 + 4.0 + 8.0;
constexpr double kMaxModelMemoryShare = 0.8;

// An absurd model.width (the config accepts up to 65536) must be refused with its numbers before LibTorch tries to
// allocate terabytes.
void require_model_fits(const NetworkSpec& spec) {
  if (spec.arch == Architecture::torchscript) return;  // its parameters already exist, in the module file
  const double d = static_cast<double>(si_parameter_count(spec));
  const double physical = physical_memory_bytes();
  if (physical > 0.0 && d * kBytesPerParameter > kMaxModelMemoryShare * physical)
    throw InputError(fmt::format("model.width = {} makes a {} of d = {:.4g} parameters, at least {:.3g} GB for weights "
                                 "and gradients, more than {:.0f} % of this machine's {:.1f} GB; lower model.width",
                                 spec.width, architecture_name(spec.arch), d, d * kBytesPerParameter / 1e9,
                                 100 * kMaxModelMemoryShare, physical / 1e9));
}

constexpr long long kCropPadding = 4;  // random crops: pad 4 pixels (black), crop 32x32 (App. G)
// Sub-streams of LibTorch's global generator, which a user's module may draw from (dropout): reseeded before the
// forward passes of every step and measurement, so that a resumed run draws the same masks and a measurement
// changes nothing of the training. The built-in networks draw nothing from it.
constexpr std::uint64_t kModuleRandomness = 0x6d6f64756c65ULL;  // "module"
constexpr std::uint64_t kCheckSeed = 0;  // Python's check_scale_invariance(seed=0)

// Threads are set from the config and never left to the environment (OMP_NUM_THREADS and friends). LibTorch
// allows the inter-op pool to be sized once per process, before its first use.
void set_threads(long long threads, long long interop_threads) {
  at::set_num_threads(static_cast<int>(threads));
  omp_set_num_threads(static_cast<int>(threads));  // the entropy estimator's OpenMP loops
  // LibTorch's matrix products (Debian's build: OpenBLAS, pthreads) run in OpenBLAS's own pool, which
  // at::set_num_threads does not size: left alone it takes every core (bench/README.md, "SI MLP": an MLP step
  // at threads = 1 took 3.7 ms instead of 0.93 ms on a busy machine, and its waiting threads burnt system time).
  openblas_set_num_threads(static_cast<int>(threads));
  static bool interop_set = false;
  if (!interop_set) {
    at::set_num_interop_threads(static_cast<int>(interop_threads));
    interop_set = true;
  }
}

at::Tensor to_device_images(const ImageTensorData& d, std::size_t channels, at::Device device) {
  const long long n = static_cast<long long>(d.n), c = static_cast<long long>(channels),
                  s = static_cast<long long>(kNetworkInputSize);
  // from_blob does not own the buffer: clone before the vector can go away.
  return at::from_blob(const_cast<float*>(d.images.data()), {n, c, s, s}, at::kFloat).clone().to(device);
}

at::Tensor to_device_labels(const ImageTensorData& d, at::Device device) {
  at::Tensor y = at::empty({static_cast<long long>(d.n)}, at::kLong);
  std::int64_t* p = y.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < d.n; ++i) p[i] = d.labels[i];
  return y.to(device);
}

// Batch indices of stream `key`, draw `counter`: i.i.d. uniform on [0, n), with replacement.
at::Tensor batch_indices(std::uint64_t key, std::uint64_t counter, std::size_t n, long long batch, at::Device device) {
  std::vector<std::uint64_t> raw(static_cast<std::size_t>(batch));
  uniform_indices(key, counter, n, raw.data(), raw.size());
  at::Tensor idx = at::empty({batch}, at::kLong);
  std::int64_t* p = idx.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < raw.size(); ++i) p[i] = static_cast<long long>(raw[i]);
  return idx.to(device);
}

}  // namespace

struct Trainer::State {
  TrainConfig config;
  ProtocolParams protocol;
  at::Device device;
  std::unique_ptr<Model> model;
  at::Tensor train_x, train_y, test_x, test_y;  // [n, C, 32, 32] float, [n] int64
  at::Tensor black;                             // [1, C, 1, 1]: mean/std, minus the normalised black pixel
  at::Tensor w;                                 // [d] float64: master copy of the tracked parameters
  long long iteration = 0;
  std::uint64_t sgd_key, augment_key, measure_key;
  at::Tensor full_grad;  // [d] float64: gradient of the last train_metrics()
  bool keep_grad = false;
  at::Tensor last_grad;  // [d] float64

  State(const TrainConfig& c, at::Device dev, const NetworkSpec& spec)
      : config(c), protocol(c.protocol_params()), device(dev), model(make_model(spec, c.init_key(), c.head_key(), dev)) {}

  // Inputs and labels of batch `counter` of stream `key` (random crops from `crop_key` when enabled). The isotropic
  // model's batch is one noise vector eps ~ N(0, I_d) of the same stream (its "labels" are unused).
  std::pair<at::Tensor, at::Tensor> batch(std::uint64_t key, std::uint64_t crop_key, std::uint64_t counter) {
    if (config.model.arch == Architecture::isotropic) {
      at::Tensor eps = at::empty({1, train_x.size(1)}, at::kDouble);
      standard_normals(key, counter, eps.data_ptr<double>(), static_cast<std::size_t>(eps.numel()));
      return {eps.to(device), train_y};
    }
    const long long b = config.run.batch_size;
    const at::Tensor idx = batch_indices(key, counter, static_cast<std::size_t>(train_x.size(0)), b, device);
    at::Tensor x = train_x.index_select(0, idx);
    if (config.data.random_crop) x = random_crop(x, crop_key, counter);
    return {x, train_y.index_select(0, idx)};
  }

  at::Tensor random_crop(const at::Tensor& x, std::uint64_t key, std::uint64_t counter) {
    const long long b = x.size(0), c = x.size(1), s = x.size(2), padded_size = s + 2 * kCropPadding;
    std::vector<std::uint64_t> raw(static_cast<std::size_t>(2 * b));
    uniform_indices(key, counter, 2 * kCropPadding + 1, raw.data(), raw.size());
    at::Tensor rows = at::empty({b, 1, s, 1}, at::kLong), cols = at::empty({b, 1, 1, s}, at::kLong);
    std::int64_t* pr = rows.data_ptr<std::int64_t>();
    std::int64_t* pc = cols.data_ptr<std::int64_t>();
    for (long long i = 0; i < b; ++i)
      for (long long q = 0; q < s; ++q) {
        pr[i * s + q] = static_cast<long long>(raw[2 * i]) + q;
        pc[i * s + q] = static_cast<long long>(raw[2 * i + 1]) + q;
      }
    const std::int64_t pad[4] = {kCropPadding, kCropPadding, kCropPadding, kCropPadding};
    const at::Tensor padded = at::constant_pad_nd(x.contiguous() + black, pad, 0.0) - black;
    const at::Tensor picked_rows = at::gather(padded, 2, rows.to(device).expand({b, c, s, padded_size}));
    return at::gather(picked_rows, 3, cols.to(device).expand({b, c, s, s}));
  }

  // Gradient of the mean batch loss at the current weights, float64 [d]; the loss through *loss.
  at::Tensor batch_gradient(const at::Tensor& x, const at::Tensor& y, BatchNormMode mode, double* loss) {
    model->zero_grad();
    const at::Tensor l = model->loss(model->forward(x, mode), y);
    l.backward();
    *loss = l.item<double>();
    at::Tensor g = model->flat_gradient();
    model->zero_grad();
    return g;
  }
};

Trainer::Trainer(const TrainConfig& config, const TrainingData& data) {
  config.validate();
  set_threads(config.run.threads, config.run.interop_threads);
  // The device, with TF32 off and deterministic cuDNN on CUDA (torch_device.hpp says why).
  const at::Device device = open_torch_device("train.device =", config.run.device);
  NetworkSpec spec = config.model;
  const bool isotropic = spec.arch == Architecture::isotropic;
  if (!isotropic) {
    spec.in_channels = static_cast<int>(data.channels);
    spec.image_height = static_cast<int>(data.height);  // the mlp crops the padding off again
    spec.image_width = static_cast<int>(data.width);
    spec.classes = data.classes;
  }
  require_model_fits(spec);
  s_ = std::make_unique<State>(config, device, spec);
  State& s = *s_;
  if (isotropic) {
    // The full batch is the noiseless loss (eps = 0): its loss and gradient are L(w) and grad L(w) exactly. No test set.
    s.train_x = at::zeros({1, spec.iso_d}, at::TensorOptions(at::kDouble).device(device));
    s.train_y = at::zeros({1}, at::TensorOptions(at::kLong).device(device));
    s.test_x = s.train_x.narrow(0, 0, 0);
    s.test_y = s.train_y.narrow(0, 0, 0);
  } else {
    s.train_x = to_device_images(data.train, data.channels, device);
    s.train_y = to_device_labels(data.train, device);
    s.test_x = to_device_images(data.test, data.channels, device);
    s.test_y = to_device_labels(data.test, device);
    std::vector<float> black(data.channels);
    for (std::size_t c = 0; c < data.channels; ++c)
      black[c] = static_cast<float>(data.normalisation.mean[c] / data.normalisation.std[c]);
    s.black =
        at::from_blob(black.data(), {1, static_cast<long long>(data.channels), 1, 1}, at::kFloat).clone().to(device);
    require_activations_fit(*s.model, s.train_x, config.run.batch_size, config.measure.eval_chunk);
  }
  s.sgd_key = config.sgd_key();
  s.augment_key = config.augment_key();
  s.measure_key = config.measure_key();

  // Initial point: default init, SI weights rescaled jointly to norm 1 (sphere: to r); in practical mode the
  // other parameters keep their initial values.
  s.w = s.model->flat_parameters();
  const long long si = s.model->si_dim();
  at::Tensor si_part = s.w.narrow(0, 0, si);
  const double target = s.protocol.kind == Protocol::fixed_sphere ? s.protocol.radius : 1.0;
  si_part.mul_(target / si_part.norm().item<double>());
  s.model->set_flat_parameters(s.w);
}

Trainer::~Trainer() = default;

long long Trainer::dim() const { return s_->model->dim(); }
long long Trainer::si_dim() const { return s_->model->si_dim(); }
long long Trainer::iteration() const { return s_->iteration; }
double Trainer::norm_sq() const { return s_->w.dot(s_->w).item<double>(); }
const ProtocolParams& Trainer::protocol() const { return s_->protocol; }

StepResult Trainer::step() {
  State& s = *s_;
  const std::uint64_t t = static_cast<std::uint64_t>(s.iteration + 1);
  const auto [x, y] = s.batch(s.sgd_key, s.augment_key, t);
  at::manual_seed(derive_stream_key(s.sgd_key, {kModuleRandomness, t}));
  StepResult result;
  const at::Tensor g = s.batch_gradient(x, y, BatchNormMode::train, &result.loss);
  if (s.keep_grad) s.last_grad = g.clone();
  const double norm_sq = s.w.dot(s.w).item<double>();
  // The protocol decides the step size, the decay, the projection and the pre-projection norm (one definition,
  // shared with the simulator); the update pass is ours: tensor operations on the float64 master copy.
  const auto update = [&](double decay, double step_size) {
    UpdateSums sums{0.0, 0.0, 0.0};
    sums.g_norm_sq = g.dot(g).item<double>();
    sums.w_dot_g = s.w.dot(g).item<double>();
    s.w.mul_(decay).add_(g, -step_size);
    sums.new_norm_sq = s.w.dot(s.w).item<double>();
    return sums;
  };
  const auto scale = [&](double c) { s.w.mul_(c); };
  if (!std::isfinite(result.loss) || !std::isfinite(g.dot(g).item<double>())) {
    result.finite = false;
    result.record = {norm_sq, 0.0, norm_sq, std::nan(""), 0.0};
    return result;
  }
  result.record = apply_protocol_step(s.protocol, norm_sq, update, scale);
  s.model->set_flat_parameters(s.w);
  s.iteration = static_cast<long long>(t);
  return result;
}

FullBatchMetrics Trainer::train_metrics() {
  State& s = *s_;
  const long long n = s.train_x.size(0), chunk = s.config.measure.eval_chunk;
  at::manual_seed(derive_stream_key(s.measure_key, {kModuleRandomness, static_cast<std::uint64_t>(s.iteration), 0}));
  s.model->zero_grad();
  double loss_sum = 0.0;
  long long correct = 0;
  for (long long start = 0; start < n; start += chunk) {
    // A signal ends a long measurement between passes (the run redoes the whole log point on resume).
    if (interrupt_requested()) throw Interrupted("measurement interrupted");
    const long long len = std::min(chunk, n - start);
    const at::Tensor x = s.train_x.narrow(0, start, len), y = s.train_y.narrow(0, start, len);
    const at::Tensor logits = s.model->forward(x, BatchNormMode::train_no_track);
    const at::Tensor l = s.model->loss_sum(logits, y);
    (l / static_cast<double>(n)).backward();  // gradients accumulate over the chunks: the full-batch gradient
    loss_sum += l.item<double>();
    correct += logits.detach().argmax(1).eq(y).sum().item<std::int64_t>();
  }
  s.full_grad = s.model->flat_gradient();
  s.model->zero_grad();
  FullBatchMetrics m;
  m.loss = loss_sum / static_cast<double>(n);
  // A model without classes (the isotropic one) has no accuracy.
  m.accuracy = s.model->classes() >= 2 ? static_cast<double>(correct) / static_cast<double>(n) : kNaN;
  m.grad_norm_sq_unit = norm_sq() * s.full_grad.dot(s.full_grad).item<double>();
  return m;
}

EvalMetrics Trainer::test_metrics() {
  State& s = *s_;
  at::NoGradGuard no_grad;
  const long long n = s.test_x.size(0), chunk = s.config.measure.eval_chunk;
  if (n == 0) return {kNaN, kNaN};  // no test set (the isotropic model)
  double loss_sum = 0.0;
  long long correct = 0;
  for (long long start = 0; start < n; start += chunk) {
    // A signal ends a long measurement between passes (the run redoes the whole log point on resume).
    if (interrupt_requested()) throw Interrupted("measurement interrupted");
    const long long len = std::min(chunk, n - start);
    const at::Tensor x = s.test_x.narrow(0, start, len), y = s.test_y.narrow(0, start, len);
    const at::Tensor logits = s.model->forward(x, BatchNormMode::eval);
    loss_sum += s.model->loss_sum(logits, y).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
  }
  return {loss_sum / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
}

FreshTrSigma Trainer::fresh_tr_sigma(long long batches) {
  State& s = *s_;
  IDEALGAS_ASSERT(s.full_grad.defined(), "fresh_tr_sigma needs train_metrics() first");
  IDEALGAS_ASSERT(batches >= 2, "fresh_tr_sigma needs >= 2 batches");
  // Own streams keyed by the iteration: the training batches and crops are untouched.
  const std::uint64_t key = derive_stream_key(s.measure_key, {static_cast<std::uint64_t>(s.iteration), 0});
  const std::uint64_t crop_key = derive_stream_key(s.measure_key, {static_cast<std::uint64_t>(s.iteration), 1});
  at::manual_seed(derive_stream_key(s.measure_key, {kModuleRandomness, static_cast<std::uint64_t>(s.iteration), 1}));
  double sum_dev = 0.0, sum_dev_sq = 0.0, sum_m = 0.0, sum_m_sq = 0.0;
  for (long long j = 0; j < batches; ++j) {
    // A signal ends a long measurement between passes (the run redoes the whole log point on resume).
    if (interrupt_requested()) throw Interrupted("measurement interrupted");
    const auto [x, y] = s.batch(key, crop_key, static_cast<std::uint64_t>(j));
    double loss = 0.0;
    const at::Tensor g = s.batch_gradient(x, y, BatchNormMode::train_no_track, &loss);
    const double dev = (g - s.full_grad).pow(2).sum().item<double>();
    const double m = g.dot(g).item<double>();
    sum_dev += dev;
    sum_dev_sq += dev * dev;
    sum_m += m;
    sum_m_sq += m * m;
  }
  const double nb = static_cast<double>(batches), r2 = norm_sq();
  const auto se = [&](double sum, double sum_sq) {
    const double mean = sum / nb;
    return std::sqrt(std::max(0.0, (sum_sq / nb - mean * mean) * nb / (nb - 1.0)) / nb);
  };
  FreshTrSigma out;
  out.batches = batches;
  out.tr_sigma = r2 * sum_dev / nb;
  out.tr_sigma_se = r2 * se(sum_dev, sum_dev_sq);
  out.second_moment_unit = r2 * sum_m / nb;
  out.second_moment_unit_se = r2 * se(sum_m, sum_m_sq);
  return out;
}

std::vector<double> Trainer::weights() const {
  const at::Tensor w = s_->w.to(at::kCPU).contiguous();
  return std::vector<double>(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
}

std::vector<float> Trainer::weights_float() const {
  const at::Tensor w = s_->w.to(at::kFloat).to(at::kCPU).contiguous();
  return std::vector<float>(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
}

std::vector<float> Trainer::running_stats() const { return s_->model->buffer_words(); }

void Trainer::restore(long long iteration, const std::vector<double>& w, const std::vector<float>& running) {
  State& s = *s_;
  if (static_cast<long long>(w.size()) != s.model->dim() ||
      static_cast<long long>(running.size()) != s.model->buffer_word_count())
    throw InputError(fmt::format("saved state holds {} weights and {} BatchNorm statistics; this network has {} and {}",
                                 w.size(), running.size(), s.model->dim(), s.model->buffer_word_count()));
  at::NoGradGuard no_grad;
  s.w = at::from_blob(const_cast<double*>(w.data()), {static_cast<long long>(w.size())}, at::kDouble)
            .clone()
            .to(s.device);
  s.model->set_flat_parameters(s.w);
  s.model->set_buffer_words(running);
  s.iteration = iteration;
}

ScaleInvarianceReport Trainer::check_scale_invariance(const std::vector<double>& factors, double rtol,
                                                      bool all_tracked) {
  State& s = *s_;
  Model& model = *s.model;
  IDEALGAS_ASSERT(!factors.empty(), "check_scale_invariance needs factors");
  const long long n = std::min<long long>(s.config.run.batch_size, s.train_x.size(0));
  const at::Tensor x = s.train_x.narrow(0, 0, n);
  const std::size_t tensors = all_tracked ? model.tracked().size() : model.si_tensors();
  const long long scaled = all_tracked ? model.dim() : model.si_dim();
  // Python's definition (scale_invariance.hpp): outputs under no_grad with batch statistics, the running
  // statistics untouched; the parameters restored exactly afterwards (the float32 values came from s.w).
  at::NoGradGuard no_grad;
  const auto outputs = [&]() { return model.forward(x, BatchNormMode::train_no_track).reshape({-1}).to(at::kDouble); };
  const auto outputs_seeded = [&]() {
    at::manual_seed(kCheckSeed);  // identical dropout masks in every pass, as Python's check
    return outputs();
  };
  const at::Tensor reference = outputs_seeded();
  const double scale = reference.abs().max().item<double>();
  if (!std::isfinite(scale))
    throw InputError("the network's outputs at its initial parameters are not finite; the scale-invariance check "
                     "cannot be made");
  ScaleInvarianceReport report;
  report.rtol = rtol;
  report.tensors = static_cast<long long>(tensors);
  report.d = scaled;
  report.batch = n;
  report.names.assign(model.tracked_names().begin(), model.tracked_names().begin() + static_cast<long>(tensors));
  for (const double c : factors) {
    at::Tensor w = s.w.clone();
    w.narrow(0, 0, scaled).mul_(c);
    model.set_flat_parameters(w);
    const double diff = (outputs_seeded() - reference).abs().max().item<double>();
    const double rel = scale > 0 ? diff / scale : (diff == 0 ? 0.0 : std::numeric_limits<double>::infinity());
    report.per_factor.emplace_back(c, rel);
    // NaN (a non-finite output) counts as the largest change.
    report.max_rel_change =
        std::max(report.max_rel_change, std::isnan(rel) ? std::numeric_limits<double>::infinity() : rel);
  }
  model.set_flat_parameters(s.w);
  report.scale_invariant = report.max_rel_change <= rtol;
  return report;
}

std::vector<double> Trainer::full_gradient() const {
  if (!s_->full_grad.defined()) return {};
  const at::Tensor g = s_->full_grad.to(at::kCPU).contiguous();
  return std::vector<double>(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
}

void Trainer::keep_last_gradient(bool keep) { s_->keep_grad = keep; }

std::vector<double> Trainer::last_gradient() const {
  if (!s_->last_grad.defined()) return {};
  const at::Tensor g = s_->last_grad.to(at::kCPU).contiguous();
  return std::vector<double>(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
}

nlohmann::json Trainer::describe() const {
  nlohmann::json j = s_->model->describe();
  j.update({{"device", s_->device.str()},
            {"threads", at::get_num_threads()},
            {"interop_threads", at::get_num_interop_threads()},
            {"libtorch", libtorch_version()},
            {"cuda_available", libtorch_has_cuda()},
            {"tf32", !torch_tf32_disabled()},
            {"d", dim()},
            {"si_d", si_dim()}});
  return j;
}

std::string libtorch_version() { return TORCH_VERSION; }
bool libtorch_has_cuda() { return at::hasCUDA(); }

}  // namespace idealgas::train
