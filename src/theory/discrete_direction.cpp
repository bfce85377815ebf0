#include "idealgas/theory/discrete_direction.hpp"

#include <cmath>

#include "idealgas/theory/vmf.hpp"

namespace idealgas::theory {

DiscreteDirectionLaw discrete_direction_law(Protocol p, const StationaryInputs& in, double mean_r_sq) {
  stationary_state(p, in);  // refuses what the closed forms refuse, with their messages
  DiscreteDirectionLaw out;
  double step = kNaN;
  switch (p) {
    case Protocol::fixed_sphere:
      step = in.eta_eff;
      break;
    case Protocol::fixed_elr: {
      const double shrink = 1.0 - in.eta_eff * in.lambda * mean_r_sq;
      if (shrink > 0.0) step = in.eta_eff / shrink;
      break;
    }
    case Protocol::fixed_lr: {
      const double shrink = 1.0 - in.eta * in.lambda;
      if (shrink > 0.0 && mean_r_sq > 0.0) step = in.eta / (shrink * mean_r_sq);
      break;
    }
  }
  if (!(std::isfinite(step) && step > 0.0)) return out;
  out.step = step;
  out.T_chain = 0.5 * step * in.sigma2;
  if (!(std::isfinite(out.T_chain) && out.T_chain > 0.0 && std::isfinite(1.0 / out.T_chain))) return out;
  const double A = vmf_stats(in.d, out.T_chain).A;
  const double correction = 0.5 * step * (1.0 - (2.0 * static_cast<double>(in.d) + 1.0) * out.T_chain * A) / A;
  if (!(std::abs(correction) <= kMaxDirectionCorrection)) return out;
  out.T = out.T_chain * (1.0 + correction);
  const VmfStats at_t = vmf_stats(in.d, out.T);
  out.U = at_t.U;
  out.S_sphere = at_t.S_sphere;
  return out;
}

}  // namespace idealgas::theory
