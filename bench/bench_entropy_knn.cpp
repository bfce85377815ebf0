// The entropy estimator at scale (docs/entropy.md) against its floor, one float32 Gram product (OpenBLAS ssyrk,
// its own threads) of the same N x D samples, in the same process; the hyperspherical coordinates alone; and the
// per-push cost of the incremental snapshot queue. Samples: the .npy file named by IDEALGAS_ENTROPY_NPY (what
// bench/entropy_vs_peer.sh writes, the peer's samples), else N(0, 1) floats of size IDEALGAS_ENTROPY_N x
// IDEALGAS_ENTROPY_D (default 4000 x 24,408). Timings on the shared 2-core machine are noisy: the script repeats
// and takes medians (bench/README.md).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/knn_exact.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/snapshot_queue.hpp"
#include "idealgas/measure/spherical_coords.hpp"
#include "idealgas/measure/spherical_entropy.hpp"

namespace idealgas {
namespace {

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

struct Samples {
  std::size_t n = 0, d = 0;
  std::vector<double> x;   // [n, d]
  std::vector<float> x32;  // the same values in float32 (exact: the samples are floats)
};

const Samples& samples() {
  static const Samples s = [] {
    Samples r;
    if (const char* path = std::getenv("IDEALGAS_ENTROPY_NPY")) {
      NpyMatrix m = read_npy(path);
      r.n = m.rows, r.d = m.cols, r.x = std::move(m.data);
    } else {
      r.n = env_size("IDEALGAS_ENTROPY_N", 4000), r.d = env_size("IDEALGAS_ENTROPY_D", 24408);
      r.x.resize(r.n * r.d);
      std::mt19937_64 rng(1);
      std::normal_distribution<float> normal;
      for (double& v : r.x) v = normal(rng);
    }
    r.x32.assign(r.x.begin(), r.x.end());
    return r;
  }();
  return s;
}

// The floor: C = X X^T in float32 (upper triangle), OpenBLAS with its own threads.
void BM_GramFloat32(benchmark::State& state) {
  const Samples& s = samples();
  std::vector<float> c(s.n * s.n);
  for (auto _ : state) {
    gram_product_float32(s.x32.data(), s.n, s.d, c.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(s.n) * static_cast<double>(s.n + 1) *
                                                     static_cast<double>(s.d) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_GramFloat32)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The whole spherical estimate (k = 1) from samples in memory; arg 0: float32 products, 1: float64.
void BM_Entropy(benchmark::State& state) {
  const Samples& s = samples();
  EntropyOptions o;
  o.precision = state.range(0) == 0 ? GramPrecision::float32 : GramPrecision::float64;
  EntropyEstimate e;
  for (auto _ : state) {
    e = estimate_entropy(s.x.data(), s.n, s.d, o);
    benchmark::DoNotOptimize(e.total_entropy);
  }
  state.counters["coords_s"] = e.seconds_coordinates;
  state.counters["gram_s"] = e.seconds_gram;
  state.counters["select_s"] = e.seconds_select;
  state.counters["exact_s"] = e.seconds_exact;
  state.counters["candidates"] = e.mean_candidates;
  state.SetLabel(std::to_string(e.spherical_entropy));
}
BENCHMARK(BM_Entropy)->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// Agreement with the naive double-precision reference spherical_entropy() (exhaustive neighbour search) on the
// same samples: |difference| of spherical_entropy with float32 and float64 products, relative difference of the
// total, and whether every neighbour index is the same. Run on N = 2000 (IDEALGAS_ENTROPY_N) for the acceptance.
void BM_AgreementWithReference(benchmark::State& state) {
  const Samples& s = samples();
  SphericalEntropyOptions ro;
  ro.keep_per_sample = true;
  for (auto _ : state) {
    const SphericalEntropyResult ref = spherical_entropy(s.x.data(), s.n, s.d, ro);
    for (GramPrecision p : {GramPrecision::float32, GramPrecision::float64}) {
      EntropyOptions o;
      o.precision = p;
      o.keep_per_sample = true;
      const EntropyEstimate e = estimate_entropy(s.x.data(), s.n, s.d, o);
      const std::string tag = p == GramPrecision::float32 ? "f32_" : "f64_";
      state.counters[tag + "abs_diff_nats"] = std::abs(e.spherical_entropy - ref.spherical_entropy);
      state.counters[tag + "rel_diff_total"] =
          std::abs(e.total_entropy - ref.total_entropy) / std::abs(ref.total_entropy);
      state.counters[tag + "same_indices"] = e.nn_index == ref.nn_index ? 1 : 0;
    }
    state.SetLabel("reference spherical_entropy " + std::to_string(ref.spherical_entropy));
  }
}
BENCHMARK(BM_AgreementWithReference)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// Hyperspherical coordinates of all rows (OpenMP over rows), into a buffer touched beforehand.
void BM_Coordinates(benchmark::State& state) {
  const Samples& s = samples();
  std::vector<double> angles(s.n * (s.d - 1));
  const long long n = static_cast<long long>(s.n);
  for (auto _ : state) {
#pragma omp parallel for schedule(dynamic, 4)
    for (long long i = 0; i < n; ++i)
      to_spherical(s.x.data() + static_cast<std::size_t>(i) * s.d, s.d,
                   angles.data() + static_cast<std::size_t>(i) * (s.d - 1));
    benchmark::DoNotOptimize(angles.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<long long>(s.n * s.d));
}
BENCHMARK(BM_Coordinates)->Unit(benchmark::kMillisecond)->UseRealTime();

// One push into a full snapshot queue of IDEALGAS_QUEUE_N (default 1000) rows of dimension d: the new row's
// angles and its exact distances to all others, O(N d). And one estimate from the full queue, O(N^2).
struct QueueFixture {
  std::size_t capacity, d;
  SnapshotQueue queue;
  std::vector<double> w;
  std::mt19937_64 rng{7};
  QueueFixture(std::size_t cap, std::size_t dim) : capacity(cap), d(dim), queue(cap, dim), w(dim, 0.01) {
    w[dim - 2] = 1.0;
    for (std::size_t p = 0; p < capacity; ++p) step_and_push();
  }
  void step_and_push() {
    std::normal_distribution<double> normal(0.0, 1e-3);
    for (double& v : w) v += normal(rng);
    queue.push(w.data());
  }
};

void BM_QueuePush(benchmark::State& state) {
  QueueFixture f(env_size("IDEALGAS_QUEUE_N", 1000), static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) f.step_and_push();
  state.counters["N"] = static_cast<double>(f.capacity);
}
BENCHMARK(BM_QueuePush)->Arg(24408)->Arg(97200)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_QueueEstimate(benchmark::State& state) {
  QueueFixture f(env_size("IDEALGAS_QUEUE_N", 1000), static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(f.queue.estimate().total_entropy);
  state.counters["N"] = static_cast<double>(f.capacity);
}
BENCHMARK(BM_QueueEstimate)->Arg(24408)->Unit(benchmark::kMillisecond)->UseRealTime();

// After IDEALGAS_QUEUE_PUSHES (default 1000) pushes into a queue of IDEALGAS_QUEUE_N (default 1000) rows of
// dimension d, the queue's estimate against estimate_entropy() from scratch (float64 products) on the same rows.
void BM_QueueEqualsScratch(benchmark::State& state) {
  const std::size_t cap = env_size("IDEALGAS_QUEUE_N", 1000), pushes = env_size("IDEALGAS_QUEUE_PUSHES", 1000);
  const std::size_t d = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    SnapshotQueue queue(cap, d);
    std::vector<double> rows(cap * d), w(d, 0.01);
    w[d - 2] = 1.0;
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal(0.0, 1e-3);
    for (std::size_t p = 0; p < pushes; ++p) {
      for (double& v : w) v += normal(rng);
      queue.push(w.data());
      std::copy(w.begin(), w.end(), rows.begin() + static_cast<std::ptrdiff_t>((p % cap) * d));
    }
    // FIFO order: oldest first.
    const std::size_t size = std::min(cap, pushes), head = pushes > cap ? pushes % cap : 0;
    std::vector<double> fifo(size * d);
    for (std::size_t q = 0; q < size; ++q)
      std::copy(rows.begin() + static_cast<std::ptrdiff_t>(((head + q) % cap) * d),
                rows.begin() + static_cast<std::ptrdiff_t>(((head + q) % cap + 1) * d),
                fifo.begin() + static_cast<std::ptrdiff_t>(q * d));
    EntropyOptions o;
    o.precision = GramPrecision::float64;
    const EntropyEstimate scratch = estimate_entropy(fifo.data(), size, d, o);
    const EntropyEstimate inc = queue.estimate();
    state.counters["rel_diff_total"] =
        std::abs(inc.total_entropy - scratch.total_entropy) / std::abs(scratch.total_entropy);
    state.counters["abs_diff_spherical"] = std::abs(inc.spherical_entropy - scratch.spherical_entropy);
    state.counters["adjacent_nn_fraction"] = inc.adjacent_nn_fraction;
  }
}
BENCHMARK(BM_QueueEqualsScratch)->Arg(24408)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace idealgas

BENCHMARK_MAIN();
