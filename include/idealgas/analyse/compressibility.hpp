// Compressibility factor Z = P V / (R T) of a stationary state, the paper's real-gas outlook: Z = 1 is the
// ideal gas of docs/theory.md §3, and Z - 1 says how far a measured state is from it. R = (d-1)/2.
#pragma once

#include "idealgas/analyse/grid_table.hpp"

namespace idealgas {

struct Compressibility {
  double Z = kNaN;
  double Z_se = kNaN;  // first order, independent errors: Z sqrt((P_se/P)^2 + (V_se/V)^2 + (T_se/T)^2)
};

/// From the state variables and their standard errors (0 for a value known exactly). NaN if any input is not
/// finite or P, V, T, R is not positive.
Compressibility compressibility(double P, double P_se, double V, double V_se, double T, double T_se, double R);

/// One grid row: Z = 2 P r^2 / (eta_eff Tr Sigma), T at the state's own eta_eff (theory::compressibility_factor;
/// fixed LR: eta / E[r^2]); P = lambda (lr, elr) or lambda_eff (sphere), V = E[r^2]/2 with V_se (or r_mean r_se to
/// first order), Tr Sigma = sigma2 (d-1) with sigma2_se (0 or NaN: exact). SEs first order, with the powers of V in Z.
Compressibility compressibility(const GridTable& table, const StationaryRow& row);

}  // namespace idealgas
