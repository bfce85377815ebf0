// GPU check of the entropy's Gram products (bench/gpu.sh): for each size N x d, a slowly drifting cloud of N
// snapshots (a random walk, like a trainer's queue), estimated with the Gram products on OpenBLAS and on a LibTorch
// device (--device, default cuda), in float64 and float32. Prints one table row per size and precision: the
// entropy of both (they must be equal bit for bit: the neighbours' distances are recomputed exactly on the CPU), the
// Gram and total seconds of both, their ratios and the exact recomputations per row. Exit 1 if any pair differs.
//
//   gpu_entropy_check [--device cuda:0] [--sizes 1000x24408,4000x24408] [--threads T]
#include <fmt/format.h>
#include <omp.h>

#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/gpu/torch_gram.hpp"
#include "idealgas/measure/entropy_estimate.hpp"

namespace {

struct Size {
  std::size_t n, d;
};

std::vector<Size> parse_sizes(const std::string& text) {
  std::vector<Size> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const std::size_t x = item.find('x');
    if (x == std::string::npos) throw idealgas::InputError(fmt::format("--sizes '{}': expected NxD,NxD,...", text));
    out.push_back({std::stoull(item.substr(0, x)), std::stoull(item.substr(x + 1))});
  }
  return out;
}

// [n, d]: x_0 ~ N(0, I), x_i = x_{i-1} + 0.05 N(0, I): correlated snapshots, nearest neighbours mostly adjacent.
std::vector<double> random_walk(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::vector<double> x(n * d);
#pragma omp parallel
  {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(omp_get_thread_num()));
    std::normal_distribution<double> normal;
#pragma omp for schedule(static)
    for (long long q = 0; q < static_cast<long long>(n * d); ++q) x[static_cast<std::size_t>(q)] = normal(rng);
  }
  for (std::size_t i = 1; i < n; ++i)
    for (std::size_t c = 0; c < d; ++c) x[i * d + c] = x[(i - 1) * d + c] + 0.05 * x[i * d + c];
  return x;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string device = "cuda", sizes = "1000x24408,4000x24408,8000x50000";
  for (int a = 1; a + 1 < argc; a += 2) {
    const std::string flag = argv[a], value = argv[a + 1];
    if (flag == "--device") device = value;
    else if (flag == "--sizes") sizes = value;
    else if (flag == "--threads") omp_set_num_threads(std::stoi(value));
    else throw idealgas::InputError(fmt::format("unknown flag '{}'; expected --device, --sizes, --threads", flag));
  }
  const auto products = idealgas::make_torch_gram_products("--device", device);
  {  // warm-up: CUDA context, cuBLAS handles (not timed)
    const auto x = random_walk(64, 256, 1);
    idealgas::EntropyOptions o;
    o.gram_products = products.get();
    idealgas::estimate_entropy(x.data(), 64, 256, o);
  }
  fmt::print("| N | d | precision | S total (blas) | S total ({}) | equal bits | Gram s blas | Gram s {} | Gram ratio "
             "| total s blas | total s {} | total ratio | recomputations/row blas, {} |\n",
             device, device, device, device);
  fmt::print("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  bool all_equal = true;
  for (const Size& s : parse_sizes(sizes)) {
    const auto x = random_walk(s.n, s.d, 1000 + s.n);
    for (auto precision : {idealgas::GramPrecision::float64, idealgas::GramPrecision::float32}) {
      idealgas::EntropyOptions o;
      o.precision = precision;
      const auto blas = idealgas::estimate_entropy(x.data(), s.n, s.d, o);
      o.gram_products = products.get();
      const auto dev = idealgas::estimate_entropy(x.data(), s.n, s.d, o);
      const bool equal = std::memcmp(&blas.total_entropy, &dev.total_entropy, sizeof(double)) == 0 &&
                         std::memcmp(&blas.se, &dev.se, sizeof(double)) == 0;
      all_equal = all_equal && equal;
      fmt::print("| {} | {} | {} | {:.17g} | {:.17g} | {} | {:.3f} | {:.3f} | {:.1f}x | {:.3f} | {:.3f} | {:.2f}x | {:.3f}, "
                 "{:.3f} |\n",
                 s.n, s.d, idealgas::gram_precision_name(precision), blas.total_entropy, dev.total_entropy,
                 equal ? "yes" : "NO", blas.seconds_gram, dev.seconds_gram, blas.seconds_gram / dev.seconds_gram,
                 blas.seconds_total, dev.seconds_total, blas.seconds_total / dev.seconds_total, blas.mean_candidates,
                 dev.mean_candidates);
      std::fflush(stdout);
    }
  }
  return all_equal ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "gpu_entropy_check: " << e.what() << "\n";
  return 2;
}
