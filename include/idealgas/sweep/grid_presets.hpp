// Named grid configs for `idealgas sweep --preset NAME` (docs/sweep.md lists them): the paper's grids and small
// grids for trying things. A preset is grid TOML text (grid_config.hpp), exactly what a file would hold.
#pragma once

#include <string>
#include <vector>

namespace idealgas {

struct GridPreset {
  std::string name;
  std::string description;  // one line
  std::string toml;         // the grid config
};

/// Every grid preset, in the order --list-presets prints them.
const std::vector<GridPreset>& grid_presets();

/// The preset called `name`; InputError with the closest name and a pointer to --list-presets otherwise.
const GridPreset& find_grid_preset(const std::string& name);

}  // namespace idealgas
