#include "idealgas/analyse/compressibility.hpp"

#include <cmath>

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
  const double R = table.gas_constant();
  if (table.protocol == Protocol::fixed_sphere) return compressibility(row.P, row.lambda_eff_se, row.V, 0.0, row.T, 0.0, R);
  // V's SE from batch means of r^2 where the table has it, else to first order from r's.
  const double V_se = std::isfinite(row.V_se) ? row.V_se : row.r_mean * row.r_se;
  return compressibility(row.P, 0.0, row.V, V_se, row.T, 0.0, R);
}

}  // namespace idealgas
