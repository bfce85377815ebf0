// The entropy estimator at scale against the reference spherical_entropy() / kl_entropy() (bitwise for k = 1
// without window), across its modes (memory / stream, float32 / float64 products, naive oracle, block sizes,
// thread counts, .npy and snapshot files), and on closed forms: the Gaussian entropy for k > 1, the exact count
// term under an exclusion window, the spread of the standard errors.
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/npy.hpp"
#include "idealgas/measure/npy_stream.hpp"
#include "idealgas/measure/spherical_entropy.hpp"
#include "idealgas/simulate/vmf_sampler.hpp"

using namespace idealgas;
namespace fs = std::filesystem;

namespace {

const double kPi = boost::math::constants::pi<double>();

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

std::vector<double> gaussian(std::size_t n, std::size_t m, double s, std::mt19937_64& rng, double offset = 0.0) {
  std::normal_distribution<double> normal(offset, s);
  std::vector<double> x(n * m);
  for (double& v : x) v = normal(rng);
  return x;
}

// Every reported number and neighbour identical.
void expect_same_estimate(const EntropyEstimate& a, const EntropyEstimate& b, const std::string& what) {
  EXPECT_EQ(a.n_distinct, b.n_distinct) << what;
  EXPECT_EQ(a.duplicates, b.duplicates) << what;
  EXPECT_TRUE(same_bits(a.angle_entropy, b.angle_entropy)) << what << " " << a.angle_entropy << " " << b.angle_entropy;
  EXPECT_TRUE(same_bits(a.mean_log_jacobian, b.mean_log_jacobian)) << what;
  EXPECT_TRUE(same_bits(a.spherical_entropy, b.spherical_entropy)) << what;
  EXPECT_TRUE(same_bits(a.mean_radius, b.mean_radius)) << what;
  EXPECT_TRUE(same_bits(a.total_entropy, b.total_entropy)) << what;
  EXPECT_TRUE(same_bits(a.adjacent_nn_fraction, b.adjacent_nn_fraction)) << what;
  EXPECT_TRUE(same_bits(a.se, b.se)) << what;
  EXPECT_TRUE(same_bits(a.se_iid, b.se_iid)) << what;
  EXPECT_TRUE(same_bits(a.total_se, b.total_se)) << what;
  EXPECT_EQ(a.nn_index, b.nn_index) << what;
}

EntropyOptions opts(bool keep = true) {
  EntropyOptions o;
  o.keep_per_sample = keep;
  return o;
}

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("idealgas_test_entropy_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

}  // namespace

// k = 1, no window: the same bits as the reference, whatever the mode, precision or neighbour search.
TEST(EntropyEstimate, EqualsTheReferenceBitForBit) {
  std::mt19937_64 rng(301);
  struct Case {
    std::vector<double> x;
    std::size_t n, d;
    std::string name;
  };
  std::vector<Case> cases;
  cases.push_back({sample_vmf({0.2, 0.9, 0.4}, 30.0, 400, rng), 400, 3, "vmf d=3"});
  cases.push_back({gaussian(300, 64, 1.0, rng, 0.3), 300, 64, "gauss d=64"});
  // All rows near one direction (angles near pi/2 and the last ones near 0): the network-snapshot regime.
  {
    auto x = gaussian(200, 400, 0.01, rng);
    for (std::size_t i = 0; i < 200; ++i) x[i * 400 + 398] += 10.0;
    cases.push_back({x, 200, 400, "near e_{d-1} d=400"});
  }
  // Duplicates (a row repeated, and a rescaled copy: same angles).
  {
    auto x = gaussian(150, 10, 1.0, rng);
    for (std::size_t q = 0; q < 10; ++q) x.push_back(x[7 * 10 + q]);
    for (std::size_t q = 0; q < 10; ++q) x.push_back(4.0 * x[20 * 10 + q]);
    cases.push_back({x, 152, 10, "duplicates"});
  }
  for (const Case& c : cases)
    for (bool rotate : {false, true}) {
      SphericalEntropyOptions ro;
      ro.rotate_mean_off_singularities = rotate;
      ro.keep_per_sample = true;
      const SphericalEntropyResult ref = spherical_entropy(c.x.data(), c.n, c.d, ro);
      for (int variant = 0; variant < 4; ++variant) {
        EntropyOptions o = opts();
        o.rotate = rotate;
        o.precision = variant == 1 ? GramPrecision::float64 : GramPrecision::float32;
        o.naive = variant == 2;
        if (variant == 3) o.io_cols = 8;  // stream mode, blocks of 8 columns
        if (variant == 3) o.panel_cols = 4;
        const EntropyEstimate e = estimate_entropy(c.x.data(), c.n, c.d, o);
        const std::string what = c.name + " rotate=" + std::to_string(rotate) + " variant=" + std::to_string(variant);
        EXPECT_EQ(e.mode, variant == 3 ? "stream" : "memory") << what;
        EXPECT_EQ(e.n_distinct, ref.n_distinct) << what;
        EXPECT_EQ(e.duplicates, ref.duplicates) << what;
        EXPECT_TRUE(same_bits(e.angle_entropy, ref.angle_entropy))
            << what << " " << e.angle_entropy << " vs " << ref.angle_entropy;
        EXPECT_TRUE(same_bits(e.mean_log_jacobian, ref.mean_log_jacobian)) << what;
        EXPECT_TRUE(same_bits(e.spherical_entropy, ref.spherical_entropy)) << what;
        EXPECT_TRUE(same_bits(e.mean_radius, ref.mean_radius)) << what;
        EXPECT_TRUE(same_bits(e.log_radius_term, ref.log_radius_term)) << what;
        EXPECT_TRUE(same_bits(e.total_entropy, ref.total_entropy)) << what;
        EXPECT_TRUE(same_bits(e.adjacent_nn_fraction, ref.adjacent_nn_fraction)) << what;
        EXPECT_EQ(e.nn_index, ref.nn_index) << what;
        EXPECT_EQ(e.rotated, ref.rotated) << what;
      }
    }
}

// Euclidean: kl_entropy() of the raw vectors, bit for bit.
TEST(EntropyEstimate, EuclideanEqualsKlEntropy) {
  std::mt19937_64 rng(303);
  for (std::size_t m : {1, 2, 5, 40}) {
    const std::size_t n = 250;
    const auto x = gaussian(n, m, 2.0, rng, 5.0);
    const KlEntropyResult ref = kl_entropy(x.data(), n, m);
    for (bool stream : {false, true}) {
      EntropyOptions o = opts();
      o.euclidean = true;
      if (stream) o.io_cols = 4, o.panel_cols = 4;
      const EntropyEstimate e = estimate_entropy(x.data(), n, m, o);
      EXPECT_TRUE(same_bits(e.total_entropy, ref.entropy)) << "m=" << m << " stream=" << stream;
      EXPECT_TRUE(same_bits(e.angle_entropy, ref.entropy));
      EXPECT_EQ(e.m, m);
      EXPECT_TRUE(std::isnan(e.spherical_entropy));
      EXPECT_EQ(e.nn_index, ref.nn_index);
    }
  }
}

// Stream mode (rows read in column blocks, twice) gives the memory mode's bits for every k, window, precision,
// block width and odd dimension (remainders of blocks, panels and the 4 distance lanes), also with --rotate.
TEST(EntropyEstimate, StreamModeEqualsMemoryMode) {
  std::mt19937_64 rng(305);
  for (std::size_t d : {2, 3, 7, 130, 1001}) {
    const std::size_t n = 90;
    const auto x = gaussian(n, d, 1.0, rng, 0.2);
    for (bool euclidean : {false, true})
      for (int k : {1, 3}) {
        EntropyOptions o = opts();
        o.euclidean = euclidean;
        o.k = k;
        o.exclude_window = k == 3 ? 4 : 0;
        o.rotate = !euclidean && d != 3;
        const EntropyEstimate mem = estimate_entropy(x.data(), n, d, o);
        ASSERT_EQ(mem.mode, "memory");
        for (std::size_t io : {4, 12, 1000}) {
          for (GramPrecision p : {GramPrecision::float32, GramPrecision::float64}) {
            EntropyOptions s = o;
            s.io_cols = io;
            s.panel_cols = 4;
            s.precision = p;
            const EntropyEstimate str = estimate_entropy(x.data(), n, d, s);
            ASSERT_EQ(str.mode, "stream");
            expect_same_estimate(str, mem,
                                 "d=" + std::to_string(d) + " eucl=" + std::to_string(euclidean) +
                                     " k=" + std::to_string(k) + " io=" + std::to_string(io));
            EXPECT_EQ(str.log_jacobian, mem.log_jacobian);
            EXPECT_EQ(str.radius, mem.radius);
          }
        }
      }
  }
}

// A budget too small for the angles in memory switches to stream mode by itself, with the same numbers.
TEST(EntropyEstimate, BudgetDecidesTheModeNotTheResult) {
  std::mt19937_64 rng(307);
  const std::size_t n = 120, d = 3000;
  const auto x = gaussian(n, d, 1.0, rng);
  EntropyOptions o = opts();
  o.panel_cols = 256;
  const EntropyEstimate mem = estimate_entropy(x.data(), n, d, o);
  // The angles alone take n (d-1) 8 = 2.9 MB; the Gram matrix, panels and per-row allowance ~1.1 MB.
  o.budget_bytes = 2 << 20;
  const EntropyEstimate str = estimate_entropy(x.data(), n, d, o);
  EXPECT_EQ(mem.mode, "memory");
  EXPECT_EQ(str.mode, "stream");
  EXPECT_LT(str.io_cols, d);
  EXPECT_EQ(str.io_cols % 256, 0u);
  expect_same_estimate(str, mem, "budget");
  o.budget_bytes = 1000;
  EXPECT_THROW(estimate_entropy(x.data(), n, d, o), InputError);
  o.budget_bytes = 2 << 20;
  o.naive = true;
  EXPECT_THROW(estimate_entropy(x.data(), n, d, o), InputError);
}

// .npy files (float64 by write_npy, float32 by the snapshot writer) give the numbers of the same values in memory,
// in both modes, and a row range selects rows.
TEST(EntropyEstimate, FilesEqualMemory) {
  TempDir dir;
  std::mt19937_64 rng(309);
  const std::size_t n = 140, d = 57;
  const auto x = gaussian(n, d, 1.0, rng);
  write_npy(dir.path("x.npy"), x.data(), n, d);
  std::vector<double> x32(x.size());
  {
    NpySnapshotWriter w(dir.path("snap.npy"), d, NpyDtype::float32);
    for (std::size_t i = 0; i < n; ++i) w.append(x.data() + i * d);
    w.flush();
  }
  for (std::size_t i = 0; i < x.size(); ++i) x32[i] = static_cast<double>(static_cast<float>(x[i]));
  EXPECT_EQ(read_npy(dir.path("snap.npy")).data, x32);  // numpy-readable, rows complete
  for (std::size_t io : {0, 8}) {
    EntropyOptions o = opts();
    o.io_cols = io;
    o.panel_cols = 8;
    expect_same_estimate(estimate_entropy_npy(dir.path("x.npy"), o), estimate_entropy(x.data(), n, d, o), "f8");
    expect_same_estimate(estimate_entropy_npy(dir.path("snap.npy"), o), estimate_entropy(x32.data(), n, d, o), "f4");
    expect_same_estimate(estimate_entropy_npy(dir.path("snap.npy"), o, 40, 60),
                         estimate_entropy(x32.data() + 40 * d, 60, d, o), "rows 40..99");
  }
  EXPECT_THROW(estimate_entropy_npy(dir.path("snap.npy"), opts(), 100, 60), InputError);
  EXPECT_THROW(estimate_entropy_npy(dir.path("missing.npy"), opts()), IoError);
  // A non-finite value is named by row and column, in both modes.
  auto bad = x;
  bad[33 * d + 5] = std::nan("");
  write_npy(dir.path("bad.npy"), bad.data(), n, d);
  for (std::size_t io : {0, 8}) {
    EntropyOptions o;
    o.io_cols = io;
    o.panel_cols = 8;
    try {
      estimate_entropy_npy(dir.path("bad.npy"), o);
      ADD_FAILURE() << "no throw";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("row 33 column 5"), std::string::npos) << e.what();
    }
  }
}

// The snapshot file: reopening continues it, a torn last row is dropped, the header keeps its length.
TEST(EntropyEstimate, SnapshotFileAppends) {
  TempDir dir;
  const std::string p = dir.path("q.npy");
  const double r1[] = {1, 2, 3}, r2[] = {4, 5, 6}, r3[] = {7, 8, 9};
  {
    NpySnapshotWriter w(p, 3, NpyDtype::float64);
    w.append(r1);
    w.append(r2);
  }
  EXPECT_EQ(read_npy_layout(p).data_offset, kSnapshotHeaderBytes);
  {
    std::FILE* f = std::fopen(p.c_str(), "ab");  // a row cut short by a crash
    std::fwrite(r3, 8, 2, f);
    std::fclose(f);
  }
  EXPECT_EQ(read_npy(p).rows, 2u);  // trailing bytes ignored
  {
    NpySnapshotWriter w(p, 3, NpyDtype::float64);
    EXPECT_EQ(w.rows(), 2u);
    w.append(r3);
  }
  const NpyMatrix mtx = read_npy(p);
  EXPECT_EQ(mtx.data, (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(fs::file_size(p), kSnapshotHeaderBytes + 9 * 8);
  EXPECT_THROW(NpySnapshotWriter(p, 4, NpyDtype::float64), InputError);
  EXPECT_THROW(NpySnapshotWriter(p, 3, NpyDtype::float32), InputError);
}

// k > 1 on N(0, s^2 I_m), closed form (m/2) log(2 pi e s^2): the Leonenko-Pronzato-Savani estimator is
// consistent, with a finite-N bias that grows with k in m = 3 (the k-th neighbour ball reaches into the tails).
// Measured at N = 2000 over 40 replicates: m = 1 within +-0.006 for k = 1..10; m = 3: -0.012 (k = 1), -0.031
// (k = 2), -0.035 (k = 4), -0.054 (k = 10). Allowance: 0.02 (m = 1), 0.05 (m = 3, k = 4); 8 replicates, 3 SE.
TEST(EntropyEstimate, GaussianEntropyForSeveralK) {
  std::mt19937_64 rng(311);
  const std::size_t n = 2000;
  const double s = 1.5;
  struct Case {
    std::size_t m;
    int k;
    double allowance;
  };
  for (const Case c : {Case{1, 2, 0.02}, Case{1, 10, 0.02}, Case{3, 4, 0.05}}) {
    std::vector<double> h;
    for (int r = 0; r < 8; ++r) {
      EntropyOptions o;
      o.euclidean = true;
      o.k = c.k;
      h.push_back(estimate_entropy(gaussian(n, c.m, s, rng).data(), n, c.m, o).total_entropy);
    }
    double mean = 0.0, ss = 0.0;
    for (double v : h) mean += v / 8.0;
    for (double v : h) ss += (v - mean) * (v - mean);
    const double se = std::sqrt(ss / 7.0 / 8.0);
    const double truth = 0.5 * static_cast<double>(c.m) * std::log(2.0 * kPi * std::exp(1.0) * s * s);
    EXPECT_LT(std::abs(mean - truth), 3.0 * se + c.allowance) << "m=" << c.m << " k=" << c.k << " mean " << mean;
  }
}

// The formula term by term, from the oracle's neighbours: under a window the count term is the mean of
// log n_i, and psi(k) comes from Boost.
TEST(EntropyEstimate, WindowCountTermAndDigammaByHand) {
  std::mt19937_64 rng(313);
  const std::size_t n = 60, m = 4;
  const auto x = gaussian(n, m, 1.0, rng);
  for (std::size_t window : {0, 5, 20})
    for (int k : {1, 4}) {
      EntropyOptions o = opts();
      o.euclidean = true;
      o.k = k;
      o.exclude_window = window;
      const EntropyEstimate e = estimate_entropy(x.data(), n, m, o);
      KnnOptions ko;
      ko.k = k;
      ko.exclude_window = window;
      const KnnResult r = knn_naive(x.data(), n, m, ko);
      double sum = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t count = 0;
        for (std::size_t j = 0; j < n; ++j) count += (j != i && (window <= 1 || (i > j ? i - j : j - i) >= window));
        ASSERT_EQ(r.n_eligible[i], count);
        sum += std::log(static_cast<double>(count)) - boost::math::digamma(static_cast<double>(k)) +
               log_unit_ball_volume(m) + static_cast<double>(m) * 0.5 * std::log(r.dist_sq[i * k + k - 1]);
      }
      EXPECT_NEAR(e.total_entropy, sum / n, 1e-12) << "W=" << window << " k=" << k;
      EXPECT_EQ(e.nn_index, r.index);
      double mean_terms = 0.0;
      for (double t : e.terms) mean_terms += t / n;
      EXPECT_NEAR(mean_terms, e.total_entropy, 1e-12);
    }
}

// Standard errors. Independent clouds: the replicate SD of the estimate against the mean reported se_iid and
// se (batch means), both within [0.6, 1.5] of it (measured ~0.8: neighbouring terms share distances). A slowly
// drifting queue (each row a small step from the previous, k = 1, window 10): batch means see the correlation,
// se > 2 se_iid.
TEST(EntropyEstimate, StandardErrors) {
  std::mt19937_64 rng(317);
  const std::size_t n = 1000, m = 2;
  std::vector<double> h, se, se_iid;
  for (int r = 0; r < 30; ++r) {
    EntropyOptions o;
    o.euclidean = true;
    const EntropyEstimate e = estimate_entropy(gaussian(n, m, 1.0, rng).data(), n, m, o);
    h.push_back(e.total_entropy);
    se.push_back(e.se);
    se_iid.push_back(e.se_iid);
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  double ss = 0.0;
  const double mh = mean(h);
  for (double v : h) ss += (v - mh) * (v - mh);
  const double sd = std::sqrt(ss / (h.size() - 1.0));
  EXPECT_GT(mean(se_iid), 0.6 * sd);
  EXPECT_LT(mean(se_iid), 1.5 * sd);
  EXPECT_GT(mean(se), 0.6 * sd);
  EXPECT_LT(mean(se), 1.5 * sd);

  std::normal_distribution<double> normal;
  std::vector<double> walk(n * 3);
  double a = 0.0, b = 0.0, c = 0.0, va = 0.0, vb = 0.0, vc = 0.0;
  for (std::size_t i = 0; i < n; ++i) {  // an Ornstein-Uhlenbeck-like velocity walk: long correlations
    va = 0.99 * va + 0.1 * normal(rng), vb = 0.99 * vb + 0.1 * normal(rng), vc = 0.99 * vc + 0.1 * normal(rng);
    walk[i * 3] = (a += va), walk[i * 3 + 1] = (b += vb), walk[i * 3 + 2] = (c += vc);
  }
  EntropyOptions o;
  o.euclidean = true;
  o.exclude_window = 10;
  const EntropyEstimate e = estimate_entropy(walk.data(), n, 3, o);
  EXPECT_GT(e.se, 2.0 * e.se_iid) << e.se << " " << e.se_iid;
  EXPECT_EQ(e.se_batches, 20);
}

TEST(EntropyEstimate, ResultDoesNotDependOnTheThreadCount) {
  std::mt19937_64 rng(319);
  const std::size_t n = 600, d = 700;
  const auto x = gaussian(n, d, 1.0, rng, 0.1);
  const int saved = omp_get_max_threads();
  for (std::size_t io : {0, 256}) {
    EntropyOptions o = opts();
    o.k = 2;
    o.io_cols = io;
    o.panel_cols = 128;
    o.tile_rows = 100;
    omp_set_num_threads(1);
    const EntropyEstimate one = estimate_entropy(x.data(), n, d, o);
    omp_set_num_threads(2);
    const EntropyEstimate two = estimate_entropy(x.data(), n, d, o);
    expect_same_estimate(two, one, "threads io=" + std::to_string(io));
  }
  omp_set_num_threads(saved);
}

TEST(EntropyEstimate, InputChecks) {
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_THROW(estimate_entropy(x.data(), 1, 3, EntropyOptions{}), InputError);
  EXPECT_THROW(estimate_entropy(x.data(), 9, 1, EntropyOptions{}), InputError);  // spherical needs d >= 2
  EntropyOptions o;
  o.k = 11;
  EXPECT_THROW(estimate_entropy(x.data(), 3, 3, o), InputError);
  o.k = 2;  // 3 rows, k = 2: fine; window 2 leaves row 1 with no neighbour
  o.exclude_window = 2;
  EXPECT_THROW(estimate_entropy(x.data(), 3, 3, o), InputError);
  std::vector<double> singular = {1, 2, 3, 5, 0, 0, 7, 8, 9};
  try {
    estimate_entropy(singular.data(), 3, 3, EntropyOptions{});
    ADD_FAILURE() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 1 lies on the coordinate singular set"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Valid data of any finite magnitude is estimated, not rejected. Rows of 1e300 overflowed the sums of squares and
// were called "on the coordinate singular set"; rows of 1e-200 underflowed and were called "zero norm". Angles do
// not depend on a row's scale, so S(rho_w_hat) of c x equals that of x up to the rounding of c x (relative 1.1e-16
// per value, which moves the entropy by ~1e-13 nats here; allowance 1e-9), the total moves by exactly m log c
// (same allowance), and the Euclidean entropy by m log c (Kozachenko-Leonenko is scale-equivariant). The stream
// mode, which learns the scales only after its first pass, gives the memory mode's bits.
TEST(EntropyEstimate, RowsOfAnyFiniteMagnitude) {
  std::mt19937_64 rng(331);
  const std::size_t n = 240, d = 6, m = d - 1;
  const auto x = gaussian(n, d, 1.0, rng, 0.5);
  const SphericalEntropyResult ref = spherical_entropy(x.data(), n, d);
  const KlEntropyResult ref_kl = kl_entropy(x.data(), n, d);
  for (const double c : {1e300, 1e-200, 0x1p1000, 0x1p-1000, 1e-300}) {
    std::vector<double> y(x);
    for (double& v : y) v *= c;
    const std::string what = "c=" + std::to_string(std::log10(c));
    const SphericalEntropyResult s = spherical_entropy(y.data(), n, d);
    EXPECT_NEAR(s.spherical_entropy, ref.spherical_entropy, 1e-9) << what;
    EXPECT_NEAR(s.total_entropy - ref.total_entropy, static_cast<double>(m) * std::log(c), 1e-9) << what;
    const KlEntropyResult kl = kl_entropy(y.data(), n, d);
    EXPECT_EQ(kl.duplicates, 0) << what;
    EXPECT_NEAR(kl.entropy - ref_kl.entropy, static_cast<double>(d) * std::log(c), 1e-9) << what;
    for (bool euclidean : {false, true})
      for (bool rotate : {false, true}) {
        if (euclidean && rotate) continue;
        EntropyOptions o = opts();
        o.euclidean = euclidean;
        o.rotate = rotate;
        const EntropyEstimate memory = estimate_entropy(y.data(), n, d, o);
        o.io_cols = 4;
        o.panel_cols = 4;
        const EntropyEstimate stream = estimate_entropy(y.data(), n, d, o);
        EXPECT_EQ(stream.mode, "stream");
        expect_same_estimate(stream, memory, what + (euclidean ? " euclidean" : rotate ? " rotated" : " spherical"));
      }
  }
  // Rows of very different magnitudes in one cloud: each row is scaled on its own, the angles are unchanged.
  std::vector<double> mixed(x);
  const double scales[] = {1e300, 1e-200, 1.0, 1e-300};
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < d; ++k) mixed[i * d + k] *= scales[i % 4];
  EXPECT_NEAR(spherical_entropy(mixed.data(), n, d).spherical_entropy, ref.spherical_entropy, 1e-9);
  EntropyOptions o = opts();
  o.io_cols = 4;
  o.panel_cols = 4;
  expect_same_estimate(estimate_entropy(mixed.data(), n, d, o), estimate_entropy(mixed.data(), n, d, opts()), "mixed");
}

// What is still refused is diagnosed for what it is: a zero row, trailing coordinates that are exactly 0 (the
// singular set), trailing coordinates whose squares underflow against the rest of the row, all rows copies of one
// point (the message says duplicates, how many distinct rows there are and how many are needed).
TEST(EntropyEstimate, DiagnosesNameWhatIsWrong) {
  auto message = [](const std::vector<double>& x, std::size_t d, const EntropyOptions& o) {
    try {
      estimate_entropy(x.data(), x.size() / d, d, o);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({1, 2, 3, 0, 0, 0, 7, 8, 9}, 3, opts()).find("row 1 is zero (all 3 coordinates are 0)"),
            std::string::npos);
  const std::string on_set = message({1, 2, 3, 4, 5, 7, 0, 0, 8, 9, 1, 1}, 4, opts());
  EXPECT_NE(on_set.find("row 1 lies on the coordinate singular set: its last 2 of 4 coordinates are 0"),
            std::string::npos)
      << on_set;
  const std::string underflow = message({1, 2, 3, 4, 1, 2, 1e-200, 1e-200, 3, 1, 2, 1}, 4, opts());
  EXPECT_NE(underflow.find("row 1 lies on the coordinate singular set to double precision"), std::string::npos)
      << underflow;
  EXPECT_NE(underflow.find("underflow"), std::string::npos) << underflow;
  std::vector<double> same;
  for (int i = 0; i < 6; ++i) same.insert(same.end(), {0.3, -1.0, 2.0});
  for (bool naive : {false, true})
    for (int k : {1, 2}) {
      EntropyOptions ko = opts();
      ko.naive = naive;
      ko.k = k;
      const std::string dup = message(same, 3, ko);
      for (const std::string needle : {std::string("6 rows hold only 1 distinct point"), std::string("5 duplicates"),
                                       "at least " + std::to_string(k + 1) + " distinct rows"})
        EXPECT_NE(dup.find(needle), std::string::npos) << dup;
    }
}

// Row ranges whose end would wrap past 2^64 are refused, not wrapped into the file.
TEST(EntropyEstimate, RowRangesAreCheckedWithoutWrapping) {
  TempDir dir;
  std::mt19937_64 rng(337);
  const auto x = gaussian(20, 3, 1.0, rng);
  write_npy(dir.path("x.npy"), x.data(), 20, 3);
  for (const auto& [first, count] : std::vector<std::pair<std::size_t, std::size_t>>{
           {10, SIZE_MAX - 5}, {1, SIZE_MAX}, {21, 0}, {SIZE_MAX, 1}, {19, 2}}) {
    try {
      estimate_entropy_npy(dir.path("x.npy"), opts(), first, count);
      ADD_FAILURE() << first << " " << count;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("the file holds 20 rows"), std::string::npos) << e.what();
    }
  }
}
