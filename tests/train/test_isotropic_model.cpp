// The network whose answer is known (model.arch = "isotropic", train/isotropic_model.hpp): the trainer's gradient
// and update are the simulator's, its measurements of the noise are unbiased, and a whole run through the trainer's
// pipeline (schedule, Tr Sigma estimators, queues, entropy, summary) lands on the closed forms and on `simulate iso`.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "idealgas/core/rng.hpp"
#include "idealgas/simulate/iso_model.hpp"
#include "idealgas/train/train_config.hpp"
#include "idealgas/train/trainer.hpp"
#include "idealgas/train/training_data.hpp"
#include "support/cli_folder_test.hpp"

namespace idealgas {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::slurp;
using train::TrainConfig;

TrainConfig iso_config(const char* protocol) {
  return TrainConfig::from_preset_and_toml_string(std::string("iso-model-") + protocol, "", "test");
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// One step of the trainer against the formula of docs/theory.md §4 and against the simulator's update (iso_step)
// with the same noise draw: the same gradient and the same new weights, to rounding.
TEST(IsotropicModel, StepIsTheSimulatorsStep) {
  for (const char* protocol : {"lr", "elr", "sphere"}) {
    const TrainConfig c = iso_config(protocol);
    train::Trainer trainer(c, train::prepare_training_data(c));
    trainer.keep_last_gradient(true);
    std::vector<double> w = trainer.weights();
    const long long d = c.model.iso_d;
    ASSERT_EQ(static_cast<long long>(w.size()), d);
    const IsoModel model = IsoModel::make(d, c.model.iso_sigma2, c.init_key());
    std::vector<double> eps(static_cast<std::size_t>(d));
    standard_normals(c.sgd_key(), 1, eps.data(), eps.size());  // the batch of iteration 1
    const double r = std::sqrt(dot(w, w));
    std::vector<double> v(eps.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = model.mu[i] + model.sigma * eps[i];
    const double a = dot(v, w) / r;
    trainer.step();
    const std::vector<double> g = trainer.last_gradient();
    for (std::size_t i = 0; i < v.size(); ++i)  // g = P_w_hat (mu + sigma eps) / r
      EXPECT_NEAR(g[i], (v[i] - a * w[i] / r) / r, 1e-13) << protocol << " i = " << i;
    iso_step(model, c.protocol_params(), w.data(), eps.data());
    const std::vector<double> after = trainer.weights();
    for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(after[i], w[i], 1e-13) << protocol << " i = " << i;
  }
}

// The full batch is the noiseless loss; the fresh-draw estimator of Tr Sigma is unbiased with the chi-square SE.
TEST(IsotropicModel, FullBatchAndFreshNoiseAreExact) {
  const TrainConfig c = iso_config("elr");
  train::Trainer trainer(c, train::prepare_training_data(c));
  for (int t = 0; t < 100; ++t) trainer.step();
  const std::vector<double> w = trainer.weights();
  const IsoModel model = IsoModel::make(c.model.iso_d, c.model.iso_sigma2, c.init_key());
  const double cos_mu = dot(model.mu, w) / std::sqrt(dot(w, w));
  const train::FullBatchMetrics m = trainer.train_metrics();
  EXPECT_NEAR(m.loss, 1.0 + cos_mu, 1e-14);               // L(w) = 1 + <mu, w_hat>
  EXPECT_NEAR(m.grad_norm_sq_unit, 1.0 - cos_mu * cos_mu, 1e-13);  // |P_w_hat mu|^2
  EXPECT_TRUE(std::isnan(m.accuracy));
  const long long batches = 4000;
  const train::FreshTrSigma f = trainer.fresh_tr_sigma(batches);
  const double dm1 = static_cast<double>(c.model.iso_d - 1), exact = c.model.iso_sigma2 * dm1;
  // sigma2 |P eps|^2 ~ sigma2 chi^2_{d-1}: mean sigma2 (d-1), SE sigma2 sqrt(2 (d-1) / batches).
  const double exact_se = c.model.iso_sigma2 * std::sqrt(2.0 * dm1 / static_cast<double>(batches));
  EXPECT_NEAR(f.tr_sigma, exact, 4.0 * exact_se);
  EXPECT_NEAR(f.tr_sigma_se / exact_se, 1.0, 0.1);  // the SE of 4000 draws is itself known to ~1/sqrt(2 * 4000)
}

class IsotropicRuns : public testing::CliFolderTest {
 protected:
  IsotropicRuns() : CliFolderTest("idealgas_isotropic_") {}
  // The preset shortened for the suite (under the sanitizers): 60,000 steps, the window (30,000) still 108 radial
  // and 600 angular relaxation times long, 300 snapshots 100 steps apart, 100 fresh draws at 30 log points.
  nlohmann::json run(const char* protocol, const std::string& out) const {
    const auto r = run_cli(std::string("train --preset iso-model-") + protocol + " --quiet --out '" +
                           (dir_ / out).string() +
                           "' --set train.iterations=60000 --set measure.log_dense_stride=1000 "
                           "--set measure.log_dense_until=60000 --set measure.fresh_batches=100 "
                           "--set measure.queue_size=300 --set measure.decorrelated_queue_size=300");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(slurp(dir_ / out / "summary.json"));
  }
};

// Every quantity of the known answer within 3 SE (docs/train.md, "The isotropic model"; the exact values are the
// closed forms of theory/ and the estimator reference of analyse/kl_reference.hpp).
TEST_F(IsotropicRuns, KnownAnswerWithin3Se) {
  for (const char* protocol : {"lr", "elr", "sphere"}) {
    const nlohmann::json s = run(protocol, protocol);
    ASSERT_TRUE(s.contains("known_answer")) << protocol;
    const nlohmann::json& checks = s["known_answer"]["checks"];
    for (const char* q : {"sigma2", "Z", "U", "S_sphere"}) ASSERT_TRUE(checks.contains(q)) << protocol << " " << q;
    ASSERT_TRUE(checks.contains(std::string(protocol) == "sphere" ? "lambda_eff" : "r")) << protocol;
    for (const auto& [name, check] : checks.items()) {
      EXPECT_TRUE(check["within_3_se"].get<bool>()) << protocol << " " << name << ": " << check.dump();
      EXPECT_GT(check["se"].get<double>(), 0.0) << protocol << " " << name;
    }
    // The full gradient's share is what separates Z from 1 in this model (App. H): Z - 1 = G / Tr Sigma to first
    // order, about A T / sigma2 ~ 0.01 here; the measured Z carries it.
    const nlohmann::json& st = s["stationary"];
    EXPECT_NEAR(st["Z"].get<double>() - 1.0, st["grad_share"].get<double>(), 3.0 * st["Z_se"].get<double>())
        << protocol;
    EXPECT_EQ(st["tr_sigma_source"], "fresh_batches");
  }
}

// The same configuration through `simulate iso` and through the trainer: U, r, T, Z and the entropy (each less its
// estimator bias, which depends on the queue's size) agree within 3 combined SE.
TEST_F(IsotropicRuns, AgreesWithSimulateIso) {
  const nlohmann::json t = run("elr", "train");
  std::ofstream(dir_ / "one.toml") << "protocol = \"elr\"\neta_eff = 0.02\nlambda = 0.01\nd = 10\nsigma2 = 1.0\n"
                                      "iterations = 60000\nsnapshots = 300\n";
  const auto r = run_cli("simulate iso '" + (dir_ / "one.toml").string() + "' --quiet --out '" +
                         (dir_ / "sim").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json sim = nlohmann::json::parse(slurp(dir_ / "sim" / "summary.json"))["stationary"];
  const nlohmann::json& tr = t["stationary"];
  const auto agree = [&](const char* key, double a, double a_se, double b, double b_se) {
    EXPECT_LE(std::abs(a - b), 3.0 * std::hypot(a_se, b_se))
        << key << ": train " << a << " +- " << a_se << ", simulate " << b << " +- " << b_se;
  };
  for (const char* key : {"U", "Z"})
    agree(key, tr[key].get<double>(), tr[std::string(key) + "_se"].get<double>(), sim[key].get<double>(),
          sim[std::string(key) + "_se"].get<double>());
  agree("r", tr["r_mean"].get<double>(), tr["r_se"].get<double>(), sim["r_mean"].get<double>(),
        sim["r_se"].get<double>());
  agree("T", tr["T"].get<double>(), tr["T_se"].get<double>(), sim["T"].get<double>(), 0.0);  // exact there
  const double train_bias = t["known_answer"]["S_sphere_estimator_bias"].get<double>();
  const double sim_bias = sim["S_sphere_expected"].get<double>() - sim["S_sphere_discrete"].get<double>();
  agree("S_sphere - bias", tr["S_sphere"].get<double>() - train_bias, tr["S_sphere_se"].get<double>(),
        sim["S_sphere"].get<double>() - sim_bias, sim["S_sphere_se"].get<double>());
}

}  // namespace
}  // namespace idealgas
