// The vectorised kernels behind the spherical coordinates and the exact distances: atan2 against glibc's
// correctly rounded std::atan2 (ulp distances), the batch form against the scalar form (bitwise, every remainder
// length), the column-blocked coordinates against one block (bitwise), and dist_sq_exact against the reference
// loop it replaced (bitwise).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "idealgas/measure/angle_math.hpp"
#include "idealgas/measure/exact_distance.hpp"
#include "idealgas/measure/spherical_coords.hpp"
#include "idealgas/measure/spherical_stream.hpp"

using namespace idealgas;

namespace {

const double kPi = 3.14159265358979323846;
// fdlibm's atan is < 1 ulp; the division y/x adds at most half an ulp of the argument, which atan does not
// amplify, and pi - a adds one rounding: 2 ulp bounds the distance to the correctly rounded value.
constexpr long long kMaxUlp = 2;

long long ulp_distance(double a, double b) {
  if (a == b) return 0;  // also +0 == -0
  if (std::signbit(a) != std::signbit(b)) return std::numeric_limits<long long>::max();
  std::int64_t ia, ib;
  std::memcpy(&ia, &a, 8);
  std::memcpy(&ib, &b, 8);
  return ia > ib ? ia - ib : ib - ia;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The squared distance loop of spherical_entropy.cpp before dist_sq_exact existed (runtime width, m > 4).
double old_reference_dist_sq(const double* a, const double* b, std::size_t m) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::size_t k = 0;
  for (; k + 4 <= m; k += 4) {
    const double t0 = a[k] - b[k], t1 = a[k + 1] - b[k + 1], t2 = a[k + 2] - b[k + 2], t3 = a[k + 3] - b[k + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  double s = (s0 + s1) + (s2 + s3);
  for (; k < m; ++k) {
    const double t = a[k] - b[k];
    s += t * t;
  }
  return s;
}

}  // namespace

TEST(Atan2Accurate, WithinTwoUlpOfGlibcOverMagnitudesAndSigns) {
  std::mt19937_64 rng(101);
  std::uniform_real_distribution<double> mant(1.0, 2.0), expo(-40.0, 40.0);
  long long worst = 0;
  for (int i = 0; i < 2000000; ++i) {
    double y = std::ldexp(mant(rng), static_cast<int>(expo(rng)));
    double x = std::ldexp(mant(rng), static_cast<int>(expo(rng)) / 4);  // ratios over ~50 binades
    if (i & 1) y = -y;
    if (i & 2) x = -x;
    const long long u = ulp_distance(atan2_accurate(y, x), std::atan2(y, x));
    worst = std::max(worst, u);
    ASSERT_LE(u, kMaxUlp) << "y=" << y << " x=" << x;
  }
  // Ratios at the interval bounds of the reduction (7/16, 11/16, 19/16, 39/16) and around 1.
  for (double b : {0.4375, 0.6875, 1.1875, 2.4375, 1.0})
    for (int s = -50; s <= 50; ++s) {
      const double t = b * (1.0 + s * 1e-16);
      for (double x : {1.0, -1.0, 3.7, -0.001}) {
        const double y = t * std::fabs(x);
        EXPECT_LE(ulp_distance(atan2_accurate(y, x), std::atan2(y, x)), kMaxUlp) << "t=" << t << " x=" << x;
      }
    }
  RecordProperty("worst_ulp", static_cast<int>(worst));
}

TEST(Atan2Accurate, SignedZerosAndAxesFollowStdAtan2) {
  const double z = 0.0;
  for (double y : {z, -z, 1.0, -1.0, 1e-300, -1e300})
    for (double x : {z, -z, 2.0, -2.0, 1e-310, -1e300}) {
      const double a = atan2_accurate(y, x), r = std::atan2(y, x);
      EXPECT_LE(ulp_distance(a, r), kMaxUlp) << "y=" << y << " x=" << x << " got " << a << " want " << r;
      EXPECT_EQ(std::signbit(a), std::signbit(r)) << "y=" << y << " x=" << x;
    }
  EXPECT_EQ(atan2_accurate(0.0, 5.0), 0.0);
  EXPECT_EQ(atan2_accurate(0.0, -5.0), 3.141592653589793);
  EXPECT_EQ(atan2_accurate(7.0, 0.0), 1.5707963267948966);
  EXPECT_EQ(atan2_accurate(7.0, -0.0), 1.5707963267948966);
  EXPECT_EQ(atan2_accurate(1.0, 1.0), kPi / 4);
}

TEST(Atan2OfSqrt, BatchEqualsScalarBitwiseForEveryRemainder) {
  std::mt19937_64 rng(103);
  std::normal_distribution<double> normal;
  for (std::size_t n = 0; n <= 37; ++n) {
    std::vector<double> s(n), x(n), out(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = std::fabs(normal(rng)) * std::exp(3.0 * normal(rng));
      x[i] = normal(rng) * std::exp(3.0 * normal(rng));
    }
    if (n > 3) s[2] = 0.0, x[3] = 0.0, x[1] = -0.0;
    atan2_of_sqrt(s.data(), x.data(), out.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(same_bits(out[i], atan2_accurate(std::sqrt(s[i]), x[i]))) << "n=" << n << " i=" << i;
      ASSERT_GE(out[i], 0.0);
      ASSERT_LE(out[i], kPi);
    }
    atan2_of_sqrt(s.data(), x.data(), s.data(), n);  // in place
    for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(same_bits(s[i], out[i])) << "in place, n=" << n << " i=" << i;
  }
}

// ---------------------------------------------------------------------------------------------------------
TEST(DistSqExact, EqualsTheReplacedReferenceLoopBitwise) {
  std::mt19937_64 rng(107);
  std::normal_distribution<double> normal;
  for (std::size_t m = 1; m <= 67; ++m) {
    std::vector<double> a(m), b(m);
    for (std::size_t k = 0; k < m; ++k) a[k] = normal(rng) * 1e3, b[k] = a[k] + normal(rng) * 1e-5;
    double seq = 0.0;
    for (std::size_t k = 0; k < m; ++k) seq += (a[k] - b[k]) * (a[k] - b[k]);
    const double want = m <= 4 ? seq : old_reference_dist_sq(a.data(), b.data(), m);
    ASSERT_TRUE(same_bits(dist_sq_exact(a.data(), b.data(), m), want)) << "m=" << m;
    ASSERT_TRUE(same_bits(dist_sq_exact(b.data(), a.data(), m), want)) << "symmetric, m=" << m;
    // Any blocking at multiples of 4 gives the same bits.
    for (std::size_t block : {4, 8, 12, 64}) {
      DistSqAccumulator acc(m);
      for (std::size_t c0 = 0; c0 < m; c0 += block) {
        const std::size_t c1 = std::min(m, c0 + block);
        acc.add_block(a.data() + c0, b.data() + c0, c0, c1);
      }
      ASSERT_TRUE(same_bits(acc.value(), want)) << "m=" << m << " block=" << block;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
TEST(SphericalStream, AnyBlockingGivesTheBitsOfOneBlock) {
  std::mt19937_64 rng(109);
  std::normal_distribution<double> normal;
  for (std::size_t d : {2, 3, 4, 5, 9, 100, 513, 1030, 2049}) {
    std::vector<double> x(d);
    for (double& v : x) v = normal(rng);
    std::vector<double> ref(d - 1);
    const SphericalPoint p = to_spherical(x.data(), d, ref.data());
    for (std::size_t block : {1, 2, 3, 7, 64, 511, 512, 1000}) {
      SphericalRowState st = spherical_row_begin(d);
      std::vector<double> ang(d - 1, -7.0);
      std::size_t c1 = d;
      while (c1 > 0) {
        const std::size_t c0 = c1 > block ? c1 - block : 0;
        std::vector<double> out(std::min(c1, d - 1) > c0 ? std::min(c1, d - 1) - c0 : 0);
        spherical_row_block(x.data() + c0, c0, c1, st, out.data());
        std::copy(out.begin(), out.end(), ang.begin() + static_cast<std::ptrdiff_t>(c0));
        c1 = c0;
      }
      const SphericalPoint q = spherical_row_finish(st);
      ASSERT_TRUE(same_bits(q.radius, p.radius)) << "d=" << d << " block=" << block;
      ASSERT_TRUE(same_bits(q.log_jacobian, p.log_jacobian)) << "d=" << d << " block=" << block;
      ASSERT_EQ(std::memcmp(ang.data(), ref.data(), (d - 1) * sizeof(double)), 0) << "d=" << d << " block=" << block;
    }
  }
}

// The angles against glibc's atan2 of the same tail norms (2 ulp), and log J against the sum of logs in long
// double. log J = A - B, A = sum_k log R_k, B = (d-2) log R_1, two large terms: the mantissa product has relative
// error below d 2^-53 (an absolute error below d 2^-53 in A), then A and B are each rounded a few times. So the
// bound is d 2^-53 + 4 2^-53 (|A| + |B|). The plain double sum of logs it replaced only meets the recursive
// summation bound d 2^-53 |A| (measured at d = 2*10^5: 1.5e-8 nats off, against 2.3e-10 for the product).
TEST(SphericalStream, AnglesAndLogJacobianMatchTheDirectFormulas) {
  std::mt19937_64 rng(113);
  std::normal_distribution<double> normal;
  const double u = std::ldexp(1.0, -53);
  for (std::size_t d : {3, 10, 1000, 200000}) {
    std::vector<double> x(d);
    for (double& v : x) v = 0.01 + normal(rng);
    std::vector<double> ang(d - 1);
    const SphericalPoint p = to_spherical(x.data(), d, ang.data());
    double t = x[d - 1] * x[d - 1], sum_log = 0.0;
    long double sum_log_ld = 0.0L;
    std::vector<double> num(d);
    for (std::size_t i = d - 2; i >= 1; --i) {
      t += x[i] * x[i];
      num[i - 1] = t;
      sum_log += 0.5 * std::log(t);
      sum_log_ld += 0.5L * std::log(static_cast<long double>(t));
    }
    t += x[0] * x[0];
    for (std::size_t k = 0; k + 2 < d; ++k)
      ASSERT_LE(ulp_distance(ang[k], std::atan2(std::sqrt(num[k]), x[k])), kMaxUlp) << "d=" << d << " k=" << k;
    EXPECT_LE(ulp_distance(ang[d - 2], std::atan2(x[d - 1], x[d - 2])), kMaxUlp);
    EXPECT_TRUE(same_bits(p.radius, std::sqrt(t)));
    const long double b_ld = static_cast<long double>(d - 2) * 0.5L * std::log(static_cast<long double>(t));
    const double exact = static_cast<double>(sum_log_ld - b_ld);
    const double bound = static_cast<double>(d) * u + 4.0 * u * static_cast<double>(std::fabs(sum_log_ld) + b_ld);
    EXPECT_NEAR(p.log_jacobian, exact, bound) << "d=" << d;
    const double plain = sum_log - static_cast<double>(d - 2) * 0.5 * std::log(t);
    EXPECT_NEAR(plain, exact, static_cast<double>(d) * u * static_cast<double>(std::fabs(sum_log_ld)) + bound);
  }
}

// Trailing zeros put a row on the singular set: log J = -inf, as with the plain sum of logs.
TEST(SphericalStream, SingularRowsGiveMinusInfinity) {
  std::vector<double> x = {1.0, 2.0, 0.0, 0.0, 0.0};
  std::vector<double> ang(4);
  EXPECT_EQ(to_spherical(x.data(), 5, ang.data()).log_jacobian, -std::numeric_limits<double>::infinity());
  std::vector<double> tiny = {1.0, 1e-160, 1e-160, 1e-160};  // subnormal tail sums: exact log, finite
  std::vector<double> ang3(3);
  EXPECT_TRUE(std::isfinite(to_spherical(tiny.data(), 4, ang3.data()).log_jacobian));
}
