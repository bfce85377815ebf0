// Micro-benchmarks of the isotropic simulator's inner loop and of the exact VMF statistics. Absolute times
// on the shared 2-core machine are noisy: compare ratios measured in one run (bench/README.md).
#include <benchmark/benchmark.h>

#include "idealgas/core/rng.hpp"
#include "idealgas/simulate/iso_grid.hpp"
#include "idealgas/simulate/iso_model.hpp"
#include "idealgas/theory/vmf.hpp"

namespace idealgas {
namespace {

// Normals of one iteration (d draws) from a configuration's counter-based stream.
void BM_StandardNormals(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  std::vector<double> eps(d);
  std::uint64_t t = 0;
  for (auto _ : state) {
    standard_normals(0x1234, ++t, eps.data(), d);
    benchmark::DoNotOptimize(eps.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StandardNormals)->Arg(3)->Arg(10)->Arg(100);

// One configuration-iteration of the whole walker loop (noise + update + bookkeeping), no entropy window:
// a 1x1 grid advanced through the first part of a run.
void BM_WalkerIteration(benchmark::State& state) {
  IsoConfig c;
  c.d = state.range(0);
  c.grid = 1;
  c.threads = 1;
  const long long chunk = 100'000;
  for (auto _ : state) {
    IsoGrid g(c, Protocol::fixed_lr);
    g.advance_to(chunk);
    benchmark::DoNotOptimize(g.walkers()[0].w.data());
  }
  state.SetItemsProcessed(state.iterations() * chunk);
}
BENCHMARK(BM_WalkerIteration)->Arg(3)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_VmfStats(benchmark::State& state) {
  const long long d = state.range(0);
  double T = 1e-6;
  for (auto _ : state) {
    benchmark::DoNotOptimize(theory::vmf_stats(d, T));
  }
}
BENCHMARK(BM_VmfStats)->Arg(3)->Arg(24408)->Arg(1000000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace idealgas

BENCHMARK_MAIN();
