// The paper's Table 4 (docs/paper-setup.md §2): the quadratic-fit coefficients of S over R = (d-1)/2, the maximum
// relative error of the local Maxwell relation and R^2, per network setup and protocol, as acceptance targets a
// matching grid is compared with (analyse/maxwell_table4.hpp names its values the same way).
#pragma once

#include <string>
#include <vector>

#include "idealgas/protocol/protocol.hpp"

namespace idealgas {

struct PaperTable4Value {
  const char* name;  // "a2/R", "(a1-a2)/R", ..., "max_rel_err", "r_squared"
  double value;
};

/// The setups the paper reports: "resnet18-cifar10", "resnet18-cifar100", "convnet-cifar10", "convnet-cifar100".
std::vector<std::string> paper_table4_setups();

/// The paper's values for `setup` and `protocol` (fixed LR or ELR); empty if it reports none (the sphere). Throws
/// InputError naming the accepted setups for an unknown one.
std::vector<PaperTable4Value> paper_table4(const std::string& setup, Protocol protocol);

}  // namespace idealgas
