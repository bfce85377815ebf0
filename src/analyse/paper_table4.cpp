#include "idealgas/analyse/paper_table4.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "idealgas/core/error.hpp"
#include "idealgas/core/suggest.hpp"

namespace idealgas {

namespace {

struct Row {
  const char* setup;
  double elr[5];  // a2/R, 2a4/R, a5/R, max rel. err, R^2
  double lr[5];   // (a1-a2)/R, (2a3-a5)/R, (2a4-a5)/R, max rel. err, R^2
};

// docs/paper-setup.md §2, "Reported results to reproduce (Table 4 and Sec. 7.3)".
constexpr Row kRows[] = {
    {"resnet18-cifar10", {-1.029, -0.008, 0.000, 0.025, 0.993}, {0.993, 0.005, 0.005, 0.030, 0.994}},
    {"resnet18-cifar100", {-1.022, -0.006, 0.001, 0.019, 0.995}, {1.075, 0.000, -0.008, 0.056, 0.989}},
    {"convnet-cifar10", {-1.128, -0.016, -0.006, 0.065, 0.997}, {0.989, -0.038, -0.033, 0.176, 0.993}},
    {"convnet-cifar100", {-0.930, -0.002, 0.009, 0.040, 0.979}, {0.659, -0.047, 0.001, 0.233, 0.841}},
};

}  // namespace

std::vector<std::string> paper_table4_setups() {
  std::vector<std::string> out;
  for (const Row& r : kRows) out.emplace_back(r.setup);
  return out;
}

std::vector<PaperTable4Value> paper_table4(const std::string& setup, Protocol protocol) {
  for (const Row& r : kRows) {
    if (setup != r.setup) continue;
    switch (protocol) {
      case Protocol::fixed_elr:
        return {{"a2/R", r.elr[0]}, {"2a4/R", r.elr[1]}, {"a5/R", r.elr[2]}, {"max_rel_err", r.elr[3]},
                {"r_squared", r.elr[4]}};
      case Protocol::fixed_lr:
        return {{"(a1-a2)/R", r.lr[0]}, {"(2a3-a5)/R", r.lr[1]}, {"(2a4-a5)/R", r.lr[2]}, {"max_rel_err", r.lr[3]},
                {"r_squared", r.lr[4]}};
      case Protocol::fixed_sphere: return {};
    }
  }
  const std::vector<std::string> setups = paper_table4_setups();
  throw InputError(fmt::format("paper_setup \"{}\" is not a setup of the paper's Table 4{}; accepted: {}", setup,
                               did_you_mean(setup, setups), fmt::join(setups, ", ")));
}

}  // namespace idealgas
