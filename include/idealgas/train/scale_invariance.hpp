// Whether a network's outputs are invariant to scaling its scale-invariant (SI) parameters jointly
// (docs/theory.md §1: L(c w) = L(w) for c > 0), measured as Python's idealgas.check_scale_invariance measures it
// (python/idealgas/scale_invariance.py, same factors and default tolerance): the SI parameters are multiplied by
// each factor c, and the relative change of the outputs is
//   rel(c) = max |out_c - out_1| / max |out_1|   over every logit of one batch,
// with batch statistics in BatchNorm (training mode; the running statistics are left as they were). The verdict
// is max_c rel(c) <= rtol. Torch-free: the measurement itself is Trainer::check_scale_invariance.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace idealgas::train {

/// The factors and tolerance of Python's check_scale_invariance (DEFAULT_RTOL, factors=(0.5, 2, 10)). BatchNorm
/// divides by sqrt(var + eps), so an SI model moves by ~eps/var (1e-5/var) per halving; a non-invariant parameter
/// moves the outputs by O(1).
inline const std::vector<double>& scale_invariance_factors() {
  static const std::vector<double> factors = {0.5, 2.0, 10.0};
  return factors;
}
constexpr double kScaleInvarianceRtol = 1e-2;

struct ScaleInvarianceReport {
  bool scale_invariant = false;  // max_rel_change <= rtol
  double max_rel_change = 0.0;   // max over the factors of rel(c)
  std::vector<std::pair<double, double>> per_factor;  // (c, rel(c)) in the order measured
  double rtol = kScaleInvarianceRtol;
  long long tensors = 0;  // parameter tensors scaled
  long long d = 0;        // values scaled
  long long batch = 0;    // images in the batch
  std::vector<std::string> names;  // the scaled tensors

  /// One line, as Python's ScaleInvarianceReport.__str__: verdict, largest change, tolerance, per factor.
  std::string to_string() const;
  nlohmann::json to_json() const;
};

/// InputError naming `what` (e.g. "model.path = 'net.pt'") and the measured deviation unless the report says
/// scale-invariant.
void require_scale_invariant(const ScaleInvarianceReport& report, const std::string& what);

}  // namespace idealgas::train
