// Speed of the trainer (train/trainer.hpp): one SGD step (batch draw, forward/backward, float64 protocol step,
// weights back into the network) and one full-batch gradient, on synthetic CIFAR-shaped data (3x32x32,
// 10,000 images, like the PyTorch peer train_torch_peer.py, bench/README.md). Arguments: ConvNet width k, threads,
// channels_last (0/1), protocol (0 lr, 1 elr, 2 sphere). bench/train_vs_peer.sh runs it against the peer.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "idealgas/train/trainer.hpp"
#include "idealgas/train/training_data.hpp"

namespace idealgas::train {
namespace {

TrainConfig bench_config(int k, int threads, bool channels_last, int protocol, long long images, int channels) {
  const char* protocols[3] = {"name = \"lr\"\neta = 0.01\nlambda = 0.001\n",
                              "name = \"elr\"\neta_eff = 0.01\nlambda = 0.001\n",
                              "name = \"sphere\"\neta_eff = 0.01\nradius = 1.0\n"};
  return TrainConfig::from_toml_string(
      fmt::format("[model]\narch = \"convnet\"\nwidth = {}\nchannels_last = {}\n[data]\ndataset = \"synthetic\"\n"
                  "synthetic_shape = [{}, 32, 32]\nsynthetic_train = {}\nsynthetic_test = 100\n[train]\n"
                  "batch_size = 128\nthreads = {}\n[measure]\neval_chunk = 1024\n[protocol]\n{}",
                  k, channels_last ? "true" : "false", channels, images, threads, protocols[protocol]),
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

}  // namespace
}  // namespace idealgas::train

BENCHMARK_MAIN();
