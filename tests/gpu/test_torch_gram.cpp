// The entropy's Gram products through LibTorch (src/gpu/): the device is parsed strictly and sets TF32 off; the
// products honour the rounding bound knn_gram relies on (gram_products.hpp); and because every neighbour distance
// is recomputed exactly, knn_gram and estimate_entropy give the OpenBLAS path's neighbours and entropy bit for bit
// on every device. Run on the CPU device always, and on cuda:0 too where this LibTorch sees a GPU.
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/gpu/torch_device.hpp"
#include "idealgas/gpu/torch_gram.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/knn_exact.hpp"

using namespace idealgas;

namespace {

std::vector<std::string> devices() {
  std::vector<std::string> d{"cpu"};
  if (torch::cuda::is_available()) d.push_back("cuda:0");
  return d;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

std::vector<double> gaussian(std::size_t n, std::size_t m, double mean, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(mean, 1.0);
  std::vector<double> x(n * m);
  for (double& v : x) v = normal(rng);
  return x;
}

// G of `x` [n, m] through the device in panels of w columns, in precision T.
template <class T>
std::vector<T> device_gram(GramProducts& g, const std::vector<double>& x, std::size_t n, std::size_t m, std::size_t w) {
  g.begin(n, std::is_same_v<T, float> ? GramPrecision::float32 : GramPrecision::float64);
  for (std::size_t c0 = 0; c0 < m; c0 += w) {
    const std::size_t c1 = std::min(m, c0 + w);
    std::vector<T> panel(n * (c1 - c0));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = c0; c < c1; ++c) panel[i * (c1 - c0) + (c - c0)] = static_cast<T>(x[i * m + c]);
    g.add_panel(panel.data(), c1 - c0);
  }
  std::vector<T> out(n * n);
  g.finish(out.data());
  return out;
}

// |fl(G_ij) - sum_k a_ik a_jk| <= gamma_{w+P}(u) sum_k |a_ik a_jk| (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., §3.1: any order of summation), a_ik the values as rounded to T. The reference sums are in
// long double over products exact in double (T = float) or rounded once at 2^-64 (T = double): their own error,
// at most m 2^-63 sum |a a|, is added to the tolerance. Returns the largest error / bound (must be <= 1).
template <class T>
double worst_bound_ratio(const std::vector<T>& g, const std::vector<double>& x, std::size_t n, std::size_t m,
                         std::size_t w) {
  const double u = std::is_same_v<T, float> ? 0x1p-24 : 0x1p-53;
  const double terms = static_cast<double>(w) + std::ceil(static_cast<double>(m) / static_cast<double>(w));
  const double gamma = terms * u / (1.0 - terms * u) + static_cast<double>(m) * 0x1p-63;
  double worst = 0.0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i; j < n; ++j) {  // the upper triangle: what the contract promises
      long double exact = 0.0L, abs_sum = 0.0L;
      for (std::size_t k = 0; k < m; ++k) {
        const long double a = static_cast<T>(x[i * m + k]), b = static_cast<T>(x[j * m + k]);
        exact += a * b;
        abs_sum += std::fabs(a * b);
      }
      const double err = static_cast<double>(std::fabs(static_cast<long double>(g[i * n + j]) - exact));
      worst = std::max(worst, err / (gamma * static_cast<double>(abs_sum)));
    }
  return worst;
}

}  // namespace

TEST(TorchDevice, NamesAreParsedStrictly) {
  EXPECT_TRUE(open_torch_device("--device", "cpu").is_cpu());
  for (const std::string bad : {"gpu", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:+1", "cuda:1000", " cpu", "cuda:0 ",
                                "", "blas"}) {
    const std::string msg = error_of([&] { open_torch_device("--device", bad); });
    EXPECT_NE(msg.find("--device '" + bad + "': expected cpu, cuda or cuda:N"), std::string::npos) << msg;
  }
}

TEST(TorchDevice, TensorFloat32IsOff) {
  // LibTorch turns TF32 on in cuDNN by default; opening any device turns it off in cuBLAS and cuDNN.
  at::globalContext().setAllowTF32CuDNN(true);
  EXPECT_FALSE(torch_tf32_disabled());
  open_torch_device("train.device", "cpu");
  EXPECT_TRUE(torch_tf32_disabled());
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
}

TEST(TorchDevice, CudaWithoutGpuIsOneClearLine) {
  if (torch::cuda::is_available()) {
    EXPECT_TRUE(open_torch_device("--device", "cuda").is_cuda());
    const int gpus = static_cast<int>(torch::cuda::device_count());
    const std::string past = "cuda:" + std::to_string(gpus);
    EXPECT_NE(error_of([&] { open_torch_device("--device", past); }).find("GPU(s) visible"), std::string::npos);
    return;
  }
  for (const std::string name : {"cuda", "cuda:0", "cuda:3"}) {
    const std::string msg = error_of([&] { make_torch_gram_products("--device", name); });
    EXPECT_NE(msg.find("--device '" + name + "': this LibTorch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("was built without CUDA or sees no GPU"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(TorchGram, ProductsStayWithinTheRoundingBound) {
  std::mt19937_64 rng(1201);
  // Odd sizes: 5 panels of 64 columns and a last one of 44; rows not a multiple of anything.
  const std::size_t n = 67, m = 300, w = 64;
  const auto x = gaussian(n, m, 0.0, rng);
  for (const std::string& dev : devices()) {
    const auto g = make_torch_gram_products("--device", dev);
    const double r32 = worst_bound_ratio(device_gram<float>(*g, x, n, m, w), x, n, m, w);
    const double r64 = worst_bound_ratio(device_gram<double>(*g, x, n, m, w), x, n, m, w);
    EXPECT_LE(r32, 1.0) << dev;
    EXPECT_LE(r64, 1.0) << dev;
    // The check has teeth: the products are rounded (the worst error is a visible share of the bound), and a
    // 10-bit mantissa (TF32) would be ~2^13 times the float32 bound.
    EXPECT_GT(r32, 1e-4) << dev;
    std::printf("%s: worst |G - exact| / bound: float32 %.3g, float64 %.3g\n", dev.c_str(), r32, r64);
    EXPECT_EQ(g->device(), dev);
  }
}

TEST(TorchGram, NeighboursEqualTheBlasPathBitForBit) {
  std::mt19937_64 rng(1202);
  struct Data {
    std::string name;
    std::vector<double> x;
    std::size_t n, m;
  };
  std::vector<Data> data;
  data.push_back({"gaussian", gaussian(203, 1500, 0.0, rng), 203, 1500});
  data.push_back({"far from the origin", gaussian(150, 700, 50.0, rng), 150, 700});
  {  // integer coordinates in {0, 1, 2}: exact ties; rows 5 and 40 copies of row 3
    std::uniform_int_distribution<int> coord(0, 2);
    Data d{"integers with ties and copies", std::vector<double>(120 * 9), 120, 9};
    for (double& v : d.x) v = coord(rng);
    for (std::size_t c = 0; c < 9; ++c) d.x[5 * 9 + c] = d.x[40 * 9 + c] = d.x[3 * 9 + c];
    data.push_back(d);
  }
  for (const std::string& dev : devices()) {
    const auto products = make_torch_gram_products("--device", dev);
    for (const Data& d : data)
      for (GramPrecision precision : {GramPrecision::float32, GramPrecision::float64})
        for (int k : {1, 3})
          for (std::size_t window : {std::size_t{0}, std::size_t{5}}) {
            GramKnnOptions o;
            o.k = k;
            o.exclude_window = window;
            o.precision = precision;
            o.panel_cols = 256;
            o.tile_rows = 64;
            const KnnResult blas = knn_gram(d.x.data(), d.n, d.m, o);
            o.products = products.get();
            const KnnResult torch = knn_gram(d.x.data(), d.n, d.m, o);
            const std::string what = dev + ", " + d.name + ", " + gram_precision_name(precision) + ", k = " +
                                     std::to_string(k) + ", window " + std::to_string(window);
            EXPECT_EQ(torch.index, blas.index) << what;
            EXPECT_EQ(torch.dist_sq.size(), blas.dist_sq.size()) << what;
            for (std::size_t q = 0; q < blas.dist_sq.size(); ++q)  // bits (NaN for dropped rows in both)
              ASSERT_EQ(std::memcmp(&torch.dist_sq[q], &blas.dist_sq[q], sizeof(double)), 0) << what << ", " << q;
            EXPECT_EQ(torch.dropped, blas.dropped) << what;
            EXPECT_EQ(torch.duplicates, blas.duplicates) << what;
            EXPECT_GE(torch.mean_candidates, static_cast<double>(k)) << what;
          }
  }
}

TEST(TorchGram, EntropyEqualsTheBlasPathInEveryMode) {
  std::mt19937_64 rng(1203);
  const std::size_t n = 180, d = 2500;
  auto x = gaussian(n, d, 0.0, rng);
  for (std::size_t i = 1; i < n; ++i)  // a slow random walk: correlated snapshots, as a trainer's queue
    for (std::size_t c = 0; c < d; ++c) x[i * d + c] = x[(i - 1) * d + c] + 0.05 * x[i * d + c];
  for (const std::string& dev : devices()) {
    const auto products = make_torch_gram_products("--device", dev);
    for (bool euclidean : {false, true})
      for (bool stream : {false, true}) {
        EntropyOptions o;
        o.euclidean = euclidean;
        o.k = 2;
        o.exclude_window = 3;
        o.precision = GramPrecision::float64;
        o.panel_cols = 512;
        if (stream) {
          o.budget_bytes = std::size_t{2} << 20;  // 2 MiB < the 3.6 MB of angles: column blocks, read twice
          o.io_cols = 1024;
        }
        const EntropyEstimate blas = estimate_entropy(x.data(), n, d, o);
        o.gram_products = products.get();
        const EntropyEstimate torch = estimate_entropy(x.data(), n, d, o);
        const std::string what = dev + (euclidean ? ", euclidean" : ", spherical") + (stream ? ", stream" : ", memory");
        EXPECT_EQ(torch.mode, stream ? "stream" : "memory") << what;
        EXPECT_EQ(blas.gram_device, "blas");
        EXPECT_EQ(torch.gram_device, dev);
        // Bitwise: the same neighbours and exact distances, then the same formula.
        EXPECT_EQ(torch.total_entropy, blas.total_entropy) << what;
        EXPECT_EQ(torch.angle_entropy, blas.angle_entropy) << what;
        EXPECT_EQ(torch.se, blas.se) << what;
        EXPECT_EQ(torch.duplicates, blas.duplicates) << what;
        EXPECT_TRUE(std::isfinite(torch.total_entropy)) << what;
      }
  }
  // The oracle computes no products: a device with --naive is refused.
  EntropyOptions o;
  o.naive = true;
  const auto products = make_torch_gram_products("--device", "cpu");
  o.gram_products = products.get();
  EXPECT_NE(error_of([&] { estimate_entropy(x.data(), n, d, o); }).find("naive"), std::string::npos);
}
