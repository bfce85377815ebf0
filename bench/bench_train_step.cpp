// Speed of the trainer (train/trainer.hpp): one SGD step (batch draw, forward/backward, float64 protocol step,
// weights back into the network) and one full-batch gradient, on synthetic CIFAR-shaped data (3x32x32,
// 10,000 images, like the PyTorch peer train_torch_peer.py, bench/README.md). Arguments: ConvNet width k, threads,
// channels_last (0/1), protocol (0 lr, 1 elr, 2 sphere). bench/train_vs_peer.sh runs it against the peer.
// BM_TrainStepMlp: the same step of the scale-invariant MLP (model.arch = "mlp") on Fashion-MNIST-shaped synthetic
// data (1x28x28 = 784 features, 10,000 images, batch 128; like bench/train_mlp_peer.py); BM_MlpGemmFloor: the
// matrix products of that step alone (its FLOP floor on this core); BM_SgemmPeak: one large float32 product (the
// core's attainable GEMM rate). Arguments of the MLP ones: width, depth, threads, protocol.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "idealgas/train/trainer.hpp"
#include "idealgas/train/training_data.hpp"

// OpenBLAS's thread count: LibTorch's CPU matrix products run in its pool, which at::set_num_threads does not size.
extern "C" void openblas_set_num_threads(int num_threads);

namespace idealgas::train {
namespace {

void set_gemm_threads(int threads) {
  at::set_num_threads(threads);
  openblas_set_num_threads(threads);
}

const char* const kProtocols[3] = {"name = \"lr\"\neta = 0.01\nlambda = 0.001\n",
                                   "name = \"elr\"\neta_eff = 0.01\nlambda = 0.001\n",
                                   "name = \"sphere\"\neta_eff = 0.01\nradius = 1.0\n"};

TrainConfig bench_config(int k, int threads, bool channels_last, int protocol, long long images, int channels) {
  return TrainConfig::from_toml_string(
      fmt::format("[model]\narch = \"convnet\"\nwidth = {}\nchannels_last = {}\n[data]\ndataset = \"synthetic\"\n"
                  "synthetic_shape = [{}, 32, 32]\nsynthetic_train = {}\nsynthetic_test = 100\n[train]\n"
                  "batch_size = 128\nthreads = {}\n[measure]\neval_chunk = 1024\n[protocol]\n{}",
                  k, channels_last ? "true" : "false", channels, images, threads, kProtocols[protocol]),
      "bench");
}

void BM_TrainStep(benchmark::State& state) {
  const TrainConfig c = bench_config(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
                                     state.range(2) != 0, static_cast<int>(state.range(3)), 10000,
                                     static_cast<int>(state.range(4)));
  const TrainingData data = prepare_training_data(c);
  Trainer trainer(c, data);
  for (int i = 0; i < 5; ++i) trainer.step();  // warm-up, as the peer
  for (auto _ : state) benchmark::DoNotOptimize(trainer.step().loss);
  state.counters["d"] = static_cast<double>(trainer.dim());
}
// k, threads, channels_last, protocol, input channels
BENCHMARK(BM_TrainStep)
    ->ArgsProduct({{4, 8}, {1, 2}, {0, 1}, {0, 1, 2}, {3}})
    ->Args({4, 1, 1, 1, 1})
    ->Args({4, 2, 1, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A full-batch gradient (train-mode BN over chunks of 1024) over 10,000 images: the cost of one log point.
void BM_FullBatchGradient(benchmark::State& state) {
  const TrainConfig c = bench_config(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), true, 1,
                                     10000, static_cast<int>(state.range(2)));
  const TrainingData data = prepare_training_data(c);
  Trainer trainer(c, data);
  for (auto _ : state) benchmark::DoNotOptimize(trainer.train_metrics().loss);
}
BENCHMARK(BM_FullBatchGradient)->Args({4, 1, 1})->Args({4, 2, 1})->Args({4, 2, 3})->Args({8, 2, 3})
    ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

constexpr long long kMlpBatch = 128, kMlpFeatures = 784, kMlpClasses = 10;

TrainConfig mlp_config(int width, int depth, int threads, int protocol) {
  return TrainConfig::from_toml_string(
      fmt::format("[model]\narch = \"mlp\"\nwidth = {}\ndepth = {}\n[data]\ndataset = \"synthetic\"\n"
                  "synthetic_shape = [1, 28, 28]\nsynthetic_train = 10000\nsynthetic_test = 100\n[train]\n"
                  "batch_size = {}\nthreads = {}\n[measure]\neval_chunk = 1024\n[protocol]\n{}",
                  width, depth, kMlpBatch, threads, kProtocols[protocol]),
      "bench");
}

// FLOPs of one MLP step (multiply-adds x 2): forward B (F k + (L-1) k^2 + k C); backward the weight gradients
// B (F k + (L-1) k^2) and the input gradients of every layer but the first, B ((L-1) k^2 + k C).
double mlp_step_flops(long long k, long long depth) {
  const long long hidden = (depth - 1) * k * k;
  return 2.0 * kMlpBatch * (2 * kMlpFeatures * k + 3 * hidden + 2 * k * kMlpClasses);
}

void BM_TrainStepMlp(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0)), depth = static_cast<int>(state.range(1));
  const TrainConfig c = mlp_config(k, depth, static_cast<int>(state.range(2)), static_cast<int>(state.range(3)));
  const TrainingData data = prepare_training_data(c);
  Trainer trainer(c, data);
  for (int i = 0; i < 5; ++i) trainer.step();  // warm-up, as the peer
  for (auto _ : state) benchmark::DoNotOptimize(trainer.step().loss);
  state.counters["d"] = static_cast<double>(trainer.dim());
  state.counters["GFLOP/s"] = benchmark::Counter(mlp_step_flops(k, depth) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
// width, depth, threads, protocol
BENCHMARK(BM_TrainStepMlp)
    ->ArgsProduct({{64}, {2}, {1, 2}, {0, 1, 2}})
    ->Args({256, 2, 1, 1})
    ->Args({64, 4, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The matrix products of one MLP step, nothing else (same shapes, float32, LibTorch's CPU GEMM): forward
// x W1^T, h W^T per hidden layer, the head; backward dW = dZ^T h per layer and dH = dZ W for all but the first.
void BM_MlpGemmFloor(benchmark::State& state) {
  const long long k = state.range(0), depth = state.range(1);
  set_gemm_threads(static_cast<int>(state.range(2)));
  const at::Tensor x = at::randn({kMlpBatch, kMlpFeatures}), w1 = at::randn({k, kMlpFeatures}),
                   w = at::randn({k, k}), head = at::randn({kMlpClasses, k}), h = at::randn({kMlpBatch, k}),
                   dz = at::randn({kMlpBatch, k}), dlogits = at::randn({kMlpBatch, kMlpClasses});
  for (auto _ : state) {
    benchmark::DoNotOptimize(at::mm(x, w1.t()));
    for (long long l = 1; l < depth; ++l) benchmark::DoNotOptimize(at::mm(h, w.t()));
    benchmark::DoNotOptimize(at::mm(h, head.t()));
    benchmark::DoNotOptimize(at::mm(dlogits, head));  // into the last hidden layer
    benchmark::DoNotOptimize(at::mm(dz.t(), x));      // dW1
    for (long long l = 1; l < depth; ++l) {
      benchmark::DoNotOptimize(at::mm(dz.t(), h));  // dW
      benchmark::DoNotOptimize(at::mm(dz, w));      // dH
    }
  }
  state.counters["GFLOP/s"] = benchmark::Counter(mlp_step_flops(k, depth) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpGemmFloor)->Args({64, 2, 1})->Args({256, 2, 1})->Args({64, 4, 1})->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One 1024^3 float32 product: the core's attainable GEMM rate (2 n^3 FLOPs).
void BM_SgemmPeak(benchmark::State& state) {
  set_gemm_threads(static_cast<int>(state.range(0)));
  const at::Tensor a = at::randn({1024, 1024}), b = at::randn({1024, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(at::mm(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 1024 * 1024 * 1024 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SgemmPeak)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace idealgas::train

BENCHMARK_MAIN();
