// The figures of the isotropic-noise report, per protocol: the panels of the paper's Figure 1 (fixed LR),
// Figure 4 (fixed ELR) or Figure 3 (sphere), its Figure 13 (measured r* or lambda_eff against the SDE and
// discrete-time predictions) and a map of the compressibility factor Z = PV/(RT). Measurements come from
// summary.csv (markers with their standard errors); theory lines are computed densely from theory/ with the
// run's d and sigma^2 (exact VMF, SDE radius). Potential maps reuse analyse's potential_map.
#pragma once

#include <string>
#include <vector>

#include "idealgas/report/figure.hpp"
#include "idealgas/report/iso_run_folder.hpp"

namespace idealgas::report {

struct IsoFigures {
  std::vector<Figure> figures;     // page order: lr, elr, sphere; within each (a)-(e), Fig. 13, Z
  std::vector<std::string> notes;  // figures not drawn and why (e.g. a column missing from summary.csv)
};

IsoFigures iso_figures(const IsoRunFolder& run);

/// Heading of a protocol's page section, e.g. "Fixed learning rate (paper Figure 1)"; every figure of the
/// protocol has it as its `section`.
std::string iso_section_heading(Protocol protocol);

/// The paper's slices of panel (a) (docs/paper-setup.md §1): Fig. 1a at eta = 1e-2, Fig. 4a at lambda = 1e-2,
/// Fig. 3a at r = 1; the grid value nearest in log is used.
inline constexpr double kPaperSliceEta = 1e-2;
inline constexpr double kPaperSliceLambda = 1e-2;
inline constexpr double kPaperSliceRadius = 1.0;

}  // namespace idealgas::report
