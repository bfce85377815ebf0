// The incremental snapshot queue: after any number of pushes (here up to 1000, the queue wrapping around many
// times) its estimate equals estimate_entropy() computed from scratch on the same snapshots in FIFO order, bit for
// bit, for k = 1 and k = 3 with an exclusion window, spherical and Euclidean, with duplicated snapshots.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "idealgas/core/error.hpp"
#include "idealgas/measure/entropy_estimate.hpp"
#include "idealgas/measure/snapshot_queue.hpp"

using namespace idealgas;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

void expect_same(const EntropyEstimate& q, const EntropyEstimate& s, const std::string& what) {
  EXPECT_EQ(q.n, s.n) << what;
  EXPECT_EQ(q.n_distinct, s.n_distinct) << what;
  EXPECT_EQ(q.duplicates, s.duplicates) << what;
  EXPECT_TRUE(same_bits(q.angle_entropy, s.angle_entropy)) << what << " " << q.angle_entropy << " " << s.angle_entropy;
  EXPECT_TRUE(same_bits(q.mean_log_jacobian, s.mean_log_jacobian)) << what;
  EXPECT_TRUE(same_bits(q.total_entropy, s.total_entropy)) << what;
  EXPECT_TRUE(same_bits(q.mean_radius, s.mean_radius)) << what;
  EXPECT_TRUE(same_bits(q.adjacent_nn_fraction, s.adjacent_nn_fraction)) << what;
  EXPECT_TRUE(same_bits(q.se, s.se)) << what;
  EXPECT_TRUE(same_bits(q.total_se, s.total_se)) << what;
  EXPECT_EQ(q.nn_index, s.nn_index) << what;
}

}  // namespace

TEST(SnapshotQueue, EqualsAFromScratchEstimateAfterEveryKindOfPush) {
  const std::size_t capacity = 40, dim = 25;
  for (bool euclidean : {false, true})
    for (int k : {1, 3}) {
      SnapshotQueueOptions qo;
      qo.euclidean = euclidean;
      qo.k = k;
      qo.exclude_window = k == 3 ? 2 : 0;
      SnapshotQueue queue(capacity, dim, qo);
      std::deque<std::vector<double>> fifo;
      std::mt19937_64 rng(401);
      std::normal_distribution<double> normal;
      std::vector<double> w(dim, 0.3);
      w[dim - 2] = 5.0;  // a direction far from the poles, as trained weights are
      for (int push = 1; push <= 1000; ++push) {
        if (push % 97 == 0 && !fifo.empty()) {
          w = fifo[fifo.size() / 2];  // a duplicated snapshot
        } else {
          for (double& v : w) v += 0.05 * normal(rng);
        }
        queue.push(w.data());
        fifo.push_back(w);
        if (fifo.size() > capacity) fifo.pop_front();
        if (!(push == 2 || push == 7 || push == 40 || push == 41 || push == 97 || push == 500 || push == 1000))
          continue;
        if (k == 3 && fifo.size() < 8) continue;
        std::vector<double> rows;
        for (const auto& r : fifo) rows.insert(rows.end(), r.begin(), r.end());
        EntropyOptions o;
        o.euclidean = euclidean;
        o.k = k;
        o.exclude_window = qo.exclude_window;
        o.keep_per_sample = true;
        const EntropyEstimate scratch = estimate_entropy(rows.data(), fifo.size(), dim, o);
        expect_same(
            queue.estimate(true), scratch,
            "push " + std::to_string(push) + " euclidean=" + std::to_string(euclidean) + " k=" + std::to_string(k));
      }
      EXPECT_EQ(queue.pushes(), 1000);
      EXPECT_EQ(queue.size(), capacity);
    }
}

TEST(SnapshotQueue, FloatPushesAreWidenedExactly) {
  const std::size_t dim = 9;
  SnapshotQueue qf(5, dim), qd(5, dim);
  std::mt19937_64 rng(403);
  std::normal_distribution<float> normal;
  for (int p = 0; p < 8; ++p) {
    std::vector<float> wf(dim);
    for (float& v : wf) v = normal(rng);
    std::vector<double> wd(wf.begin(), wf.end());
    qf.push(wf.data());
    qd.push(wd.data());
  }
  expect_same(qf.estimate(true), qd.estimate(true), "float");
}

TEST(SnapshotQueue, RejectedPushesLeaveTheQueueUnchanged) {
  SnapshotQueue q(3, 3);
  const double a[] = {1, 2, 3}, b[] = {2, 1, 3}, c[] = {3, 1, 2};
  q.push(a), q.push(b), q.push(c);
  const EntropyEstimate before = q.estimate();
  const double nan_row[] = {1, std::nan(""), 3}, singular[] = {1, 0, 0};
  EXPECT_THROW(q.push(nan_row), InputError);
  EXPECT_THROW(q.push(singular), InputError);
  EXPECT_EQ(q.pushes(), 3);
  expect_same(q.estimate(), before, "after rejected pushes");
  EXPECT_THROW(SnapshotQueue(1, 3), InputError);
  EXPECT_THROW(SnapshotQueue(3, 1), InputError);
  SnapshotQueue one(4, 3);
  one.push(a);
  EXPECT_THROW(one.estimate(), InputError);
}

// Sizes past what the neighbour search or memory can hold are an InputError naming the capacity (never a wrapped
// allocation); rows of 1e300 or 1e-200 are valid pushes (their angles are those of the unscaled rows); a queue of
// copies of one snapshot says "duplicates".
TEST(SnapshotQueue, SizesMagnitudesAndDuplicates) {
  for (const std::size_t capacity : {std::size_t{1} << 33, std::size_t{3'000'000'000}}) {
    try {
      SnapshotQueue q(capacity, 3);
      ADD_FAILURE() << capacity;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("capacity " + std::to_string(capacity)), std::string::npos) << e.what();
    }
  }
  SnapshotQueue plain(4, 3), large(4, 3), tiny(4, 3);
  const double rows[4][3] = {{1, 2, 3}, {2, 1, 3}, {3, 1, 2}, {1, 3, 2}};
  for (const auto& r : rows) {
    const double big[] = {r[0] * 0x1p1000, r[1] * 0x1p1000, r[2] * 0x1p1000};
    const double small[] = {r[0] * 0x1p-700, r[1] * 0x1p-700, r[2] * 0x1p-700};
    plain.push(r), large.push(big), tiny.push(small);
  }
  // Power-of-two scales: the same angles exactly, so the same angle entropy bit for bit.
  EXPECT_TRUE(same_bits(large.estimate().angle_entropy, plain.estimate().angle_entropy));
  EXPECT_TRUE(same_bits(tiny.estimate().angle_entropy, plain.estimate().angle_entropy));
  SnapshotQueue copies(5, 3);
  for (int i = 0; i < 5; ++i) copies.push(rows[0]);
  try {
    copies.estimate();
    ADD_FAILURE() << "no throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("snapshot queue: the 5 rows hold only 1 distinct point"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("4 duplicates"), std::string::npos) << e.what();
  }
}
