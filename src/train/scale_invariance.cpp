#include "idealgas/train/scale_invariance.hpp"

#include <fmt/format.h>

#include "idealgas/core/error.hpp"

namespace idealgas::train {

std::string ScaleInvarianceReport::to_string() const {
  std::vector<std::string> parts;
  for (const auto& [c, rel] : per_factor) parts.push_back(fmt::format("x{:g}: {:.3g}", c, rel));
  return fmt::format("{}: largest relative change of the outputs {:.3g} (tolerance {:g}) when scaling {} tensors "
                     "(d = {}) [{}]",
                     scale_invariant ? "scale-invariant" : "NOT scale-invariant", max_rel_change, rtol, tensors, d,
                     fmt::join(parts, ", "));
}

nlohmann::json ScaleInvarianceReport::to_json() const {
  nlohmann::json factors = nlohmann::json::array();
  for (const auto& [c, rel] : per_factor) factors.push_back({{"factor", c}, {"rel_change", rel}});
  return {{"scale_invariant", scale_invariant}, {"max_rel_change", max_rel_change}, {"rtol", rtol},
          {"per_factor", factors}, {"tensors", tensors}, {"d", d}, {"batch", batch}, {"parameters", names}};
}

void require_scale_invariant(const ScaleInvarianceReport& r, const std::string& what) {
  if (r.scale_invariant) return;
  double worst_factor = 0.0;
  for (const auto& [c, rel] : r.per_factor)
    if (rel == r.max_rel_change) worst_factor = c;
  throw InputError(fmt::format("{}: not scale-invariant: scaling its {} SI parameter tensors (d = {}) by {:g} "
                               "changes the outputs by {:.3g} (relative), above model.si_rtol = {:g}; name the "
                               "scale-invariant parameters in model.si_parameters (idealgas check-si shows the "
                               "measurement)",
                               what, r.tensors, r.d, worst_factor, r.max_rel_change, r.rtol));
}

}  // namespace idealgas::train
