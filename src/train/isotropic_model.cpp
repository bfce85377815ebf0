#include "idealgas/train/isotropic_model.hpp"

#include <cmath>
#include <vector>

#include "idealgas/simulate/iso_model.hpp"

namespace idealgas::train {

namespace {
at::Tensor to_tensor(const std::vector<double>& v, at::Device device) {
  return at::from_blob(const_cast<double*>(v.data()), {static_cast<long long>(v.size())}, at::kDouble)
      .clone()
      .to(device);
}
}  // namespace

// One "class": the model has no labels, and the trainer reports no accuracy for it.
IsotropicModel::IsotropicModel(const NetworkSpec& spec, std::uint64_t init_key, at::Device device)
    : Model(device, LossKind::cross_entropy, 1), d_(spec.iso_d), sigma_(std::sqrt(spec.iso_sigma2)) {
  validate(spec);
  const IsoModel iso = IsoModel::make(d_, spec.iso_sigma2, init_key);
  mu_ = to_tensor(iso.mu, device);
  w_ = to_tensor(iso_initial_direction(d_, init_key), device);
  set_tracked({w_}, {"w"}, 1);
}

at::Tensor IsotropicModel::forward(const at::Tensor& x, BatchNormMode /*mode*/) {
  const at::Tensor w_hat = w_ / w_.norm();
  // <mu + sigma eps_b, w_hat> for each draw b: its gradient in w is P_w_hat (mu + sigma eps_b) / |w|.
  return (1.0 + at::matmul(x * sigma_ + mu_, w_hat)).unsqueeze(1);
}

at::Tensor IsotropicModel::loss_sum(const at::Tensor& per_draw, const at::Tensor& /*labels*/) const {
  return per_draw.sum();
}

nlohmann::json IsotropicModel::describe() const {
  return {{"arch", "isotropic"}, {"d", d_}, {"sigma2", sigma_ * sigma_}};
}

}  // namespace idealgas::train
