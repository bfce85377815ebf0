#include "idealgas/analyse/compressibility.hpp"

#include <cmath>

#include "idealgas/theory/ideal_gas.hpp"

namespace idealgas {

Compressibility compressibility(double P, double P_se, double V, double V_se, double T, double T_se, double R) {
  const bool valid = P > 0.0 && V > 0.0 && T > 0.0 && R > 0.0 && std::isfinite(P) && std::isfinite(V) &&
                     std::isfinite(T) && std::isfinite(R);
  if (!valid) return {};
  Compressibility out;
  out.Z = P * V / (R * T);
  out.Z_se = out.Z * std::hypot(P_se / P, V_se / V, T_se / T);
  return out;
}

Compressibility compressibility(const GridTable& table, const StationaryRow& row) {
  // Z = PV/(RT) with T at the state's own eta_eff (theory::compressibility_factor, the one definition): fixed LR
  // Z ~ P V^2 / sigma2 (eta_eff = eta / r^2), ELR Z ~ P V / sigma2, sphere Z ~ lambda_eff / sigma2 (V exact). The
  // relative SEs add in quadrature with those powers (sigma2 is measured independently of the radius: fresh batches;
  // SE 0 for the isotropic model's exact sigma2).
  const bool sphere = table.protocol == Protocol::fixed_sphere, lr = table.protocol == Protocol::fixed_lr;
  const double second = sphere ? row.radius : row.lambda;
  const double tr_sigma = row.sigma2 * static_cast<double>(table.d - 1);
  const bool valid = row.P > 0.0 && row.V > 0.0 && tr_sigma > 0.0 && row.eta > 0.0 && second > 0.0 &&
                     std::isfinite(row.P) && std::isfinite(row.V) && std::isfinite(tr_sigma) && std::isfinite(row.eta) &&
                     std::isfinite(second);
  if (!valid) return {};
  const ProtocolParams p = ProtocolParams::make(table.protocol, row.eta, second);
  Compressibility out;
  out.Z = theory::compressibility_factor(p, 2.0 * row.V, row.P, tr_sigma);
  const double v_rel = sphere ? 0.0 : (std::isfinite(row.V_se) ? row.V_se : row.r_mean * row.r_se) / row.V;
  const double p_rel = sphere ? row.lambda_eff_se / row.P : 0.0;
  const double s_rel = std::isfinite(row.sigma2_se) ? row.sigma2_se / row.sigma2 : 0.0;
  out.Z_se = out.Z * std::hypot(lr ? 2.0 * v_rel : v_rel, p_rel, s_rel);
  return out;
}

}  // namespace idealgas
